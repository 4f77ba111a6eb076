#!/usr/bin/env bash
# pg_start.sh [DIR] - start a throwaway PostgreSQL 15 + PostGIS cluster for the db tests.
#
# Creates DIR (default: a new temporary folder), runs initdb in DIR/data, starts the server with
# no TCP listener (unix socket in DIR/sock, a private port number for the socket name), creates
# database "landrec" and prints one line: the connection URL. Stop it with pg_stop.sh DIR.
# initdb refuses to run as root: as root every server command runs as user postgres
# (runuser) on a folder owned by postgres. Fails (exit 1) when PostgreSQL 15 or PostGIS is not
# installed: in CI a missing server is a failure, not a skip.
set -euo pipefail

PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
dir=${1:-}
if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/landrec-pg.XXXXXX")
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

fail() {
    echo "pg_start.sh: $*" >&2
    exit 1
}

[ -x "$PG_BIN/initdb" ] || fail "PostgreSQL 15 is not installed ($PG_BIN/initdb missing): apt-get install postgresql-15 postgresql-15-postgis-3"
[ -f /usr/share/postgresql/15/extension/postgis.control ] ||
    fail "PostGIS is not installed for PostgreSQL 15: apt-get install postgresql-15-postgis-3"

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A private port: the socket name carries it; with no TCP listener it cannot collide.
port=$((20000 + RANDOM % 30000))
mkdir -p "$dir/data" "$dir/sock"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir" "$dir/data" "$dir/sock"
fi
chmod 0700 "$dir/data"
as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || fail "initdb failed: $(tail -3 "$dir/initdb.log")"
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
shared_buffers = 256MB
maintenance_work_mem = 512MB
log_min_messages = warning
CONF
# Password checks for the role lr_secret (tests of wrong passwords and URL masking).
cat >"$dir/data/pg_hba.conf" <<HBA
local all lr_secret scram-sha-256
local all all trust
HBA
as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    fail "server did not start: $(tail -5 "$dir/server.log")"
echo "$port" >"$dir/port"
"$PG_BIN/psql" -X -q -h "$dir/sock" -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE landrec" >/dev/null || fail "cannot create database landrec"
echo "postgresql:///landrec?host=$dir/sock&port=$port&user=postgres"
