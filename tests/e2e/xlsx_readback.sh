#!/bin/bash
# xlsx_readback.sh - the workbooks of a sample run, read back with GDAL's XLSX driver (ogr2ogr),
# equal tax_extract.csv: one workbook per new commune with that commune's rows in the same order
# and column order (text cells exactly, numeric cells by value), summary.xlsx with the count,
# priced count, area, value and tax per commune and the totals; every file of the run directory
# mode 0640; the same bytes from a second run with another thread count and start time.
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"

T=$(mktemp -d)
mkdir "$T/work"
trap 'rm -rf "$T"' EXIT

"$LR_BINARY" sample "$T/s" --parcels 3000 --communes 4 --seed 7 >/dev/null 2>"$T/sample.log"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id a --jobs 1 >/dev/null 2>"$T/a.log"
sleep 1 # another creation time, should anything take the clock
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id b --jobs 3 >/dev/null 2>"$T/b.log"

python3 - "$T/out/a" "$T/work" <<'PY'
import csv, glob, os, re, subprocess, sys
from collections import OrderedDict
from decimal import Decimal

run, work = sys.argv[1], sys.argv[2]
NUMERIC = {3, 4, 8, 11, 12, 13, 14}
TITLES = ["Mã xã mới", "Tên xã mới", "Mã xã cũ", "Số tờ", "Số thửa", "Mã thửa", "Địa chỉ",
          "Loại đất", "Diện tích (m²)", "Nguồn diện tích", "Vùng giá", "Vị trí",
          "Đơn giá (đ/m²)", "Giá trị (đ)", "Thuế (đ)", "Chủ sử dụng", "Số định danh", "Số GCN",
          "Trạng thái"]
fails = []

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))

def sheets(book):
    """The sheets of a workbook as lists of rows (header first), in sheet order."""
    out = os.path.join(work, os.path.basename(book))
    subprocess.run(["ogr2ogr", "-f", "CSV", out, book, "-oo", "HEADERS=FORCE",
                    "-oo", "FIELD_TYPES=STRING"], check=True)
    def order(p):
        m = re.search(r"\((\d+)\)\.csv$", p)
        return int(m.group(1)) if m else 1
    return [read_csv(p) for p in sorted(glob.glob(os.path.join(out, "*.csv")), key=order)]

def same(got, want, numeric):
    if numeric and got != "" and want != "":
        return Decimal(got) == Decimal(want)
    return got == want

extract = read_csv(os.path.join(run, "tax_extract.csv"))
header, rows = extract[0], extract[1:]
assert len(header) == 19, header
by_commune = OrderedDict()
for r in rows:
    by_commune.setdefault(r[0], []).append(r)
assert len(by_commune) >= 2, "the sample should span several new communes"

books = sorted(os.listdir(os.path.join(run, "xlsx")))
want_books = sorted([c + ".xlsx" for c in by_commune] + ["summary.xlsx"])
if books != want_books:
    fails.append(f"workbooks {books} != {want_books}")

cells = 0
for code, want in by_commune.items():
    got = []
    for sheet in sheets(os.path.join(run, "xlsx", code + ".xlsx")):
        if sheet[0] != TITLES:
            fails.append(f"{code}: header {sheet[0]}")
        got += sheet[1:]
    if len(got) != len(want):
        fails.append(f"{code}: {len(got)} rows in the workbook, {len(want)} in the CSV")
    for i, (g, w) in enumerate(zip(got, want)):
        g = g + [""] * (19 - len(g))
        for c in range(19):
            cells += 1
            if not same(g[c], w[c], c in NUMERIC):
                fails.append(f"{code} row {i} {header[c]}: xlsx '{g[c]}' csv '{w[c]}'")

# summary.xlsx: per commune and the totals, from the CSV
summary = sheets(os.path.join(run, "xlsx", "summary.xlsx"))
assert len(summary) == 1
srows = summary[0][1:]
expect = []
tot = [0, 0, Decimal(0), 0, 0]
for code, rs in by_commune.items():
    priced = [r for r in rs if r[12] != ""]
    t = [len(rs), len(priced), sum(Decimal(r[8]) for r in rs),
         sum(int(r[13]) for r in priced), sum(int(r[14]) for r in priced)]
    tot = [a + b for a, b in zip(tot, t)]
    expect.append([code, rs[0][1]] + [str(x) for x in t])
expect.append(["Tổng cộng", ""] + [str(x) for x in tot])
if len(srows) != len(expect):
    fails.append(f"summary: {len(srows)} rows, want {len(expect)}")
for g, w in zip(srows, expect):
    g = g + [""] * (7 - len(g))
    for c in range(7):
        if not same(g[c], w[c], c >= 2):
            fails.append(f"summary {w[0]} column {c}: '{g[c]}' != '{w[c]}'")

print(f"{len(rows)} rows, {len(by_commune)} communes, {cells} cells compared; "
      f"totals {expect[-1][2:]}")
if fails:
    print("\n".join(fails[:30]))
    sys.exit(1)
PY

# identical bytes whatever the thread count and the time
(cd "$T/out/a/xlsx" && sha256sum -- *) >"$T/a.sums"
(cd "$T/out/b/xlsx" && sha256sum -- *) >"$T/b.sums"
if ! diff "$T/a.sums" "$T/b.sums"; then
    echo "FAIL: workbooks differ between --jobs 1 and --jobs 3" >&2
    exit 1
fi

# every output private, and checksummed
bad=$(find "$T/out/a" -type f ! -perm 0640)
if [ -n "$bad" ]; then
    echo "FAIL: files not mode 0640:" >&2
    echo "$bad" >&2
    exit 1
fi
for f in "$T"/out/a/xlsx/*.xlsx; do
    grep -q "  xlsx/$(basename "$f")\$" "$T/out/a/SHA256SUMS" ||
        { echo "FAIL: $f missing from SHA256SUMS" >&2; exit 1; }
done
(cd "$T/out/a" && sha256sum --quiet -c SHA256SUMS)
echo "OK xlsx_readback"
