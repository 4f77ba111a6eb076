#!/usr/bin/env bash
# Kill the backend in the middle of a load (pg_terminate_backend from another session while the
# parcels COPY runs, held open by the test hook LANDREC_TEST_PAUSE_LOAD): landrec exits 4 and
# the views still show the previous run, unchanged; nothing of the killed load is left; a rerun
# of the killed run id then publishes it.
source "$(dirname "$0")/lib.sh"

sample "$T/a" 1
sample "$T/b" 2 # another seed: its rows differ, so a leak would show
"$LR_BINARY" db init "$URL" >/dev/null || fail "db init failed"
rc=$(run_landrec "$T/a.log" "$T/a/landrec.yaml" --out "$T/out" --run-id A --warehouse "$URL")
[ "$rc" = 0 ] || fail "run A exited $rc: $(tail -3 "$T/a.log")"
view_csv "$T/before.csv"
same_rows "$T/out/A/tax_extract.csv" "$T/before.csv"
parts_before=$(q "SELECT count(*) FROM pg_inherits")

LANDREC_TEST_PAUSE_LOAD=120 "$LR_BINARY" run "$T/b/landrec.yaml" --out "$T/out" --run-id B \
    --warehouse "$URL" >"$T/b.log.out" 2>"$T/b.log" &
pid=$!
copy_pid=
for _ in $(seq 1 1200); do
    copy_pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'landrec'
                  AND query LIKE 'COPY %parcels_l%' AND state = 'active'")
    [ -n "$copy_pid" ] && grep -q "pausing the load" "$T/b.log" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
[ -n "$copy_pid" ] || { kill $pid 2>/dev/null; fail "the load of B never reached its COPY: $(tail -3 "$T/b.log")"; }
[ "$(q "SELECT tuples_processed > 0 FROM pg_stat_progress_copy WHERE pid = $copy_pid")" = t ] ||
    fail "the COPY had not received rows when it was killed"
# Mid-load, readers see A.
view_csv "$T/during.csv"
same_rows "$T/out/A/tax_extract.csv" "$T/during.csv"
[ "$(q "SELECT pg_terminate_backend($copy_pid)")" = t ] || fail "cannot terminate the backend"
set +e
wait $pid
rc=$?
set -e
[ "$rc" = 4 ] || fail "the killed load exited $rc, not 4: $(tail -3 "$T/b.log")"
grep -q "nothing was published" "$T/b.log" || fail "the message does not say nothing was published: $(tail -1 "$T/b.log")"

# The warehouse still shows A, unchanged, and holds nothing of B.
[ "$(q "SELECT run_id FROM landrec.published")" = A ] || fail "published is no longer A"
view_csv "$T/after.csv"
cmp -s "$T/before.csv" "$T/after.csv" || fail "the view changed after the killed load"
same_rows "$T/out/A/tax_extract.csv" "$T/after.csv"
[ "$(q "SELECT count(*) FROM landrec.parcels_current WHERE run_id <> 'A'")" = 0 ] || fail "parcels_current shows B"
[ "$(q "SELECT count(*) FROM landrec.loads WHERE run_id = 'B'")" = 0 ] || fail "the killed load is recorded"
[ "$(q "SELECT count(*) FROM landrec.runs WHERE run_id = 'B'")" = 0 ] || fail "the killed run is in runs"
[ "$(q "SELECT count(*) FROM pg_inherits")" = "$parts_before" ] || fail "the killed load left partitions"
[ "$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'landrec' AND c.relname ~ '_l[0-9]+$' AND c.relkind = 'r'")" = 6 ] ||
    fail "tables of the killed load are left over"
[ "$(readlink "$T/out/latest")" = A ] || fail "OUTPUT/latest switched although the warehouse failed"

# The same run id again, without the kill: published.
rc=$(run_landrec "$T/b2.log" "$T/b/landrec.yaml" --out "$T/out" --run-id B --warehouse "$URL")
[ "$rc" = 0 ] || fail "rerun of B exited $rc: $(tail -3 "$T/b2.log")"
view_csv "$T/b.csv"
same_rows "$T/out/B/tax_extract.csv" "$T/b.csv"
if cmp -s <(tail -n +2 "$T/before.csv" | LC_ALL=C sort) <(tail -n +2 "$T/b.csv" | LC_ALL=C sort); then
    fail "runs A and B have the same rows: the test cannot tell them apart"
fi
[ "$(readlink "$T/out/latest")" = B ] || fail "latest does not name B"
echo "ok: killed load left the published run A unchanged; B published on rerun"
