#!/bin/bash
# diff_runs.sh - `landrec diff` between two sample runs with known register edits lists exactly
# those changes, and the nightly delta.csv of the second run (against the run OUTPUT/latest named
# when it started) is the same file.
#   run a: the register without parcel X            (X is map-only: not in a's extract)
#   run b: X back, Y's row removed, Z's area + 0.5 m2, W's owner renamed
#   want:  X added; Y removed; Z changed area_m2, value_vnd, tax_vnd; W changed owner_name.
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$LR_BINARY" sample "$T/s" --parcels 1500 --communes 3 --seed 11 >/dev/null 2>"$T/sample.log"
cp "$T/s/register.csv" "$T/register.orig.csv"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id base >/dev/null 2>"$T/base.log"

# Pick X, Y, Z, W among plainly matched, priced residential parcels, and write both registers.
python3 - "$T/out/base/tax_extract.csv" "$T/register.orig.csv" "$T" <<'PY'
import csv, sys
from decimal import Decimal

extract, orig, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
with open(extract, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
ok = [r for r in rows if r["status"] == "matched" and r["area_source"] == "register"
      and r["land_use"] in ("ODT", "ONT") and r["unit_price_vnd"]
      and int(r["unit_price_vnd"]) >= 1000000]
assert len(ok) >= 40, len(ok)
x, y, z, w = (ok[i]["parcel_key"] for i in (5, 15, 25, 35))
with open(f"{tmp}/keys", "w") as f:
    f.write(f"{x} {y} {z} {w}\n")

def key(r):
    return f"{int(r['ma_xa']):05d}-{int(r['so_to'])}-{int(r['so_thua'])}"

with open(orig, newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    fields, reg = reader.fieldnames, list(reader)
assert sum(key(r) in (x, y, z, w) for r in reg) == 4, "each picked key once in the register"

def write(path, keep, edit):
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        out.writeheader()
        for r in reg:
            if keep(key(r)):
                out.writerow(edit(dict(r)))

def edit_b(r):
    if key(r) == z:
        r["dien_tich"] = str(Decimal(r["dien_tich"]) + Decimal("0.5"))
    if key(r) == w:
        r["chu_su_dung"] = r["chu_su_dung"] + " Mới"
    return r

write(f"{tmp}/register.a.csv", lambda k: k != x, lambda r: r)
write(f"{tmp}/register.b.csv", lambda k: k != y, edit_b)
PY
read -r X Y Z W <"$T/keys"

cp "$T/register.a.csv" "$T/s/register.csv"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id a >/dev/null 2>"$T/a.log"
cp "$T/register.b.csv" "$T/s/register.csv"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id b >/dev/null 2>"$T/b.log"

"$LR_BINARY" diff "$T/out/a" "$T/out/b" --out "$T/d.csv" >"$T/d.summary"
[ "$(stat -c %a "$T/d.csv")" = 640 ] || fail "delta mode $(stat -c %a "$T/d.csv")"
cmp "$T/d.csv" "$T/out/b/delta.csv" || fail "the nightly delta.csv differs from landrec diff a b"
grep -q '  delta.csv$' "$T/out/b/SHA256SUMS" || fail "delta.csv not in SHA256SUMS"
grep -q "delta against run 'a'" "$T/b.log" || fail "run b did not log its delta against run a"
"$LR_BINARY" diff "$T/out/a" "$T/out/b" >"$T/d.stdout" 2>"$T/d.stderr"
cmp "$T/d.csv" "$T/d.stdout" || fail "delta on stdout differs from --out"

python3 - "$T" "$X" "$Y" "$Z" "$W" <<'PY'
import csv, sys
from decimal import Decimal, ROUND_HALF_UP

tmp, x, y, z, w = sys.argv[1:]
def extract(run):
    with open(f"{tmp}/out/{run}/tax_extract.csv", newline="", encoding="utf-8") as f:
        return {r["parcel_key"]: r for r in csv.DictReader(f)}
a, b = extract("a"), extract("b")
with open(f"{tmp}/d.csv", newline="", encoding="utf-8") as f:
    rd = csv.reader(f)
    assert next(rd) == ["parcel_key", "change", "column", "old", "new"]
    delta = list(rd)

got = sorted((k, ch, col) for k, ch, col, _, _ in delta)
want = sorted([(x, "added", ""), (y, "removed", ""), (z, "changed", "area_m2"),
               (z, "changed", "value_vnd"), (z, "changed", "tax_vnd"),
               (w, "changed", "owner_name")])
assert got == want, f"delta\n{got}\nwant\n{want}"
assert x not in a and x in b and y in a and y not in b
for k, ch, col, old, new in delta:
    if ch == "changed":
        assert old == a[k][col] and new == b[k][col], (k, col, old, new)
        assert old != new
    else:
        assert old == new == ""
za, zb = a[z], b[z]
assert Decimal(zb["area_m2"]) == Decimal(za["area_m2"]) + Decimal("0.5")
value = (Decimal(zb["area_m2"]) * int(zb["unit_price_vnd"])).quantize(Decimal(1), ROUND_HALF_UP)
assert int(zb["value_vnd"]) == value, (zb["value_vnd"], value)
assert b[w]["owner_name"] == a[w]["owner_name"] + " Mới"
unchanged = len(set(a) & set(b)) - 2
line = open(f"{tmp}/d.summary").read().strip()
assert line == f"1 added, 1 removed, 2 changed (4 values), {unchanged} unchanged", line
assert open(f"{tmp}/d.stderr").read().strip() == line
print(f"OK delta: {line}")
PY

# usage and input errors
set +e
"$LR_BINARY" diff "$T/out/a" >/dev/null 2>&1
[ $? -eq 2 ] || fail "one run dir is a usage error (exit 2)"
"$LR_BINARY" diff "$T/out/a" "$T/nowhere" >/dev/null 2>"$T/err"
[ $? -eq 3 ] || fail "a missing extract is exit 3"
set -e
grep -q "nowhere/tax_extract.csv" "$T/err" || fail "the error does not name the missing file"
echo "OK diff_runs"
