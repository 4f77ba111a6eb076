#!/usr/bin/env bash
# End-to-end: report.html on the bundled samples and on generated ones. Checks: one self-contained
# UTF-8 file (no http(s) references, no scripts, images, fonts or style sheets from outside), no
# owner name, owner id, certificate or address of the register anywhere in it, totals equal to
# the manifest's, every input checksum and CRS operation shown, the same bytes whatever the
# thread count (bar the run's times), a failed gate shown as failed, large communes drawn with a
# cap; then a real headless Chromium renders it: a non-blank screenshot (kept as
# test-artifacts/report.png next to the binary, or in $LR_ARTIFACT_DIR) and the expected
# headings in the DOM (--dump-dom).
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ART="${LR_ARTIFACT_DIR:-$(cd "$(dirname "$LR_BINARY")" && pwd)/test-artifacts}"
mkdir -p "$ART"
cfg="$LR_SOURCE_DIR/config/sample.yaml"

# 1. the bundled samples, twice with different thread counts
"$LR_BINARY" run "$cfg" --out "$T/a" --run-id r1 --jobs 1 -q > /dev/null || fail "run 1 exited $?"
"$LR_BINARY" run "$cfg" --out "$T/b" --run-id r1 --jobs 4 -q > /dev/null || fail "run 2 exited $?"
rep="$T/a/r1/report.html"
[ -s "$rep" ] || fail "no report.html"
grep -q '  report.html$' "$T/a/r1/SHA256SUMS" || fail "report.html not in SHA256SUMS"
(cd "$T/a/r1" && sha256sum -c --quiet SHA256SUMS) || fail "checksums do not verify"
strip_volatile() { sed -E 's#<span class="v">[^<]*</span>##g' "$1"; }
cmp <(strip_volatile "$rep") <(strip_volatile "$T/b/r1/report.html") ||
  fail "report differs between --jobs 1 and --jobs 4 (beyond the run's times)"

# 2. self-contained, no personal data, consistent with the manifest
python3 - "$rep" "$T/a/r1/manifest.json" "$LR_SOURCE_DIR/samples/register.csv" <<'PY' ||
import csv, html, json, re, sys
from html.parser import HTMLParser
rep, man, reg = sys.argv[1:4]
raw = open(rep, 'rb').read()
text = raw.decode('utf-8')  # raises on invalid UTF-8
low = text.lower()
assert text.startswith('<!DOCTYPE html>\n<html lang="vi">'), 'doctype / lang="vi"'
assert '<meta charset="utf-8">' in text
for bad in ('http://', 'https://', '<script', ' src=', '<link', '<img', '<iframe', '<object',
            '<embed', '@import', 'url(', '@font-face', 'file://', 'href="//'):
    assert bad not in low, f'external reference or script: {bad!r}'
assert all(h.startswith('#') for h in re.findall(r'href="([^"]*)"', text)), 'href leaving the page'
# owner data: every value of the register's personal columns, as is and HTML-escaped
cols = ('chu_su_dung', 'so_dinh_danh', 'so_gcn', 'dia_chi')
n = 0
for row in csv.DictReader(open(reg, encoding='utf-8')):
    for c in cols:
        v = (row.get(c) or '').strip()
        if len(v) < 4:
            continue
        n += 1
        assert v not in text and html.escape(v) not in text, f'register {c} value in the report'
assert n > 1000, f'only {n} owner values checked'
assert not re.search(r'(?<!\d)\d{12}(?!\d)', re.sub(r'[0-9a-f]{64}', '', text)), \
    '12-digit number (an ID?) in the report'
# totals of the statuses / issues matrices against the manifest
class Tables(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = []; self.cell = None; self.row = None; self.part = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'table': self.tables.append({'cls': a.get('class'), 'head': [], 'foot': [], 'body': []})
        elif tag in ('thead', 'tbody', 'tfoot'): self.part = tag
        elif tag == 'tr': self.row = []
        elif tag in ('td', 'th'): self.cell = []
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None:
            self.row.append(''.join(self.cell)); self.cell = None
        elif tag == 'tr' and self.row is not None:
            key = {'thead': 'head', 'tfoot': 'foot'}.get(self.part, 'body')
            self.tables[-1][key].append(self.row); self.row = None
    def handle_data(self, d):
        if self.cell is not None: self.cell.append(d + ' ')
p = Tables(); p.feed(text)
mx = [t for t in p.tables if t['cls'] == 'mx']
assert len(mx) == 4, f'{len(mx)} matrices, want 4 (statuses, issues) x (new, old)'
m = json.load(open(man))
num = lambda s: int(s.replace('\u202f', '').split()[0]) if s.strip() else 0
def totals(t, skip):
    names = [h.split()[-1] for h in t['head'][0][skip:]]
    foot = t['foot'][0]
    vals = [num(c) for c in foot[len(foot) - len(names):]]
    body = [[num(c) for c in r[len(r) - len(names):]] for r in t['body']]
    assert [sum(col) for col in zip(*body)] == vals, 'commune rows do not add up to the total'
    return {k: v for k, v in zip(names, vals) if v}
for i, (t, skip) in enumerate(zip(mx, (3, 3, 4, 4))):
    want = m['counts']['statuses' if i % 2 == 0 else 'issues']
    got = totals(t, skip)
    assert got == want, f'matrix {i}: {got} != manifest {want}'
for inp in m['inputs']:
    assert inp['sha256'] in text, f"checksum of {inp['path']} missing"
    if inp.get('crs_operation'):
        assert html.escape(inp['crs_operation']) in text, 'crs operation missing'
assert 'ĐẠT / PASSED' in text and 'FAILED' not in text, 'gate result'
for s in m['stages']:
    if s['name'] != 'publish':
        assert f">{s['name']}</small>" in text, f"stage {s['name']} missing"
print(f'report ok: {len(raw)} bytes, {n} owner values absent, totals = manifest')
PY
  fail "report content"

# 3. generated samples: a failed gate is shown as failed; a commune above the drawing cap
"$LR_BINARY" sample "$T/s" --parcels 8000 --communes 2 --seed 5 > /dev/null 2>&1 || fail "sample"
sed -i 's/max_unmatched_ratio: .*/max_unmatched_ratio: 0.0001/' "$T/s/landrec.yaml"
set +e
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/g" --run-id g1 -q > /dev/null 2> "$T/gate.err"
rc=$?
set -e
[ "$rc" = 5 ] || fail "gate run exited $rc, want 5"
python3 - "$T/g/g1/report.html" "$T/s/register.csv" <<'PY' || fail "gate-failed / capped report"
import csv, html, re, sys
text = open(sys.argv[1], encoding='utf-8').read()
assert 'KHÔNG ĐẠT / FAILED' in text and 'unmatched ratio' in text, 'failed gate not shown'
caps = re.findall(r'Vẽ / drawn: <b>([\d\u202f]+)</b> / ([\d\u202f]+) ', text)
n = lambda s: int(s.replace('\u202f', ''))
assert caps and any(n(t) > n(d) for d, t in caps), f'no capped map: {caps}'
assert all(n(d) <= 3000 for d, t in caps), f'a map draws more than 3000 parcels: {caps}'
assert 'fill="#d9e6d5"' in text, 'parcels over the cap not aggregated'
for row in csv.DictReader(open(sys.argv[2], encoding='utf-8')):
    for c in ('chu_su_dung', 'so_dinh_danh', 'so_gcn', 'dia_chi'):
        v = row[c].strip()
        assert len(v) < 4 or (v not in text and html.escape(v) not in text), f'owner {c}'
print('gate-failed report ok; maps:', [(n(d), n(t)) for d, t in caps])
PY

# 4. a real browser: screenshot and DOM
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || fail "chromium not installed (apt-get install chromium)"
flags=(--headless=new --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --window-size=1280,900)
shot="$ART/report.png"
rm -f "$shot"
timeout 120 "$CHROME" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" \
  --screenshot="$shot" "file://$rep" > "$T/chrome.log" 2>&1 || fail "chromium screenshot: $(tail -3 "$T/chrome.log")"
t0=$EPOCHREALTIME
timeout 120 "$CHROME" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$T")" \
  --dump-dom "file://$rep" > "$T/dom.html" 2> "$T/chrome2.log" || fail "chromium --dump-dom"
t1=$EPOCHREALTIME
echo "chromium --dump-dom: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; screenshot: $shot"
python3 - "$shot" "$T/dom.html" <<'PY' || fail "rendered page"
import struct, sys, zlib
def decode(path):
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat = 8, b''
    while pos < len(d):
        n, t = struct.unpack('>I4s', d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
        if t == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif t == b'IDAT':
            idat += body
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, p, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0, []
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows
w, h, bpp, rows = decode(sys.argv[1])
assert (w, h) == (1280, 900), (w, h)
colours, white = set(), 0
for r in rows:
    for x in range(0, len(r), bpp):
        px = r[x:x + 3]
        colours.add(px)
        white += px == b'\xff\xff\xff'
share = 1 - white / (w * h)
assert len(colours) >= 50, f'only {len(colours)} colours: blank page?'
assert share > 0.10, f'only {share:.1%} of the pixels are not white'
dom = open(sys.argv[2], encoding='utf-8').read()
for h in ('Tóm tắt / Summary', 'Quality gates', 'Conservation',
          'Trạng thái theo xã mới / Statuses per new commune', 'Map to register area ratio',
          'Map and details per new commune', 'Theo xã cũ / Per old commune',
          'Các bước xử lý / Pipeline stages', 'Dữ liệu đầu vào / Input files',
          'CRS operations'):
    assert h in dom, f'heading {h!r} not in the DOM'
assert dom.count('<svg') >= 4, 'charts / maps missing from the DOM'
print(f'screenshot ok: {len(colours)} colours, {share:.0%} not white; headings in the DOM')
PY
echo "ok"
