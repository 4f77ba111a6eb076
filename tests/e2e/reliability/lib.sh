# Helpers of the reliability tests (tests/e2e/reliability_*.sh); sourced, never run alone.
# Needs LR_BINARY and LR_SOURCE_DIR; sets T (a temporary folder removed on exit).
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'jobs -p | xargs -r kill -9 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# A private copy of the bundled samples (tests modify inputs): $T/in/landrec.yaml
copy_samples() {
  rm -rf "$T/in"
  cp -r "$LR_SOURCE_DIR/samples" "$T/in"
}

# Wait until the log file shows the test hook's pause line (LANDREC_TEST_PAUSE_STAGE).
wait_pause() {
  local log=$1 i
  for i in $(seq 1 600); do
    grep -q "test hook: pausing" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$log" >&2
  fail "the run never reached its pause ($log)"
}

# Start a run in the background that pauses before stage $1; sets PID. Extra args follow.
start_paused() {
  local stage=$1 log=$2
  shift 2
  LANDREC_TEST_PAUSE_STAGE="$stage:600" "$LR_BINARY" run "$@" >"$log.out" 2>"$log" &
  PID=$!
  wait_pause "$log"
}

# Every file of a run folder (relative names, sorted) with its sha256, manifest.json and
# SHA256SUMS left out (they carry times).
tree_sums() {
  (cd "$1" && find . -type f ! -name manifest.json ! -name SHA256SUMS -print0 | sort -z |
    xargs -0 sha256sum)
}
