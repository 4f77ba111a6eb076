#!/usr/bin/env bash
# lib.sh - shared set-up of the db tests (sourced): a throwaway PostgreSQL 15 + PostGIS started
# with pg_start.sh, stopped and removed on exit, and small helpers. Needs LR_BINARY and
# LR_SOURCE_DIR (set by CTest). A server that cannot start fails the test: no skipping.
set -euo pipefail

: "${LR_BINARY:?LR_BINARY must name the landrec binary}"
: "${LR_SOURCE_DIR:?LR_SOURCE_DIR must name the source tree}"
PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
export PGCONNECT_TIMEOUT=10

T=$(mktemp -d "${TMPDIR:-/tmp}/landrec-dbtest.XXXXXX")
chmod 0755 "$T"
PGDIR="$T/pg"
AFTER_STOP="" # a command run after the server stopped, before the folder goes (e.g. umount)
cleanup() {
    bash "$LR_SOURCE_DIR/tests/db/pg_stop.sh" "$PGDIR" || true
    if [ -n "$AFTER_STOP" ]; then eval "$AFTER_STOP" || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

URL=$(bash "$LR_SOURCE_DIR/tests/db/pg_start.sh" "$PGDIR") || fail "cannot start PostgreSQL 15 + PostGIS"
PGPORT=$(cat "$PGDIR/port")
SOCK="$PGDIR/sock"

# url_for DB [USER [PASSWORD]]: a URL on the test server.
url_for() {
    local db=$1 user=${2:-postgres} pw=${3:-}
    if [ -n "$pw" ]; then
        echo "postgresql://$user:$pw@/$db?host=$SOCK&port=$PGPORT"
    else
        echo "postgresql:///$db?host=$SOCK&port=$PGPORT&user=$user"
    fi
}

# q SQL [DB]: one value (or rows, '|'-separated) from the test server as postgres.
q() {
    "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PGPORT" -U postgres \
        -d "${2:-landrec}" -c "$1"
}

# view_csv OUT [SCHEMA] [DB]: the tax_extract view as CSV with header, like tax_extract.csv.
view_csv() {
    local schema=${2:-landrec}
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PGPORT" -U postgres \
        -d "${3:-landrec}" \
        -c "\\copy (SELECT * FROM \"$schema\".tax_extract) TO '$1' WITH (FORMAT csv, HEADER)"
}

# same_rows A.csv B.csv: same header line and the same multiset of rows.
same_rows() {
    [ "$(head -1 "$1")" = "$(head -1 "$2")" ] || fail "headers differ: $(head -1 "$1") / $(head -1 "$2")"
    [ "$(wc -l <"$1")" -gt 1 ] || fail "$1 holds no rows"
    cmp -s <(tail -n +2 "$1" | LC_ALL=C sort) <(tail -n +2 "$2" | LC_ALL=C sort) ||
        fail "rows of $1 and $2 differ: $(diff <(tail -n +2 "$1" | LC_ALL=C sort) <(tail -n +2 "$2" | LC_ALL=C sort) | head -5)"
}

# sample DIR SEED [PARCELS]: a sample input set.
sample() {
    "$LR_BINARY" sample "$1" --parcels "${3:-1500}" --communes 3 --seed "$2" >/dev/null 2>&1 ||
        fail "landrec sample $1 failed"
}

# run_landrec LOG ARGS...: run `landrec run ARGS` with stderr in LOG; prints the exit status.
run_landrec() {
    local log=$1
    shift
    set +e
    "$LR_BINARY" run "$@" >"$log.out" 2>"$log"
    echo $?
    set -e
}
