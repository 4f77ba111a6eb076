#!/usr/bin/env bash
# warehouse_load.sh [PARCELS] [WORKDIR] - load rows/s of the warehouse at PARCELS map parcels
# (default 1,000,000): landrec's binary and text COPY loads and publish time, against ogr2ogr
# loading the same parcels (same rows, columns and geometries, exported from landrec's load
# into a GeoPackage first, untimed) into PostGIS on the same server in the same run.
#
# Server: LR_BENCH_URL if set, else a throwaway PostgreSQL 15 + PostGIS (tests/db/pg_start.sh:
# fsync off, unix socket). Binary: LR_BINARY (required).
# Prints one line per measurement and a summary table; keeps nothing unless WORKDIR is given.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000000}
LR_BINARY=${LR_BINARY:?set LR_BINARY to the landrec binary (a RelWithDebInfo build)}
PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
W=${2:-}
keep=1
if [ -z "$W" ]; then
    W=$(mktemp -d "${TMPDIR:-/tmp}/landrec-bench.XXXXXX")
    keep=0
fi
mkdir -p "$W"
chmod 0755 "$W"
cleanup() {
    [ -n "${PGDIR:-}" ] && bash "$here/tests/db/pg_stop.sh" "$PGDIR"
    [ "$keep" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

if [ -n "${LR_BENCH_URL:-}" ]; then
    URL=$LR_BENCH_URL
else
    PGDIR="$W/pg"
    URL=$(bash "$here/tests/db/pg_start.sh" "$PGDIR")
fi
psql_() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$URL" "$@"; }
# GDAL's PG: connection string for the same server (its URI parser wants key=value here).
PGCONN=$(psql_ -c "SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
                   coalesce(current_setting('unix_socket_directories'), 'localhost'),
                   current_setting('port'), current_user)")
PGCONN=${PGCONN%%,*}

t0=$(date +%s.%N)
"$LR_BINARY" sample "$W/s" --parcels "$N" --communes 20 --seed 7 >/dev/null 2>"$W/sample.log"
echo "sample: $N parcels wanted in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
"$LR_BINARY" db init "$URL" >/dev/null
echo "landrec: $("$LR_BINARY" version | head -1); PostgreSQL: $(psql_ -c 'SHOW server_version');" \
    "PostGIS: $(psql_ -c 'SELECT postgis_lib_version()'); $(ogr2ogr --version | cut -d, -f1)"
echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"


# run FMT ID: a run into the warehouse with COPY format FMT; prints its warehouse log lines.
run() {
    LANDREC_COPY_FORMAT=$1 "$LR_BINARY" run "$W/s/landrec.yaml" --out "$W/out" --run-id "$2" \
        --warehouse "$URL" -v >"$W/$2.out" 2>"$W/$2.log"
    grep -E "\[warehouse\]" "$W/$2.log" | sed "s/^[^ ]* //"
}
echo "--- landrec, binary COPY"
run binary bin1
echo "--- landrec, text COPY"
run text txt1
echo "--- landrec, binary COPY (again: replaces run bin1)"
run binary bin1

parcels=$(psql_ -c "SELECT count(*) FROM landrec.parcels_current")
# The same parcels for ogr2ogr: landrec's rows and geometries as a GeoPackage (not timed).
ogr2ogr -f GPKG "$W/parcels.gpkg" "PG:$PGCONN" -nln parcels -nlt MULTIPOLYGON -lco FID=ogc_fid \
    -sql "SELECT * FROM landrec.parcels_current" 2>/dev/null
echo "--- ogr2ogr GPKG -> PostGIS (COPY, GiST index), $(ogrinfo -so -al "$W/parcels.gpkg" | grep -m1 'Feature Count')"
for gt in 100000 unlimited; do
    psql_ -c "DROP TABLE IF EXISTS public.ogr_parcels" >/dev/null
    t0=$(date +%s.%N)
    PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:$PGCONN" "$W/parcels.gpkg" parcels -nln ogr_parcels \
        -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco SCHEMA=public -nlt MULTIPOLYGON \
        -gt "$gt" 2>"$W/ogr.log"
    t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    rows=$(psql_ -c "SELECT count(*) FROM public.ogr_parcels")
    echo "ogr2ogr -gt $gt: $rows rows in $t s: $(awk -v r="$rows" -v t="$t" 'BEGIN { printf "%.0f", r / t }') rows/s"
done
echo "--- sizes"
psql_ -c "SELECT 'landrec parcels (one load): ' || pg_size_pretty(pg_total_relation_size(c.oid))
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'landrec.parcels'::regclass ORDER BY c.oid DESC LIMIT 1"
psql_ -c "SELECT 'ogr2ogr table: ' || pg_size_pretty(pg_total_relation_size('public.ogr_parcels'))"
echo "parcels in the published run: $parcels"
