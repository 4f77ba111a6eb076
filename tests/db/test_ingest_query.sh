#!/usr/bin/env bash
# A register read from PostgreSQL (sources.register[].query + url, through OGR's PG driver) gives
# the same tax extract as the same rows read from CSV; the query's own errors (a missing table)
# exit 3 naming the source without its password. (The unreachable-server case runs without a
# server in tests/e2e/ingest_formats.sh.)
source "$(dirname "$0")/lib.sh"

sample "$T/s" 3 600
rc=$(run_landrec "$T/csv.log" "$T/s/landrec.yaml" --out "$T/out" --run-id csv)
[ "$rc" = 0 ] || fail "csv run exited $rc: $(tail -2 "$T/csv.log")"

q "CREATE TABLE so_dia_chinh (ma_xa text, so_to text, so_thua text, loai_dat text, dien_tich text,
   chu_su_dung text, so_dinh_danh text, so_gcn text, dia_chi text)" >/dev/null
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PGPORT" -U postgres -d landrec \
    -c "\\copy so_dia_chinh FROM '$T/s/register.csv' WITH (FORMAT csv, HEADER)" || fail "copy"
URLQ=$(url_for landrec)
URLQ=${URLQ//&/\\&} # for sed
sed -i "s|    - path: register.csv|    - query: SELECT * FROM so_dia_chinh\n      url: \"$URLQ\"|" "$T/s/landrec.yaml"
rc=$(run_landrec "$T/pg.log" "$T/s/landrec.yaml" --out "$T/out" --run-id pg)
[ "$rc" = 0 ] || fail "query run exited $rc: $(grep -v INFO "$T/pg.log" | tail -2)"
cmp -s "$T/out/csv/tax_extract.csv" "$T/out/pg/tax_extract.csv" ||
    fail "extracts differ: $(diff "$T/out/csv/tax_extract.csv" "$T/out/pg/tax_extract.csv" | head -3)"
python3 - "$T/out/pg/manifest.json" "$(($(wc -l <"$T/s/register.csv") - 1))" <<'PY' || fail "manifest"
import json, sys
m = json.load(open(sys.argv[1]))
(r,) = [i for i in m['inputs'] if i['kind'] == 'register']
assert r['features'] == int(sys.argv[2]), r
assert r['path'].startswith('postgresql://') and len(r['sha256']) == 64, r
PY
echo "ok: register from a PostgreSQL query = register from CSV"

q "CREATE ROLE lr_reader LOGIN PASSWORD 'Q-secret_9'" >/dev/null
q "GRANT SELECT ON so_dia_chinh TO lr_reader" >/dev/null
python3 - "$T/s/landrec.yaml" "$(url_for landrec lr_reader Q-secret_9)" <<'PY'
import re, sys
p, url = sys.argv[1], sys.argv[2]
s = open(p).read().replace('SELECT * FROM so_dia_chinh', 'SELECT * FROM no_such_table')
s = re.sub(r'url: ".*"', lambda m: f'url: "{url}"', s)
open(p, 'w').write(s)
PY
rc=$(run_landrec "$T/bad.log" "$T/s/landrec.yaml" --out "$T/out" --run-id bad)
[ "$rc" = 3 ] || fail "bad query exited $rc: $(tail -1 "$T/bad.log")"
grep -q "the source's query failed.*no_such_table" "$T/bad.log" || fail "bad query: $(tail -1 "$T/bad.log")"
! grep -q "Q-secret_9" "$T/bad.log" || fail "the password is in the log"
echo "ok: a failing query exits 3 without the password"
echo "PASS ingest_query"
