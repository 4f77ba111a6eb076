#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for a while.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET|ci] [BUILD_DIR] [TARGET...]
#   defaults: 30 s, build-fuzz next to the repo's build dirs (or $LR_FUZZ_BUILD), every target.
# Timed mode explores: each target keeps its growing corpus in BUILD_DIR/corpus/TARGET (seeded
# from fuzz/seeds/TARGET), so every run goes further than the last and may find something new.
# `ci` mode (the ctest test `fuzz_short`) is a regression run that cannot flake: a fixed seed,
# a fixed number of executions per target (about 30 s each here) and a fresh corpus from the
# seeds, so a clean checkout always executes the same inputs; a failure there reproduces.
# A crash, leak, timeout or out-of-memory leaves its input in BUILD_DIR/artifacts/ and fails the
# script. Prints one line per target: executions, executions per second, corpus size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-30}
# ci mode: executions per target (about 30 s each on this 2-core machine)
declare -A ci_runs=([config]=250000 [text]=200000 [key]=8000000 [money]=6000000 [register]=40000)
build=${2:-${LR_FUZZ_BUILD:-$here/../build-fuzz}}
shift $(( $# > 2 ? 2 : $# )) || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config text key money register)
command -v clang >/dev/null || { echo "fuzz: clang not installed (apt-get install clang libclang-rt-14-dev)"; exit 1; }
mkdir -p "$build"
build=$(cd "$build" && pwd)
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 || { tail -30 "$build/build.log"; exit 1; }
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  budget=(-max_total_time="$secs")
  if [ "$secs" = ci ]; then
    corpus="$build/ci-corpus/$t"
    rm -rf "$corpus"
    budget=(-runs="${ci_runs[$t]}" -seed=1)
  fi
  mkdir -p "$corpus"
  log="$build/fuzz_$t.log"
  dict=()
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  set +e
  (cd "$build" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
    "./fuzz_$t" "${budget[@]}" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/${t}-" "${dict[@]}" \
    "$corpus" "$here/seeds/$t") >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; log $log"
    grep -E "ERROR|SUMMARY|runtime error|Assertion|Test unit written" "$log" | head -8 | sed 's/^/    /'
  else
    echo "fuzz_$t: ${execs:-?} executions (${rate:-?}/s), corpus $units inputs"
  fi
done
exit $status
