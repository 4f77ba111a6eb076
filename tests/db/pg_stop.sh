#!/usr/bin/env bash
# pg_stop.sh DIR - stop the cluster pg_start.sh started in DIR and remove DIR.
set -uo pipefail

PG_BIN=${LR_PG_BIN:-/usr/lib/postgresql/15/bin}
dir=${1:?usage: pg_stop.sh DIR}
[ -d "$dir" ] || exit 0
if [ -f "$dir/data/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    else
        "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
fi
rm -rf "$dir"
