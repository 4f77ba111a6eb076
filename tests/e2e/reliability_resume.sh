#!/usr/bin/env bash
# Reliability: checkpoints and `landrec run --resume`. A run killed (SIGKILL) before each stage
# in turn, twice in a row, or inside each stage, then resumed, ends byte-identical to
# an uninterrupted run: tax_extract.csv, mismatches.csv, delta.csv, parcels.gpkg and every
# workbook (manifest.json, SHA256SUMS and report.html carry times and are left out). The resume
# reuses the run id (the newest RUN_ID.tmp with a checkpoint of the config, or --run-id); no
# checkpoint reaches the published folder. A changed input or a damaged checkpoint makes the
# resume run every stage again, with a warning.
source "$(dirname "$0")/reliability/lib.sh"
copy_samples
cfg="$T/in/landrec.yaml"

# every output folder starts with the same published run "base", so delta.csv is compared too
"$LR_BINARY" run "$cfg" --out "$T/base" --run-id base -q >/dev/null 2>&1 || fail "base run failed"
fresh_out() { rm -rf "$1"; mkdir -p "$1"; cp -a "$T/base/base" "$1/base"; ln -s base "$1/latest"; }
fresh_out "$T/ref"
"$LR_BINARY" run "$cfg" --out "$T/ref" --run-id r -q >/dev/null 2>&1 || fail "reference run failed"
ref_sum=$(tree_sums "$T/ref/r" | grep -v report.html)
echo "$ref_sum" | grep -q delta.csv || fail "reference run has no delta.csv"
echo "$ref_sum" | grep -q xlsx/ || fail "reference run has no workbooks"

# same_as_ref OUT: the resumed run r in OUT is the reference byte for byte, published, clean
same_as_ref() {
  local out=$1 what=$2
  [ "$(readlink "$out/latest")" = r ] || fail "$what: latest is $(readlink "$out/latest")"
  [ ! -e "$out/r.tmp" ] || fail "$what: work folder left"
  [ ! -e "$out/r/checkpoints" ] || fail "$what: checkpoints in the published folder"
  ! ls -a "$out" | grep -q checkpoints || fail "$what: parked checkpoints left in $out"
  (cd "$out/r" && sha256sum -c --quiet SHA256SUMS) || fail "$what: checksums"
  local got
  got=$(tree_sums "$out/r" | grep -v report.html)
  if [ "$got" != "$ref_sum" ]; then
    diff <(echo "$ref_sum") <(echo "$got") >&2 || true
    fail "$what: outputs differ from the uninterrupted run"
  fi
  python3 - "$T/ref/r/manifest.json" "$out/r/manifest.json" <<'PY' || fail "$what: manifest counts differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a['conservation'] == b['conservation'], (a['conservation'], b['conservation'])
assert [s['name'] for s in a['stages']] == [s['name'] for s in b['stages']]
assert [(s['in'], s['out']) for s in a['stages']] == [(s['in'], s['out']) for s in b['stages']]
assert b['status'] == 'complete'
PY
}

# 1. killed before each stage, resumed
for stage in load reproject validate match value extract publish; do
  out="$T/k-$stage"
  fresh_out "$out"
  start_paused "$stage" "$T/k-$stage.log" "$cfg" --out "$out" --run-id r
  kill -9 "$PID"
  wait "$PID" 2>/dev/null || true
  resume_args=(--resume)
  [ "$stage" = load ] && resume_args=(--resume --run-id r) # no checkpoint yet: name the run
  "$LR_BINARY" run "$cfg" --out "$out" "${resume_args[@]}" -v >/dev/null 2>"$T/r-$stage.log" ||
    fail "resume after a kill before $stage: $(grep ERROR "$T/r-$stage.log")"
  if [ "$stage" = load ]; then
    grep -q "cannot resume run 'r': no checkpoint" "$T/r-$stage.log" || fail "load: no reason given"
  else
    grep -q "resuming from .*checkpoints/.*complete" "$T/r-$stage.log" || fail "$stage: did not resume from a checkpoint"
    grep -q "resumed before stage $stage" "$T/r-$stage.log" || fail "$stage: resumed at the wrong stage: $(grep "run 'r'" "$T/r-$stage.log")"
    ! grep -q "\[load\] start" "$T/r-$stage.log" || fail "$stage: the resume ran load again"
  fi
  same_as_ref "$out" "killed before $stage"
  ok "killed before $stage, resumed: identical"
done

# 2. killed twice (before match, then during the resume before extract)
out="$T/twice"
fresh_out "$out"
start_paused match "$T/tw1.log" "$cfg" --out "$out" --run-id r
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
LANDREC_TEST_PAUSE_STAGE=extract:600 "$LR_BINARY" run "$cfg" --out "$out" --resume >/dev/null 2>"$T/tw2.log" &
PID=$!
wait_pause "$T/tw2.log"
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
"$LR_BINARY" run "$cfg" --out "$out" --resume -v >/dev/null 2>"$T/tw3.log" || fail "third attempt failed"
grep -q "resumed before stage extract" "$T/tw3.log" || fail "twice: did not resume before extract"
same_as_ref "$out" "killed twice"
ok "killed twice, resumed: identical"

# 3. killed inside each stage: SIGKILL as soon as the stage's "start" line is logged
for stage in load reproject validate match value extract publish; do
  out="$T/in-$stage"
  fresh_out "$out"
  "$LR_BINARY" run "$cfg" --out "$out" --run-id r -v >/dev/null 2>"$T/in-$stage.log" &
  pid=$!
  for _ in $(seq 1 3000); do
    grep -q "\[$stage\] start" "$T/in-$stage.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  at=$(ls "$out/r.tmp/checkpoints" "$out/.r.checkpoints" 2>/dev/null | grep ckpt | tail -1 || true)
  state="checkpoint ${at:-none}"
  [ -d "$out/r" ] && state="$state, run folder renamed"
  "$LR_BINARY" run "$cfg" --out "$out" --resume --run-id r -v >/dev/null 2>"$T/in2-$stage.log" ||
    fail "inside $stage: resume failed: $(grep ERROR "$T/in2-$stage.log")"
  same_as_ref "$out" "killed inside $stage"
  ok "killed inside $stage ($state), resumed: identical"
done

# 3b. killed inside publish after its rename (the state is set up by hand: the window is a few
#     syscalls): the run folder exists unpublished and the checkpoints are parked beside it
out="$T/renamed"
fresh_out "$out"
start_paused publish "$T/rn.log" "$cfg" --out "$out" --run-id r
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
mv "$out/r.tmp/checkpoints" "$out/.r.checkpoints"
mv "$out/r.tmp" "$out/r"
"$LR_BINARY" run "$cfg" --out "$out" --resume -v >/dev/null 2>"$T/rn2.log" || fail "renamed: resume failed"
grep -q "interrupted while publishing: publishing it again" "$T/rn2.log" || fail "renamed: not recognised: $(grep INFO "$T/rn2.log" | head -3)"
same_as_ref "$out" "killed after publish's rename"
ok "killed after publish's rename, resumed (without --run-id): identical"
# ... and after the switch of latest: nothing to do, the parked checkpoints are removed
mkdir "$out/.r.checkpoints"
"$LR_BINARY" run "$cfg" --out "$out" --resume --run-id r -v >/dev/null 2>"$T/rn3.log" || fail "published: resume failed"
grep -q "run 'r' is complete and published: nothing to do" "$T/rn3.log" || fail "published: not recognised"
[ ! -e "$out/.r.checkpoints" ] || fail "published: parked checkpoints left"
same_as_ref "$out" "resume of a published run"
ok "resume of a published run: nothing to do, parked checkpoints removed"

# 4. a damaged checkpoint: every stage again, same result
out="$T/damaged"
fresh_out "$out"
start_paused value "$T/dm.log" "$cfg" --out "$out" --run-id r
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
ck=$(ls "$out"/r.tmp/checkpoints/*.ckpt | tail -1)
printf '\x00\x01' | dd of="$ck" bs=1 seek=2000 conv=notrunc status=none
"$LR_BINARY" run "$cfg" --out "$out" --resume --run-id r -v >/dev/null 2>"$T/dm2.log" || fail "damaged: run failed"
grep -q "WARN.*cannot resume run 'r': the checkpoint is damaged" "$T/dm2.log" || fail "damaged: no warning"
grep -q "\[load\] start" "$T/dm2.log" || fail "damaged: load did not run again"
same_as_ref "$out" "damaged checkpoint"
ok "damaged checkpoint: warned, ran again, identical"

# 4b. the newest checkpoint refers to the load's for what later stages did not change
#     (checkpoint.h): that file damaged, or gone, is a checkpoint that cannot be used
for how in damage remove; do
  out="$T/ref-$how"
  fresh_out "$out"
  start_paused value "$T/rf-$how.log" "$cfg" --out "$out" --run-id r
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true
  ck="$out/r.tmp/checkpoints/00-load.ckpt"
  [ -f "$ck" ] && [ "$(ls "$out"/r.tmp/checkpoints/*.ckpt | wc -l)" -gt 1 ] ||
    fail "referred $how: the load's checkpoint is not kept beside the newest"
  if [ $how = damage ]; then
    printf '\x00\x01' | dd of="$ck" bs=1 seek=2000 conv=notrunc status=none
  else
    rm "$ck"
  fi
  "$LR_BINARY" run "$cfg" --out "$out" --resume --run-id r -v >/dev/null 2>"$T/rf2-$how.log" || fail "referred $how: run failed"
  grep -q "WARN.*cannot resume run 'r': '.*00-load.ckpt', which the newest checkpoint refers to" "$T/rf2-$how.log" ||
    fail "referred $how: no warning: $(grep WARN "$T/rf2-$how.log")"
  grep -q "\[load\] start" "$T/rf2-$how.log" || fail "referred $how: load did not run again"
  same_as_ref "$out" "referred checkpoint $how"
  ok "a checkpoint the newest refers to ${how}d: warned, ran again, identical"
done

# 5. an input changed after the kill: every stage again on the new input
out="$T/changed"
fresh_out "$out"
start_paused match "$T/ch.log" "$cfg" --out "$out" --run-id r
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
sed -i '$d' "$T/in/register.csv"
"$LR_BINARY" run "$cfg" --out "$out" --resume -v >/dev/null 2>"$T/ch2.log" || fail "changed: run failed"
grep -q "WARN.*cannot resume run 'r': input '.*register.csv' changed" "$T/ch2.log" || fail "changed input: no warning: $(grep WARN "$T/ch2.log")"
fresh_out "$T/ref2"
"$LR_BINARY" run "$cfg" --out "$T/ref2" --run-id r -q >/dev/null 2>&1 || fail "ref2 failed"
[ "$(tree_sums "$out/r" | grep -v report.html)" = "$(tree_sums "$T/ref2/r" | grep -v report.html)" ] || fail "changed input: result differs from a fresh run on the new input"
ok "changed input: warned, ran again on the new input"

# 6. a resume while the killed run's successor still runs: refused by the lock
copy_samples
out="$T/busy"
fresh_out "$out"
start_paused value "$T/b1.log" "$cfg" --out "$out" --run-id r
set +e
"$LR_BINARY" run "$cfg" --out "$out" --resume -q >/dev/null 2>"$T/b2.log"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "pid $PID" "$T/b2.log" || fail "resume beside a live run: exit $rc"
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
ok "resume beside a live run refused"
echo "PASS reliability_resume"
