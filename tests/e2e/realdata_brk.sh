#!/usr/bin/env bash
# End-to-end on the Dutch Kadaster BRK "Kadastrale Kaart" GML extracts (shared/realdata/
# nl-brk-kadastralekaart, see SOURCE.md): product v5 (Otterlo, 11 parcels) and v4 (Amsterdam,
# 8 parcels) as two map sources of one batch, read with NLExtract's .gfs templates (copied next
# to the GML in a temporary folder: GDAL would write .gfs sidecars into shared/ otherwise, and
# without a template it sees only the label point), RD New (EPSG:28992) as the target CRS, the
# registered area `oppervlakte` as the register side, area_tolerance 0.05.
#
# Key mapping: commune = kadgemeentecode (761 Otterlo, 42 Amsterdam), sheet = the section letters
# read in base 36 (B -> 11, AK -> 380), parcel = perceelnummer.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SHARED_DIR:?}"
NL="$LR_SHARED_DIR/realdata/nl-brk-kadastralekaart"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3

cp "$NL/v5/kadastralekaart_perceel.gml" "$T/"
cp "$NL/gfs/brk.gfs" "$T/kadastralekaart_perceel.gfs"
cp "$NL/v4/dkk_perceel.gml" "$T/"
cp "$NL/gfs/brk-v4.gfs" "$T/dkk_perceel.gfs"
B36="'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
SQL="SELECT *, kadgemeentecode AS commune, CASE length(sectie) WHEN 1 THEN instr($B36, sectie) - 1 ELSE (instr($B36, substr(sectie,1,1)) - 1) * 36 + instr($B36, substr(sectie,2,1)) - 1 END AS sheet, perceelnummer AS parcel FROM Perceel"
cat > "$T/zones.csv" <<'EOF'
zone_id,land_use,position,price_vnd_m2,WKT
NL,ODT,1,1000000,"POLYGON((0 300000,300000 300000,300000 650000,0 650000,0 300000))"
EOF
ogr2ogr -f GPKG "$T/zones.gpkg" "$T/zones.csv" -oo GEOM_POSSIBLE_NAMES=WKT \
  -oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:28992 -nln price_zones
printf 'old_code,old_name,new_code,new_name\n761,Otterlo,761,Otterlo\n42,Amsterdam,42,Amsterdam\n' > "$T/crosswalk.csv"
cat > "$T/landrec.yaml" <<EOF
run: {name: brk, output: out}
target_crs: EPSG:28992
communes: {crosswalk: crosswalk.csv}
sources:
  maps:
    - path: kadastralekaart_perceel.gml
      layer: Perceel
      sql: "$SQL"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: oppervlakte}
    - path: dkk_perceel.gml
      layer: Perceel
      sql: "$SQL"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: oppervlakte}
  register:
    - path: kadastralekaart_perceel.gml
      sql: "$SQL"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: oppervlakte}
    - path: dkk_perceel.gml
      sql: "$SQL"
      fields: {commune: commune, sheet: sheet, parcel: parcel, area: oppervlakte}
  price_zones: {path: zones.gpkg}
match: {area_tolerance: 0.05}
EOF
"$LR_BINARY" run "$T/landrec.yaml" --out "$T/out" --run-id t -q || fail "run exited $?"
$PY - "$T/out/t" <<'PY' || fail "outputs"
import csv, json, sys
run = sys.argv[1]
m = json.load(open(f"{run}/manifest.json"))
maps = [i for i in m['inputs'] if i['kind'] == 'map']
assert [i['features'] for i in maps] == [11, 8], maps
for i in maps:
    assert i['crs_assumed'] is False
    op = i['crs_operation']  # RD New to RD New: nothing to do
    assert 'helmert' not in op and 'cart' not in op, op
c = m['conservation']
assert c['map']['input'] == 19 and c['map']['matched'] == 19, c
assert c['register']['input'] == 19 and c['register']['matched'] == 19, c
ext = {r['parcel_key']: r for r in csv.DictReader(open(f"{run}/tax_extract.csv"))}
want = {'00761-11-2298', '00761-11-2318', '00042-380-4271', '00042-380-9', '00042-380-140'}
assert want <= set(ext), sorted(ext)
mis = list(csv.DictReader(open(f"{run}/mismatches.csv")))
area = sorted(r['parcel_key'] for r in mis if r['class'] == 'area_mismatch')
# SOURCE.md: v4 parcel AK 9 is 1680 registered vs 1583.6 computed (-5.7 %); every other parcel
# is within 5 % (the closest, Otterlo B 2320: 6 vs 6.3, is exactly 5 % at one decimal)
assert area == ['00042-380-9'], area
print(f"19 parcels, area_mismatch {area}")
PY
echo "PASS realdata_brk"
