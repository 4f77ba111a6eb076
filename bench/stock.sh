#!/usr/bin/env bash
# stock.sh SAMPLE_DIR OUT_CSV - the stock path for a `landrec sample` folder: a throwaway PostgreSQL
# 15 + PostGIS (tests/db/pg_start.sh: initdb in a temporary folder, unix socket, fsync off),
# ogr2ogr loads the maps (every shapefile into one table), the register, the price zones and the
# crosswalk, then each "-- stage:" section of bench/stock.sql runs on its own; the extract goes
# to OUT_CSV. Prints one line per stage, "stage seconds", then "peak_rss_kb N": the largest sum
# of the proportional set size (Pss) of the server's processes and the client tool, sampled
# every 0.2 s. The cluster is removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: stock.sh SAMPLE_DIR OUT_CSV}
out_csv=${2:?usage: stock.sh SAMPLE_DIR OUT_CSV}
src=$(cd "$src" && pwd)
PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/landrec-stock.XXXXXX")
chmod 755 "$pgdir"
url=$("$here/../tests/db/pg_start.sh" "$pgdir/pg")
port=$(cat "$pgdir/pg/port")
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  "$here/../tests/db/pg_stop.sh" "$pgdir/pg"
  rm -rf "$pgdir"
}
trap cleanup EXIT
psql_() { PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir/pg/sock" -p "$port" -U postgres -d landrec "$@"; }
pg="PG:host=$pgdir/pg/sock port=$port user=postgres dbname=landrec"

# Pss of the postmaster and its children (and of any ogr2ogr/psql of this script), every 0.2 s.
pss_sampler() {
  local pm peak=0
  pm=$(head -1 "$pgdir/pg/data/postmaster.pid")
  while :; do
    local sum=0 p
    for p in $pm $(pgrep -P "$pm") $(pgrep -x ogr2ogr) ; do
      local v
      v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
      sum=$((sum + ${v:-0}))
    done
    [ "$sum" -gt "$peak" ] && peak=$sum && echo "$peak" >"$pgdir/peak"
    sleep 0.2
  done
}
pss_sampler &
sampler=$!

stamp() { date +%s.%N; }
psql_ -c "CREATE EXTENSION postgis" -c "CREATE SCHEMA bench" >/dev/null
# PostGIS 3.3 lacks EPSG:9212 (DOMAIN.md): the row from PROJ's own database
wkt=$(projinfo EPSG:9212 -o WKT1_GDAL --single-line -q)
p4=$(projinfo EPSG:9212 -o PROJ -q)
psql_ -v wkt="$wkt" -v p4="$p4" >/dev/null <<'SQL'
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
SELECT 9212, 'EPSG', 9212, :'wkt', :'p4'
WHERE NOT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = 9212);
SQL

# load: ogr2ogr (COPY mode), every map file into one table, text as Latin-1 (no TCVN3 decoder)
t0=$(stamp)
first=1
for shp in "$src"/maps/*.shp; do
  if [ $first = 1 ]; then mode=(-lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -nlt PROMOTE_TO_MULTI); first=0
  else mode=(-append -nlt PROMOTE_TO_MULTI); fi
  ogr2ogr --config SHAPE_ENCODING ISO-8859-1 -f PostgreSQL "$pg" "$shp" -nln bench.maps \
    -a_srs EPSG:9212 -gt 100000 "${mode[@]}"
done
ogr2ogr -f PostgreSQL "$pg" "$src/register.csv" -nln bench.register -oo AUTODETECT_TYPE=NO -gt 100000
ogr2ogr -f PostgreSQL "$pg" "$src/price_zones.gpkg" -nln bench.price_zones -lco GEOMETRY_NAME=geom \
  -lco SPATIAL_INDEX=NONE -nlt PROMOTE_TO_MULTI
ogr2ogr -f PostgreSQL "$pg" "$src/crosswalk.csv" -nln bench.crosswalk -oo AUTODETECT_TYPE=NO
psql_ -c "ANALYZE" >/dev/null
t1=$(stamp)
echo "load $(echo "$t1 - $t0" | bc)"

# the SQL stages, one at a time
awk -v dir="$pgdir" '/^-- stage: / { name = $3; print name >> (dir "/stages") } name { print > (dir "/" name ".sql") }' \
  "$here/stock.sql"
while read -r st; do
  t0=$(stamp)
  if [ "$st" = extract ]; then
    psql_ -f "$pgdir/$st.sql" >"$out_csv"
  else
    psql_ -f "$pgdir/$st.sql" >/dev/null
    psql_ -c "ANALYZE" >/dev/null
  fi
  t1=$(stamp)
  echo "$st $(echo "$t1 - $t0" | bc)"
done <"$pgdir/stages"
echo "rows $(($(wc -l <"$out_csv") - 1))"
echo "overlap_rows $(psql_ -At -c 'SELECT count(*) FROM bench.overlaps')"
echo "peak_rss_kb $(cat "$pgdir/peak" 2>/dev/null || echo 0)"
