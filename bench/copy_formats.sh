#!/usr/bin/env bash
# copy_formats.sh PARCELS.gpkg [ROUNDS] - the server side of the warehouse load, interleaved so
# that a busy machine affects every contender alike: the same parcels (the GeoPackage that
# warehouse_load.sh WORKDIR leaves: landrec's own rows) loaded ROUNDS times (default 3) each as
#   binary  COPY FROM (FORMAT binary) into a table shaped like landrec.parcels, then its GiST
#           and key indexes and ANALYZE (what a landrec load does for the parcels table),
#   text    the same with FORMAT text (hex EWKB geometries),
#   ogr2ogr GPKG -> PostGIS (PG_USE_COPY, GiST index, one transaction).
# The binary and text files are written by the server's COPY TO (untimed); psql streams them,
# so landrec's own encoding time is not in these figures (warehouse_load.sh has it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
GPKG=${1:?usage: copy_formats.sh PARCELS.gpkg [ROUNDS]}
ROUNDS=${2:-3}
LR_BINARY=${LR_BINARY:?set LR_BINARY to the landrec binary}
PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
W=$(mktemp -d "${TMPDIR:-/tmp}/landrec-copyfmt.XXXXXX")
chmod 0755 "$W"
trap 'bash "$here/tests/db/pg_stop.sh" "$W/pg"; rm -rf "$W"' EXIT
URL=$(bash "$here/tests/db/pg_start.sh" "$W/pg")
PGCONN="dbname=landrec host=$W/pg/sock port=$(cat "$W/pg/port") user=postgres"
psql_() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$URL" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

"$LR_BINARY" db init "$URL" >/dev/null
ogr2ogr -f PostgreSQL "PG:$PGCONN" "$GPKG" parcels -nln src -lco SCHEMA=public \
    -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -nlt MULTIPOLYGON
cols="parcel_key, old_commune, sheet, parcel, new_commune, source, fid, land_use, land_use_raw,
      place, scale, status, reject_reason, record_key, confidence, area_m2, area_source_plane_m2,
      area_attr_m2, extract_area_m2, area_source, price_zone, position, unit_price_vnd,
      value_vnd, tax_vnd, issues, geom"
psql_ <<SQL
CREATE TABLE public.ref (LIKE landrec.parcels);
INSERT INTO public.ref (load_no, run_id, $cols)
SELECT 1, run_id, $cols FROM public.src;
SQL
rows=$(psql_ -c "SELECT count(*) FROM public.ref")
chmod 0777 "$W"
psql_ -c "COPY public.ref TO '$W/parcels.bin' WITH (FORMAT binary)"
psql_ -c "COPY public.ref TO '$W/parcels.txt' WITH (FORMAT text)"
echo "rows: $rows; binary file $(du -h "$W/parcels.bin" | cut -f1), text file $(du -h "$W/parcels.txt" | cut -f1)"

# load FORMAT FILE: seconds for COPY + indexes + ANALYZE into a fresh table.
load() {
    local t0
    psql_ -c "DROP TABLE IF EXISTS public.t" >/dev/null 2>&1
    t0=$(now)
    psql_ <<SQL
BEGIN;
CREATE TABLE public.t (LIKE landrec.parcels);
\\copy public.t FROM '$2' WITH (FORMAT $1, FREEZE true)
COMMIT;
SQL
    local tc
    tc=$(since "$t0")
    psql_ -c "CREATE INDEX ON public.t USING gist (geom)" -c "CREATE INDEX ON public.t (parcel_key)" \
        -c "ANALYZE public.t"
    echo "$tc $(since "$t0")"
}
ogr() {
    local t0
    psql_ -c "DROP TABLE IF EXISTS public.ogr_parcels" >/dev/null 2>&1
    t0=$(now)
    PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:$PGCONN" "$GPKG" parcels -nln ogr_parcels \
        -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco SCHEMA=public -nlt MULTIPOLYGON \
        -gt unlimited
    since "$t0"
}
printf "%-6s %-8s %10s %12s %12s\n" round method copy_s total_s rows_per_s
for r in $(seq 1 "$ROUNDS"); do
    read -r c t < <(load binary "$W/parcels.bin")
    printf "%-6s %-8s %10s %12s %12.0f\n" "$r" binary "$c" "$t" "$(awk -v n="$rows" -v t="$t" 'BEGIN { print n / t }')"
    read -r c t < <(load text "$W/parcels.txt")
    printf "%-6s %-8s %10s %12s %12.0f\n" "$r" text "$c" "$t" "$(awk -v n="$rows" -v t="$t" 'BEGIN { print n / t }')"
    t=$(ogr)
    printf "%-6s %-8s %10s %12s %12.0f\n" "$r" ogr2ogr - "$t" "$(awk -v n="$rows" -v t="$t" 'BEGIN { print n / t }')"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
