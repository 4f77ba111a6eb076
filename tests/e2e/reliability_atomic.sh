#!/usr/bin/env bash
# Reliability: atomic publication. A run killed with SIGKILL before each stage in turn (the
# LANDREC_TEST_PAUSE_STAGE hook) and at timed points inside stages leaves OUTPUT/latest and the
# previous run exactly as they were; its own work stays under RUN_ID.tmp and never looks
# complete. A run folder without .tmp, when one appears, is complete and its checksums verify.
source "$(dirname "$0")/reliability/lib.sh"
cfg="$LR_SOURCE_DIR/samples/landrec.yaml"
out="$T/out"
"$LR_BINARY" run "$cfg" --out "$out" --run-id base -q >/dev/null 2>&1 || fail "base run failed"
base_sum=$(tree_sums "$out/base")

check_untouched() {
  local id=$1
  [ "$(readlink "$out/latest")" = base ] || fail "$id: latest moved to $(readlink "$out/latest")"
  [ "$(tree_sums "$out/base")" = "$base_sum" ] || fail "$id: the published run changed"
  (cd "$out/base" && sha256sum -c --quiet SHA256SUMS) || fail "$id: base checksums"
}

for stage in load reproject validate match value extract publish; do
  id="kill-$stage"
  start_paused "$stage" "$T/$id.log" "$cfg" --out "$out" --run-id "$id"
  kill -9 "$PID"
  wait "$PID" 2>/dev/null || true
  check_untouched "$id"
  [ -d "$out/$id.tmp" ] || fail "$id: no work folder $id.tmp"
  [ ! -e "$out/$id" ] || fail "$id: a killed run left a folder named like a complete run"
  ! grep -qs '"status": *"complete"' "$out/$id.tmp/manifest.json" || fail "$id: manifest says complete"
  ok "killed before $stage: latest and base untouched, work in $id.tmp"
done

# timed kills anywhere in the run (the sample run takes well under a second unsanitized; an
# ASan build is slower: the later kills then land in later stages)
t0=$(date +%s.%N)
"$LR_BINARY" run "$cfg" --out "$T/timing" --run-id t -q >/dev/null 2>&1
t1=$(date +%s.%N)
total_ms=$(python3 -c "print(int(($t1 - $t0) * 1000))")
for pct in 5 15 25 35 45 55 65 75 85 92 97; do
  id="timed-$pct"
  ms=$((total_ms * pct / 100))
  "$LR_BINARY" run "$cfg" --out "$out" --run-id "$id" --no-publish -q >/dev/null 2>&1 &
  pid=$!
  sleep "$(python3 -c "print($ms / 1000)")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check_untouched "$id"
  if [ -d "$out/$id" ]; then
    (cd "$out/$id" && sha256sum -c --quiet SHA256SUMS) || fail "$id: a run folder without .tmp does not verify"
    grep -q '"status": *"complete"' "$out/$id/manifest.json" || fail "$id: run folder without a complete manifest"
    state="complete"
  else
    state="left as $id.tmp"
    [ -d "$out/$id.tmp" ] || state="killed before its work folder existed"
  fi
  ok "killed after ${ms} ms: $state"
done

# the next normal run takes over the stale lock and publishes
"$LR_BINARY" run "$cfg" --out "$out" --run-id next -q >/dev/null 2>&1 || fail "run after the kills failed"
[ "$(readlink "$out/latest")" = next ] || fail "run after the kills did not publish"
echo "PASS reliability_atomic"
