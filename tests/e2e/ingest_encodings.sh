#!/usr/bin/env bash
# End-to-end: legacy Vietnamese text in map DBFs and register DBF/CSV files decodes to the exact
# NFC text, for TCVN3, VNI-Windows, CP1258 (base letter + combining tone byte, with a .cpg that
# GDAL would recode with: the bytes are read raw) and VISCII, with the encoding given in the
# config and with `encoding: auto`; the manifest counts the converted values exactly and (with a
# clear-cut field) no ambiguous one. Fixtures are written byte by byte by ingest_lib.py from the
# vietunicode table, independently of etl/text.c.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3
LIB="$LR_SOURCE_DIR/tests/e2e/ingest_lib.py"
export LR_SOURCE_DIR

"$LR_BINARY" sample "$T/s" --parcels 300 --communes 1 --seed 7 2>/dev/null >/dev/null \
  || fail "sample"
n=0
for enc in TCVN3 VNI CP1258 VISCII UTF-8; do
  for fmt in dbf csv; do
    for cfg in "$enc" auto; do
      d="$T/$enc-$fmt-$cfg"
      $PY "$LIB" set "$T/s" "$d" 20 "$enc" "$cfg" "$fmt" || fail "fixture $enc $fmt"
      "$LR_BINARY" run "$d/landrec.yaml" --out "$d/out" --run-id t -q 2>"$d/stderr" \
        || fail "$enc $fmt $cfg: run exited $?: $(tail -3 "$d/stderr")"
      $PY - "$d" "$enc" "$cfg" <<'PY' || fail "$enc $fmt config $cfg"
import csv, json, sys
from osgeo import ogr
d, enc, cfg = sys.argv[1:4]
t = json.load(open(f'{d}/truth.json', encoding='utf-8'))
ext = {r['parcel_key']: r for r in csv.DictReader(open(f'{d}/out/t/tax_extract.csv', encoding='utf-8'))}
assert len(ext) == t['n'], f"{len(ext)} extract rows, want {t['n']}"
for k, v in t['truth'].items():
    r = ext[k]
    assert r['owner_name'] == v['owner'], f"{k}: owner {r['owner_name']!r} != {v['owner']!r}"
    assert r['address'] == v['address'], f"{k}: address {r['address']!r} != {v['address']!r}"
ds = ogr.Open(f'{d}/out/t/parcels.gpkg')
places = {f.GetField('parcel_key'): f.GetField('place') for f in ds.GetLayerByName('parcels')}
for k, v in t['truth'].items():
    assert places.get(k) == v['place'], f"{k}: place {places.get(k)!r} != {v['place']!r}"
m = json.load(open(f'{d}/out/t/manifest.json'))
for kind in ('map', 'register'):
    (i,) = [i for i in m['inputs'] if i['kind'] == kind]
    text = i.get('text', {'converted': 0, 'ambiguous': 0})
    want = 0 if enc == 'UTF-8' else t['nonascii'][kind]
    assert text['converted'] == want, f"{kind}: converted {text} want {want}"
    assert text['ambiguous'] == 0, f"{kind}: ambiguous {text}"
PY
      n=$((n + 1))
    done
  done
  echo "ok: $enc (dbf, csv; explicit and auto)"
done
echo "PASS ingest_encodings ($n runs)"
