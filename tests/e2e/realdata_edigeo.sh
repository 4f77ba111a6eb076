#!/usr/bin/env bash
# End-to-end on real French cadastre data (shared/realdata, see each SOURCE.md), read through the
# same config mechanism as the Vietnamese maps:
#   1. the Chambery sheet (EDIGEO, NTF Lambert II): 155 parcels read as map AND as register (the
#      registered area SUPF), reconciled with area_tolerance 0.05; the area_mismatch count is
#      checked against an independent computation (GDAL's Python bindings) with landrec's rule,
#      and the known answer (39 of 155 beyond 5 % at full precision) is checked too;
#   2. the 9 Etalab sheets (tar.bz2, extracted here): two communes as two map sources with
#      globs, 389 + 511 parcels, Lambert-93, all keys distinct, no duplicate_key;
#   3. the same plus a second delivery of sheet ZB01: its 68 parcels are loaded once
#      (duplicate_feature), conservation holds.
#
# Key mapping of a French IDU (12 chars, e.g. 065000AB0312 = commune 065, prefix 000, section AB,
# number 0312), written as the source's `sql:` (GDAL's SQLite dialect):
#   commune = departement code || the IDU's 3-digit commune number  (73 || 065 -> 73065)
#   sheet   = prefix * 1296 + the section's two characters read in base 36 (0-9, A-Z): AB -> 371
#   parcel  = the IDU's last 4 digits as an integer                  (0312 -> 312)
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SHARED_DIR:?}"
RD="$LR_SHARED_DIR/realdata"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3 # Debian's python3 has GDAL's bindings (python3-gdal)
$PY -c 'import osgeo' 2>/dev/null || fail "python3-gdal is needed for the independent areas"

B36="'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
idu_sql() { # $1 = departement code
  echo "SELECT *, '$1' || substr(IDU,1,3) AS commune, CAST(substr(IDU,4,3) AS INTEGER) * 1296 + (instr($B36, substr(IDU,7,1)) - 1) * 36 + instr($B36, substr(IDU,8,1)) - 1 AS sheet, CAST(substr(IDU,9,4) AS INTEGER) AS parcel FROM PARCELLE_id"
}
zones() { # $1 = dir: one Lambert-93 price zone over the whole of France
  cat > "$1/zones.csv" <<'EOF'
zone_id,land_use,position,price_vnd_m2,WKT
FR,ODT,1,1000000,"POLYGON((0 6000000,1300000 6000000,1300000 7200000,0 7200000,0 6000000))"
EOF
  ogr2ogr -f GPKG "$1/zones.gpkg" "$1/zones.csv" -oo GEOM_POSSIBLE_NAMES=WKT \
    -oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:2154 -nln price_zones
}

# Independent count: parcels whose area (target CRS) differs from SUPF by more than 5 %, by
# landrec's rule (areas and the tolerance in tenths of m2, rounded half up: money.h), and the
# same at full precision (SOURCE.md's known answers).
count_beyond() { # files...
  $PY - "$@" <<'PY'
import sys
from decimal import Decimal, ROUND_HALF_UP
from osgeo import ogr, osr
dst = osr.SpatialReference(); dst.ImportFromEPSG(2154)
dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
rounded = full = 0
for path in sys.argv[1:]:
    ds = ogr.Open(path)  # keep the dataset alive while its layer is read
    lyr = ds.GetLayerByName('PARCELLE_id')
    src = lyr.GetSpatialRef(); src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    for f in lyr:
        g = f.GetGeometryRef().Clone(); g.Transform(ct)
        a, s = g.GetArea(), f.GetField('SUPF')
        a1 = int(Decimal(repr(a)).quantize(Decimal('0.1'), ROUND_HALF_UP) * 10)  # dm2
        s1 = int(Decimal(repr(s)).quantize(Decimal('0.1'), ROUND_HALF_UP) * 10)
        tol = (s1 * 5 + 50) // 100  # 0.05 x SUPF, half up, in dm2 (money.h)
        rounded += abs(a1 - s1) > tol
        full += abs(a - s) / s > 0.05
print(rounded, full)
PY
}

mismatch_count() { # run dir
  $PY -c 'import csv,sys; print(sum(r["class"]=="area_mismatch" for r in csv.DictReader(open(sys.argv[1]))))' "$1/mismatches.csv"
}

# ---- 1. the Chambery sheet ----
D="$T/chambery"; mkdir -p "$D"; zones "$D"
printf 'old_code,old_name,new_code,new_name\n73065,Chambery,73065,Chambery\n' > "$D/crosswalk.csv"
THF="$RD/edigeo-french-cadastre/E000AB01.THF"
cat > "$D/landrec.yaml" <<EOF
run: {name: chambery, output: out}
target_crs: EPSG:2154
communes: {crosswalk: crosswalk.csv}
sources:
  maps:
    - path: $THF
      layer: PARCELLE_id
      sql: "$(idu_sql 73)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
  register:
    - path: $THF
      sql: "$(idu_sql 73)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
  price_zones: {path: zones.gpkg}
match: {area_tolerance: 0.05}
EOF
"$LR_BINARY" run "$D/landrec.yaml" --out "$D/out" --run-id t -q || fail "chambery run exited $?"
read -r want_rounded want_full < <(count_beyond "$THF")
got=$(mismatch_count "$D/out/t")
[ "$want_full" = 39 ] || fail "chambery: independent full-precision count $want_full, SOURCE.md says 39"
[ "$got" = "$want_rounded" ] || fail "chambery: landrec area_mismatch $got, independent $want_rounded"
$PY - "$D/out/t/manifest.json" <<'PY' || fail "chambery manifest"
import json, sys
m = json.load(open(sys.argv[1]))
c = m['conservation']
assert c['map']['input'] == 155 and c['register']['input'] == 155, c
assert c['map']['matched'] == 155 and c['register']['matched'] == 155, c
maps = [i for i in m['inputs'] if i['kind'] == 'map']
assert len(maps) == 1 and maps[0]['features'] == 155, maps
op = maps[0]['crs_operation']
assert '+proj=lcc' in op and '+pm=paris' in op and '+x_0=700000' in op, op
assert maps[0]['crs_assumed'] is False
PY
echo "ok: chambery: 155 parcels, area_mismatch $got (independent: $want_rounded at 0.1 m2, $want_full at full precision)"

# ---- 2. the Etalab sheets: two communes, nine sheets ----
E="$T/etalab"; mkdir -p "$E/sheets"; zones "$E"
for a in "$RD"/edigeo-etalab-cadastre/*/*.tar.bz2; do
  dep=$(basename "$(dirname "$a")"); n=$(basename "$a" .tar.bz2)
  mkdir -p "$E/sheets/$dep/$n"
  tar xjf "$a" -C "$E/sheets/$dep/$n" 2>/dev/null || fail "cannot extract $a"
done
printf 'old_code,old_name,new_code,new_name\n13029,Cornillon-Confoux,13029,Cornillon-Confoux\n25354,Luxiol,25354,Luxiol\n' > "$E/crosswalk.csv"
etalab_config() { # $1 = extra map source block
  cat > "$E/landrec.yaml" <<EOF
run: {name: etalab, output: out}
target_crs: EPSG:2154
communes: {crosswalk: crosswalk.csv}
sources:
  maps:
    - path: sheets/13029/*/E000*.THF
      layer: PARCELLE_id
      sql: "$(idu_sql 13)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
    - path: sheets/25354/*/E000*.THF
      layer: PARCELLE_id
      sql: "$(idu_sql 25)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
$1
  register:
    - path: sheets/13029/*/E000*.THF
      sql: "$(idu_sql 13)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
    - path: sheets/25354/*/E000*.THF
      sql: "$(idu_sql 25)"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}
  price_zones: {path: zones.gpkg}
match: {area_tolerance: 0.05}
gates: {max_unmatched_ratio: 0.05}
EOF
}
etalab_config ""
"$LR_BINARY" run "$E/landrec.yaml" --out "$E/out" --run-id t -q || fail "etalab run exited $?"
read -r want_rounded want_full < <(count_beyond "$E"/sheets/*/*/E000*.THF)
got=$(mismatch_count "$E/out/t")
[ "$want_full" = 213 ] || fail "etalab: independent full-precision count $want_full, SOURCE.md's sheets add up to 213"
[ "$got" = "$want_rounded" ] || fail "etalab: landrec area_mismatch $got, independent $want_rounded"
$PY - "$E/out/t" <<'PY' || fail "etalab outputs"
import csv, json, sys
run = sys.argv[1]
m = json.load(open(f"{run}/manifest.json"))
maps = [i for i in m['inputs'] if i['kind'] == 'map']
assert len(maps) == 9, [i['path'] for i in maps]
per = {i['path'].split('/')[-2]: i['features'] for i in maps}
want = {'edigeo-130290000A01': 389, 'edigeo-25354000AB01': 14, 'edigeo-25354000AK01': 142,
        'edigeo-25354000ZB01': 68, 'edigeo-25354000ZC01': 78, 'edigeo-25354000ZD01': 22,
        'edigeo-25354000ZE01': 61, 'edigeo-25354000ZH01': 80, 'edigeo-25354000ZI01': 46}
assert per == want, per
c = m['conservation']
assert c['map']['input'] == 900 and c['map']['matched'] == 900, c['map']
assert c['register']['input'] == 900 and c['register']['matched'] == 900, c['register']
mis = list(csv.DictReader(open(f"{run}/mismatches.csv")))
assert not [r for r in mis if r['class'] == 'duplicate_key'], 'duplicate keys across sheets'
ext = list(csv.DictReader(open(f"{run}/tax_extract.csv")))
keys = {r['parcel_key'] for r in ext}
assert len(keys) == len(ext), 'a key twice in the extract'
assert {k.split('-')[0] for k in keys} == {'13029', '25354'}, 'communes'
for i in maps:  # Lambert-93 to EPSG:2154: the same datum, no shift
    assert 'helmert' not in i['crs_operation'] and 'cart' not in i['crs_operation'], i
PY
echo "ok: etalab: 9 sheets, 900 parcels, 900 keys, area_mismatch $got (independent: $want_rounded at 0.1 m2, $want_full at full precision)"

# ---- 3. one sheet delivered twice: loaded once ----
mkdir -p "$E/again/edigeo-25354000ZB01"
cp "$E"/sheets/25354/edigeo-25354000ZB01/* "$E/again/edigeo-25354000ZB01/"
etalab_config "    - path: again/*/E000*.THF
      layer: PARCELLE_id
      sql: \"$(idu_sql 25)\"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: SUPF}"
"$LR_BINARY" run "$E/landrec.yaml" --out "$E/out" --run-id t2 -q || fail "etalab twice exited $?"
$PY - "$E/out/t2" <<'PY' || fail "dedupe"
import csv, json, sys
run = sys.argv[1]
c = json.load(open(f"{run}/manifest.json"))['conservation']['map']
assert c['input'] == 968 and c['matched'] == 900, c
assert c['rejected'] == {'duplicate_feature': 68}, c['rejected']
mis = list(csv.DictReader(open(f"{run}/mismatches.csv")))
assert not [r for r in mis if r['class'] == 'duplicate_key'], 'copies became duplicate keys'
PY
echo "ok: a second delivery of sheet ZB01: 68 duplicate_feature, 0 duplicate_key"
echo "PASS realdata_edigeo"
