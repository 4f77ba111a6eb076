#!/usr/bin/env bash
# A sharded run publishes into the warehouse from its merge, in the one-transaction switch: the
# shards never touch the warehouse; `landrec merge --warehouse` loads the merged run, the views
# then show it (the rows of its tax_extract.csv, every map parcel), and a merge that finds a
# shard missing leaves the published data as it was.
source "$(dirname "$0")/lib.sh"

sample "$T/s" 5 3000
cfg="$T/s/landrec.yaml"
"$LR_BINARY" db init "$URL" >/dev/null || fail "db init failed"

# an earlier published single-machine run
rc=$(run_landrec "$T/one.log" "$cfg" --out "$T/out" --run-id one --warehouse "$URL")
[ "$rc" = 0 ] || fail "single run exited $rc: $(tail -3 "$T/one.log")"

# three shards: nothing reaches the warehouse
for i in 0 1 2; do
    rc=$(run_landrec "$T/s$i.log" "$cfg" --out "$T/out" --run-id sh --shard $i/3 --warehouse "$URL")
    [ "$rc" = 0 ] || fail "shard $i exited $rc: $(tail -3 "$T/s$i.log")"
done
[ "$(q "SELECT count(*) FROM landrec.published WHERE run_id = 'sh'")" = 0 ] || fail "a shard published"
[ "$(q "SELECT run_id FROM landrec.published")" = one ] || fail "a shard changed the published run"

# a merge with a shard missing: exit 1, the warehouse unchanged
mv "$T/out/sh.tmp/shards/1" "$T/shard1.away"
set +e
"$LR_BINARY" merge "$T/out/sh" --warehouse "$URL" -q >/dev/null 2>"$T/m1.log"
rc=$?
set -e
[ $rc -eq 1 ] || fail "merge without shard 1 exited $rc: $(cat "$T/m1.log")"
[ "$(q "SELECT run_id FROM landrec.published")" = one ] || fail "an incomplete merge published"
mv "$T/shard1.away" "$T/out/sh.tmp/shards/1"

# the merge loads and switches
"$LR_BINARY" merge "$T/out/sh" --warehouse "$URL" -q >/dev/null 2>"$T/m2.log" ||
    fail "merge --warehouse failed: $(tail -3 "$T/m2.log")"
[ "$(q "SELECT run_id FROM landrec.published")" = sh ] || fail "published is not the merged run"
view_csv "$T/view.csv"
same_rows "$T/out/sh/tax_extract.csv" "$T/view.csv"
cmp -s "$T/out/one/tax_extract.csv" "$T/out/sh/tax_extract.csv" || fail "sharded extract differs"
map_in=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['conservation']['map']['input'])" \
    "$T/out/sh/manifest.json")
[ "$(q "SELECT count(*) FROM landrec.parcels_current")" = "$map_in" ] ||
    fail "parcels_current holds $(q "SELECT count(*) FROM landrec.parcels_current") rows, the run $map_in"
echo "ok: shards leave the warehouse alone; the merge publishes the sharded run ($map_in parcels)"
