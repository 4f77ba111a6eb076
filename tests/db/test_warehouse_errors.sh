#!/usr/bin/env bash
# Warehouse failures exit 4 with a clear message, leave the published run (views and
# OUTPUT/latest) as it was and never print a password: server down, wrong password, schema not
# initialised, PostGIS missing (db init without the right to create it; a database that lost it).
source "$(dirname "$0")/lib.sh"

sample "$T/s" 1
"$LR_BINARY" db init "$URL" >/dev/null || fail "db init failed"
rc=$(run_landrec "$T/a.log" "$T/s/landrec.yaml" --out "$T/out" --run-id A --warehouse "$URL")
[ "$rc" = 0 ] || fail "run A exited $rc: $(tail -3 "$T/a.log")"
view_csv "$T/a.csv"

# expect_fail NAME URL PATTERN: a run into URL exits 4 with PATTERN in its message; A stays.
expect_fail() {
    local name=$1 url=$2 pattern=$3 rc
    rc=$(run_landrec "$T/$name.log" "$T/s/landrec.yaml" --out "$T/out" --run-id "$name" --warehouse "$url")
    [ "$rc" = 4 ] || fail "$name: exited $rc, not 4: $(tail -2 "$T/$name.log")"
    grep -Eq "$pattern" "$T/$name.log" || fail "$name: no '$pattern' in: $(tail -1 "$T/$name.log")"
    grep -q "nothing was published" "$T/$name.log" || fail "$name: the message does not say nothing was published"
    [ "$(readlink "$T/out/latest")" = A ] || fail "$name: OUTPUT/latest switched"
    [ "$(q "SELECT run_id FROM landrec.published")" = A ] || fail "$name: published changed"
    view_csv "$T/$name.csv"
    cmp -s "$T/a.csv" "$T/$name.csv" || fail "$name: the view changed"
    echo "ok: $name: $(tail -1 "$T/$name.log")"
}

expect_fail down "postgresql:///landrec?host=$T/nowhere&port=$PGPORT&user=postgres" \
    "cannot connect to the warehouse.*check that the server is running"

q "CREATE ROLE lr_secret LOGIN SUPERUSER PASSWORD 'Right-Pw_1'" >/dev/null
expect_fail password "$(url_for landrec lr_secret Wrong-Pw_99)" "password authentication failed"
if grep -rq "Wrong-Pw_99" "$T/password.log" "$T/password.log.out" "$T/out"; then
    fail "the wrong password appears in the log or the run folder"
fi
grep -q "lr_secret:\*\*\*@" "$T/password.log" || fail "the URL is not shown masked"

q "CREATE DATABASE fresh" postgres >/dev/null
expect_fail uninitialised "$(url_for fresh)" "no landrec schema 'landrec': run 'landrec db init URL' first"

# db init by a role that may not create PostGIS.
q "CREATE ROLE lr_plain LOGIN" >/dev/null
q "CREATE DATABASE plain OWNER lr_plain" postgres >/dev/null
set +e
"$LR_BINARY" db init "$(url_for plain lr_plain)" >"$T/init_plain.out" 2>"$T/init_plain.err"
rc=$?
set -e
[ "$rc" = 4 ] || fail "db init without the right to create PostGIS exited $rc"
grep -q 'permission denied to create extension "postgis"' "$T/init_plain.err" ||
    fail "db init message does not name the extension: $(cat "$T/init_plain.err")"
[ "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'landrec'" plain)" = 0 ] ||
    fail "a failed db init left a partial schema"
echo "ok: db init without PostGIS rights: $(tail -1 "$T/init_plain.err")"

# A database that lost PostGIS after db init.
q "CREATE DATABASE lost" postgres >/dev/null
"$LR_BINARY" db init "$(url_for lost)" >/dev/null || fail "db init of lost failed"
q "DROP EXTENSION postgis CASCADE" lost >/dev/null 2>&1
expect_fail nopostgis "$(url_for lost)" "lacks the PostGIS extension"

# An older schema version.
"$LR_BINARY" db init "$(url_for fresh)" >/dev/null || fail "db init of fresh failed"
q "DELETE FROM landrec.schema_version WHERE version = (SELECT max(version) FROM landrec.schema_version)" fresh >/dev/null
expect_fail oldschema "$(url_for fresh)" "is at version [0-9]+, this landrec needs [0-9]+: run 'landrec db init URL'"

# The server goes away between runs.
runuser_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
runuser_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
rc=$(run_landrec "$T/stopped.log" "$T/s/landrec.yaml" --out "$T/out" --run-id stopped --warehouse "$URL")
[ "$rc" = 4 ] || fail "run against a stopped server exited $rc"
grep -q "cannot connect to the warehouse" "$T/stopped.log" || fail "stopped: $(tail -1 "$T/stopped.log")"
[ "$(readlink "$T/out/latest")" = A ] || fail "stopped: OUTPUT/latest switched"
runuser_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w start >/dev/null
view_csv "$T/restart.csv"
cmp -s "$T/a.csv" "$T/restart.csv" || fail "the view changed across the stopped server"
echo "ok: stopped server"
