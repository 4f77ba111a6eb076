#!/usr/bin/env bash
# The server's disk fills up in the middle of a COPY (the load's tables go to a tablespace on a
# 4 MiB tmpfs): landrec exits 4 saying the disk is full, and the published run stays as it was.
# Mounting a tmpfs needs root (CI runs as root); elsewhere the test is skipped (exit 77).
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skip: mounting a small tmpfs needs root"
    exit 77
fi
mkdir -p "$T/ts"
mount -t tmpfs -o size=4m,mode=0700,uid="$(id -u postgres)",gid="$(id -g postgres)" tmpfs "$T/ts" ||
    fail "cannot mount a tmpfs on $T/ts"
AFTER_STOP="umount '$T/ts'"

sample "$T/a" 1
sample "$T/b" 2 20000
"$LR_BINARY" db init "$URL" >/dev/null || fail "db init failed"
rc=$(run_landrec "$T/a.log" "$T/a/landrec.yaml" --out "$T/out" --run-id A --warehouse "$URL")
[ "$rc" = 0 ] || fail "run A exited $rc: $(tail -3 "$T/a.log")"
view_csv "$T/a.csv"

q "CREATE TABLESPACE small LOCATION '$T/ts'" >/dev/null
q "ALTER DATABASE landrec SET default_tablespace = small" >/dev/null
rc=$(run_landrec "$T/b.log" "$T/b/landrec.yaml" --out "$T/out" --run-id B --warehouse "$URL")
[ "$rc" = 4 ] || fail "a load onto a full disk exited $rc, not 4: $(tail -2 "$T/b.log")"
grep -q "loading parcels failed" "$T/b.log" || fail "the disk did not fill during the parcels COPY: $(tail -1 "$T/b.log")"
grep -q "SQLSTATE 53100" "$T/b.log" || fail "not a disk-full error: $(tail -1 "$T/b.log")"
grep -q "disk is full" "$T/b.log" || fail "the message does not say the disk is full"
grep -q "nothing was published" "$T/b.log" || fail "the message does not say nothing was published"
[ "$(q "SELECT run_id FROM landrec.published")" = A ] || fail "published changed"
view_csv "$T/after.csv"
cmp -s "$T/a.csv" "$T/after.csv" || fail "the view changed after the failed load"
[ "$(readlink "$T/out/latest")" = A ] || fail "OUTPUT/latest switched"
[ "$(q "SELECT count(*) FROM landrec.loads WHERE run_id = 'B'")" = 0 ] || fail "the failed load is recorded"
echo "ok: disk full: $(tail -1 "$T/b.log")"
