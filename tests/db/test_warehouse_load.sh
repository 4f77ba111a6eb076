#!/usr/bin/env bash
# `landrec db init` + `landrec run --warehouse` on the samples: the views return the rows of
# tax_extract.csv, the shard tables hold every parcel and record, geometries are the parcels'
# (EPSG:5899, areas as in the run), the EPSG:9205-9218 rows are PROJ's, a re-run of the same run
# id replaces it without duplicates, text and binary COPY load the same rows, retention drops
# old loads, a quoted schema name works, and a password in the URL never reaches logs or files.
source "$(dirname "$0")/lib.sh"

sample "$T/s1" 1
"$LR_BINARY" db init "$URL" >"$T/init1.out" || fail "db init failed"
grep -q "applied 001_schema.sql" "$T/init1.out" || fail "db init did not apply the files: $(cat "$T/init1.out")"
"$LR_BINARY" db init "$URL" >"$T/init2.out" || fail "second db init failed"
grep -q "nothing to apply" "$T/init2.out" || fail "second db init applied again: $(cat "$T/init2.out")"
[ "$(q "SELECT count(*) FROM landrec.schema_version")" = "$(ls "$LR_SOURCE_DIR"/sql/[0-9]*.sql | wc -l)" ] ||
    fail "schema_version does not list every sql file"

# spatial_ref_sys: the rows PostGIS 3.3 lacks, equal to PROJ's definitions, usable by ST_Transform.
[ "$(q "SELECT count(*) FROM spatial_ref_sys WHERE srid BETWEEN 9205 AND 9218")" = 14 ] ||
    fail "spatial_ref_sys lacks EPSG:9205-9218"
command -v projinfo >/dev/null || fail "projinfo is missing (Debian: proj-bin)"
for code in $(seq 9205 9218); do
    want=$(projinfo -o PROJ -q "EPSG:$code" | sed 's/ +type=crs//')
    got=$(q "SELECT proj4text FROM spatial_ref_sys WHERE srid = $code")
    [ "$want" = "$got" ] || fail "EPSG:$code proj4text '$got' is not PROJ's '$want'"
    want=$(projinfo -o WKT1_GDAL --single-line -q "EPSG:$code")
    got=$(q "SELECT srtext FROM spatial_ref_sys WHERE srid = $code")
    [ "$want" = "$got" ] || fail "EPSG:$code srtext is not PROJ's WKT"
done

# A run loads and publishes; the view returns the rows of tax_extract.csv.
rc=$(run_landrec "$T/run1.log" "$T/s1/landrec.yaml" --out "$T/out" --run-id r1 --warehouse "$URL")
[ "$rc" = 0 ] || fail "run --warehouse exited $rc: $(tail -3 "$T/run1.log")"
[ "$(readlink "$T/out/latest")" = r1 ] || fail "latest does not name r1"
view_csv "$T/view1.csv"
same_rows "$T/out/r1/tax_extract.csv" "$T/view1.csv"
[ "$(q "SELECT run_id FROM landrec.published")" = r1 ] || fail "published is not r1"

# Every map parcel and every unmatched register record is in the warehouse.
# mj EXPR: EXPR over m, the run's manifest as jsonb.
mj() {
    echo "SELECT $1 FROM (SELECT :'m'::jsonb AS m) AS x;" |
        "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PGPORT" -U postgres -d landrec \
            -v m="$(cat "$T/out/r1/manifest.json")"
}
map_in=$(mj "m->'conservation'->'map'->>'input'")
reg_out=$(mj "(m->'conservation'->'register'->>'unmatched')::int
              + coalesce((SELECT sum(value::int) FROM jsonb_each_text(m->'conservation'->'register'->'rejected')), 0)")
[ -n "$map_in" ] && [ "$map_in" -gt 0 ] || fail "manifest has no map input count"
[ "$(q "SELECT count(*) FROM landrec.parcels_current")" = "$map_in" ] ||
    fail "parcels_current holds $(q "SELECT count(*) FROM landrec.parcels_current") rows, the manifest $map_in map features"
[ "$(q "SELECT count(*) FROM landrec.register_only WHERE run_id = 'r1'")" = "$reg_out" ] ||
    fail "register_only does not hold the $reg_out unmatched/rejected register records"

# Geometries: typed, valid, and their area is the run's area.
[ "$(q "SELECT count(*) FROM landrec.parcels_current WHERE geom IS NOT NULL")" -gt 0 ] || fail "no geometries"
bad=$(q "SELECT count(*) FROM landrec.parcels_current WHERE geom IS NOT NULL AND
          (ST_SRID(geom) <> 5899 OR NOT ST_IsValid(geom) OR abs(ST_Area(geom) - area_m2) > 0.051)")
[ "$bad" = 0 ] || fail "$bad parcel geometries are not the run's (SRID, validity or area)"
[ "$(q "SELECT count(*) FROM landrec.parcels_current WHERE geom IS NOT NULL AND ST_IsEmpty(ST_Transform(geom, 9212))")" = 0 ] ||
    fail "ST_Transform to EPSG:9212 failed"
[ "$(q "SELECT count(*) FROM landrec.issues WHERE run_id = 'r1'")" -gt 0 ] || fail "no issues loaded"

# mismatch_summary counts every row of mismatches.csv, by class.
"$PG_BIN/psql" -X -q -h "$SOCK" -p "$PGPORT" -U postgres -d landrec -v ON_ERROR_STOP=1 <<SQL || fail "cannot read mismatches.csv back"
CREATE TEMP TABLE m (parcel_key text, record_key text, class text, detail text, acknowledged text);
\copy m FROM '$T/out/r1/mismatches.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE public.mcheck AS
SELECT (SELECT count(*) FROM m) AS file_rows,
       (SELECT sum(findings) FROM landrec.mismatch_summary) AS view_rows,
       (SELECT count(*) FROM (SELECT class, count(*) FROM m GROUP BY 1
                              EXCEPT SELECT class, sum(findings) FROM landrec.mismatch_summary GROUP BY 1) d) AS diff;
SQL
[ "$(q "SELECT file_rows = view_rows AND diff = 0 AND file_rows > 0 FROM public.mcheck")" = t ] ||
    fail "mismatch_summary does not count mismatches.csv: $(q "SELECT * FROM public.mcheck")"

# Re-running the same run id replaces it: no duplicates anywhere.
rc=$(run_landrec "$T/run1b.log" "$T/s1/landrec.yaml" --out "$T/out" --run-id r1 --warehouse "$URL")
[ "$rc" = 0 ] || fail "rerun of r1 exited $rc: $(tail -3 "$T/run1b.log")"
rows=$(($(wc -l <"$T/out/r1/tax_extract.csv") - 1))
[ "$(q "SELECT count(*) FROM landrec.runs WHERE run_id = 'r1'")" = 1 ] || fail "r1 is in runs twice"
[ "$(q "SELECT count(*) FROM landrec.loads WHERE run_id = 'r1'")" = 1 ] || fail "r1 has two loads"
[ "$(q "SELECT count(*) FROM landrec.tax_extract_rows WHERE run_id = 'r1'")" = "$rows" ] ||
    fail "tax_extract_rows holds r1 $(q "SELECT count(*) FROM landrec.tax_extract_rows WHERE run_id = 'r1'") times, not $rows"
[ "$(q "SELECT count(*) FROM landrec.parcels WHERE run_id = 'r1'")" = "$map_in" ] || fail "parcels of r1 duplicated"
view_csv "$T/view1b.csv"
same_rows "$T/out/r1/tax_extract.csv" "$T/view1b.csv"

# Text COPY loads the same rows as binary COPY.
LANDREC_COPY_FORMAT=text run_landrec "$T/run_text.log" "$T/s1/landrec.yaml" --out "$T/out" --run-id rtext --warehouse "$URL" >"$T/rc_text"
[ "$(cat "$T/rc_text")" = 0 ] || fail "text COPY run failed: $(tail -3 "$T/run_text.log")"
grep -q "(text COPY)" "$T/run_text.log" || fail "LANDREC_COPY_FORMAT=text was not used"
for t in parcels issues register_only lineage findings tax_extract_rows; do
    d=$(q "SELECT count(*) FROM ((SELECT to_jsonb(t) - 'load_no' - 'run_id' FROM landrec.$t t WHERE run_id = 'r1')
             EXCEPT ALL (SELECT to_jsonb(t) - 'load_no' - 'run_id' FROM landrec.$t t WHERE run_id = 'rtext')) d")
    [ "$d" = 0 ] || fail "$t: $d rows of the binary load differ from the text load"
done
[ "$(q "SELECT status FROM landrec.runs WHERE run_id = 'r1'")" = superseded ] || fail "r1 not kept as history"

# Retention: keep 2 runs; older ones expire and their tables go.
sed 's/^name: .*//' "$T/s1/landrec.yaml" >"$T/s1/retain.yaml"
printf 'warehouse:\n  retention_runs: 2\n' >>"$T/s1/retain.yaml"
for id in k1 k2 k3; do
    rc=$(run_landrec "$T/run_$id.log" "$T/s1/retain.yaml" --out "$T/out" --run-id $id --warehouse "$URL")
    [ "$rc" = 0 ] || fail "run $id exited $rc: $(tail -3 "$T/run_$id.log")"
done
[ "$(q "SELECT string_agg(run_id, ',' ORDER BY run_id) FROM landrec.runs WHERE load_no IS NOT NULL")" = k2,k3 ] ||
    fail "retention kept $(q "SELECT string_agg(run_id, ',' ORDER BY run_id) FROM landrec.runs WHERE load_no IS NOT NULL")"
[ "$(q "SELECT count(*) FROM landrec.runs WHERE status = 'expired'")" = 3 ] || fail "expired runs not recorded"
[ "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 'landrec.parcels'::regclass")" = 2 ] ||
    fail "expired loads still attached"
[ "$(q "SELECT count(DISTINCT run_id) FROM landrec.tax_extract_rows")" = 2 ] || fail "expired rows remain"

# A schema name that needs quoting, from the config; a password in the URL is masked.
q "CREATE ROLE lr_secret LOGIN SUPERUSER PASSWORD 'S3cret-Pw_42'" >/dev/null
purl=$(url_for landrec lr_secret S3cret-Pw_42)
schema='Land "rec" x'
"$LR_BINARY" db init "$purl" --schema "$schema" >"$T/init3.out" 2>"$T/init3.err" || fail "db init --schema failed: $(cat "$T/init3.err")"
cp "$T/s1/landrec.yaml" "$T/s1/schema.yaml"
printf "warehouse:\n  url: %s\n  schema: '%s'\n" "$purl" "$schema" >>"$T/s1/schema.yaml"
rc=$(run_landrec "$T/run_schema.log" "$T/s1/schema.yaml" --out "$T/out2" --run-id q1 -v)
[ "$rc" = 0 ] || fail "run with schema '$schema' exited $rc: $(tail -3 "$T/run_schema.log")"
view_csv "$T/view_q.csv" 'Land ""rec"" x'
same_rows "$T/out2/q1/tax_extract.csv" "$T/view_q.csv"
grep -q 'lr_secret:\*\*\*@' "$T/run_schema.log" || fail "the masked URL is not in the log"
if grep -rq "S3cret-Pw_42" "$T/run_schema.log" "$T/run_schema.log.out" "$T/init3.out" "$T/init3.err" "$T/out2"; then
    fail "the password appears in a log or an output file"
fi
echo "ok: load, views, rerun, text/binary, retention, quoted schema, masked password"
