#!/usr/bin/env bash
# End-to-end: each CRS case of a map source, on a small fixture set made from `landrec sample`
# (ingest_lib.py): declared (.prj), missing (config crs: crs_assumed on every parcel), forced
# (a wrong .prj overridden with force: true), refused before any work with exit 3 and a message
# naming the file and layer (HN-72, towgs84=0, k=0.9996 on a TM-3 zone, UTM coordinates read as
# TM-3, TM-3 read as another zone, no CRS at all) with the likely zone suggested, and HN-72
# accepted with an explicit `crs_pipeline` that the manifest then records.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3
LIB="$LR_SOURCE_DIR/tests/e2e/ingest_lib.py"
export LR_SOURCE_DIR
N=20

"$LR_BINARY" sample "$T/s" --parcels 300 --communes 1 --seed 11 >/dev/null 2>&1 || fail "sample"
B="$T/base"
$PY "$LIB" set "$T/s" "$B" $N UTF-8 UTF-8 csv || fail fixture

# fresh copy of the fixture in $1; the map's .prj from $2 ("" = none); config crs $3 ("" = none)
setup() {
  rm -rf "$1"; cp -r "$B" "$1"
  if [ -n "$2" ]; then printf '%s' "$2" > "$1/maps/m.prj"; fi
  $PY - "$1" "$3" "${4:-}" <<'PY'
import sys
sys.path.insert(0, __import__('os').environ['LR_SOURCE_DIR'] + '/tests/e2e')
import ingest_lib
d, crs, extra = sys.argv[1], sys.argv[2], sys.argv[3]
ingest_lib.config(d, crs=crs or None, map_extra=extra)
PY
}
# run $1 and expect exit $2 with stderr matching every further pattern
expect() {
  local d=$1 want=$2; shift 2
  set +e; "$LR_BINARY" run "$d/landrec.yaml" --out "$d/out" --run-id t -q >"$d/stdout" 2>"$d/stderr"
  local rc=$?; set -e
  [ "$rc" = "$want" ] || fail "$(basename "$d"): exit $rc, want $want: $(grep -v INFO "$d/stderr" | tail -2)"
  for p in "$@"; do
    grep -q -- "$p" "$d/stderr" || fail "$(basename "$d"): no '$p' in: $(grep -v INFO "$d/stderr" | tail -2)"
  done
}
manifest() { # dir python-assertions (m = manifest, mp = the map input)
  $PY - "$1/out/t/manifest.json" "$2" <<'PY' || fail "$(basename "$1") manifest"
import json, sys
m = json.load(open(sys.argv[1]))
(mp,) = [i for i in m['inputs'] if i['kind'] == 'map']
exec(sys.argv[2])
PY
}
esri() { gdalsrsinfo -o wkt_esri "$1" | tr -d '\n '; }
PRJ_9212=$(esri EPSG:9212)

# 1. declared
setup "$T/declared" "$PRJ_9212" ""
expect "$T/declared" 0
manifest "$T/declared" "assert mp['crs_assumed'] is False and '+lon_0=106.25' in mp['crs_operation'] and 'helmert' not in mp['crs_operation'] and m['conservation']['map']['matched'] == $N"
echo "ok: declared"

# 2. missing: the config's crs, crs_assumed on every parcel
setup "$T/missing" "" "EPSG:9212"
expect "$T/missing" 0
manifest "$T/missing" "assert mp['crs_assumed'] is True, mp"
n=$($PY -c 'import sys; from osgeo import ogr; ds = ogr.Open(sys.argv[1]); print(sum(f.GetField("class") == "crs_assumed" for f in ds.GetLayerByName("issues")))' "$T/missing/out/t/parcels.gpkg")
[ "$n" = $N ] || fail "missing: $n crs_assumed issues, want $N"
cmp -s "$T/declared/out/t/tax_extract.csv" "$T/missing/out/t/tax_extract.csv" || fail "missing: extract differs from declared"
echo "ok: missing -> crs_assumed x $n"

# 3. a wrong .prj (the Dong Nai zone) is refused, with the right zone suggested...
setup "$T/wrong" "$(esri EPSG:5899)" "EPSG:9212"
expect "$T/wrong" 3 "maps/m.shp' layer 'm'" "away from the commune boundaries" "EPSG:9212 (VN-2000 / TM-3 106-15)" "force: true"
[ ! -e "$T/wrong/out/t/manifest.json" ] || fail "wrong: a run was written"
# ... and forced
setup "$T/forced" "$(esri EPSG:5899)" "EPSG:9212" "
      force: true"
expect "$T/forced" 0
manifest "$T/forced" "assert mp['crs_assumed'] is False and '+lon_0=106.25' in mp['crs_operation']"
cmp -s "$T/declared/out/t/tax_extract.csv" "$T/forced/out/t/tax_extract.csv" || fail "forced: extract differs"
echo "ok: wrong .prj refused with EPSG:9212 suggested; forced"

# 4. no CRS anywhere: refused, zone suggested
setup "$T/none" "" ""
expect "$T/none" 3 "layer 'm' has no CRS and the config gives none" "likely EPSG:9212"
echo "ok: no CRS -> likely EPSG:9212"

# 5. HN-72 refused; with an explicit pipeline accepted and recorded
HN72_TO_5899="+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=105 +k=1 +x_0=18500000 +y_0=0 +ellps=krass +step +proj=push +v_3 +step +proj=cart +ellps=krass +step +proj=helmert +x=-17.51 +y=-108.32 +z=-62.39 +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 +step +proj=tmerc +lat_0=0 +lon_0=107.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84"
INVERSE="+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=107.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +step +proj=push +v_3 +step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-17.51 +y=-108.32 +z=-62.39 +step +inv +proj=cart +ellps=krass +step +proj=pop +v_3 +step +proj=tmerc +lat_0=0 +lon_0=105 +k=1 +x_0=18500000 +y_0=0 +ellps=krass"
mkdir -p "$T/hn"
ogr2ogr -s_srs EPSG:9212 -t_srs EPSG:5899 "$T/hn/m5899.shp" "$B/maps/m.shp" 2>/dev/null
ogr2ogr -ct "$INVERSE" "$T/hn/m.shp" "$T/hn/m5899.shp" 2>/dev/null
setup "$T/hn72" "$(esri EPSG:2044)" ""
cp "$T/hn/m.shp" "$T/hn/m.shx" "$T/hn72/maps/"
expect "$T/hn72" 3 "HN-72" "crs_pipeline"
setup "$T/hn72p" "$(esri EPSG:2044)" "" "
      crs_pipeline: \"$HN72_TO_5899\""
cp "$T/hn/m.shp" "$T/hn/m.shx" "$T/hn72p/maps/"
expect "$T/hn72p" 0
manifest "$T/hn72p" "assert '+ellps=krass' in mp['crs_operation'] and '+x=-17.51' in mp['crs_operation'], mp; assert m['conservation']['map']['matched'] == $N"
echo "ok: HN-72 refused; accepted with crs_pipeline, recorded in the manifest"

# 6. provincial definitions that PROJ would use wrongly
TOWGS0='PROJCS["VN2000_BinhPhuoc",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563],TOWGS84[0,0,0,0,0,0,0]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",106.25],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]'
setup "$T/towgs" "$TOWGS0" ""
expect "$T/towgs" 3 "towgs84=0" "200 m"
K9996=$(printf '%s' "$PRJ_9212" | sed 's/"Scale_Factor",0.9999/"Scale_Factor",0.9996/')
setup "$T/k" "$K9996" ""
expect "$T/k" 3 "k=0.9996" "k=0.9999"
echo "ok: towgs84=0 and k=0.9996 refused"

# 7. UTM coordinates read as TM-3: refused, UTM 48N suggested; declared UTM works
mkdir -p "$T/utm"
ogr2ogr -s_srs EPSG:9212 -t_srs EPSG:3405 "$T/utm/m.shp" "$B/maps/m.shp" 2>/dev/null
setup "$T/utm_as_tm3" "$PRJ_9212" ""
cp "$T/utm/m.shp" "$T/utm/m.shx" "$T/utm_as_tm3/maps/"
expect "$T/utm_as_tm3" 3 "area of use of the source CRS" "EPSG:3405"
setup "$T/utm_ok" "$(esri EPSG:3405)" ""
cp "$T/utm/m.shp" "$T/utm/m.shx" "$T/utm_ok/maps/"
expect "$T/utm_ok" 0
manifest "$T/utm_ok" "assert '+zone=48' in mp['crs_operation'] or '+lon_0=105' in mp['crs_operation'], mp; assert m['conservation']['map']['matched'] == $N"
# TM-3 coordinates declared as UTM: refused, EPSG:9212 suggested
setup "$T/tm3_as_utm" "$(esri EPSG:3405)" ""
expect "$T/tm3_as_utm" 3 "the CRS is wrong" "EPSG:9212"
echo "ok: UTM read as TM-3 and TM-3 read as UTM refused; UTM declared works"
echo "PASS ingest_crs"
