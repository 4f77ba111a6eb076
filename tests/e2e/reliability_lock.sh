#!/usr/bin/env bash
# Reliability: one run at a time per output folder. A second run on a busy folder fails (exit 1)
# naming the holder's pid; a stale lock left by a killed run is taken over with a warning; runs on
# different output folders do not block each other; SIGTERM ends a run with 130 and frees the lock.
source "$(dirname "$0")/reliability/lib.sh"
cfg="$LR_SOURCE_DIR/samples/landrec.yaml"
out="$T/out"

# 1. a live holder: the second run fails with exit 1, names the pid, touches nothing
start_paused match "$T/a.log" "$cfg" --out "$out" --run-id a
holder=$PID
[ "$(cat "$out/.landrec.lock")" = "$holder" ] || fail "lock file does not hold pid $holder"
set +e
"$LR_BINARY" run "$cfg" --out "$out" --run-id b -q 2>"$T/b.log"
rc=$?
set -e
[ $rc -eq 1 ] || fail "second run exited $rc, want 1"
grep -q "pid $holder" "$T/b.log" || fail "message does not name pid $holder: $(cat "$T/b.log")"
grep -q ".landrec.lock" "$T/b.log" || fail "message does not name the lock file"
[ ! -e "$out/b.tmp" ] && [ ! -e "$out/b" ] || fail "the refused run left a folder"
[ -d "$out/a.tmp" ] || fail "the refused run disturbed the holder's work folder"
ok "busy folder refused: $(tail -1 "$T/b.log")"

# 2. another output folder is independent
"$LR_BINARY" run "$cfg" --out "$T/other" --run-id c -q >/dev/null 2>&1 || fail "run on another folder failed"
ok "another output folder runs alongside"

# 3. SIGTERM: exit 130, lock released, nothing published
kill -TERM "$holder"
set +e
wait "$holder"
rc=$?
set -e
[ $rc -eq 130 ] || fail "SIGTERM exit $rc, want 130"
[ ! -e "$out/.landrec.lock" ] || fail "lock file left after a clean exit"
[ ! -e "$out/latest" ] || fail "an interrupted run published"
ok "SIGTERM -> 130, lock released"

# 4. a stale lock from a killed run is taken over with a warning
start_paused value "$T/d.log" "$cfg" --out "$out" --run-id d
dead=$PID
kill -9 "$dead"
wait "$dead" 2>/dev/null || true
[ "$(cat "$out/.landrec.lock")" = "$dead" ] || fail "killed run's lock file missing"
"$LR_BINARY" run "$cfg" --out "$out" --run-id e -q >/dev/null 2>"$T/e.log" || fail "run after a stale lock failed: $(cat "$T/e.log")"
grep -q "WARN.*stale lock.*pid $dead" "$T/e.log" || fail "no stale-lock warning naming pid $dead"
[ "$(readlink "$out/latest")" = e ] || fail "run after the stale lock did not publish"
[ ! -e "$out/.landrec.lock" ] || fail "lock file left behind"
ok "stale lock of pid $dead taken over"

# 5. a lock file with garbage or another process's pid but no flock is stale too
echo "$$" >"$out/.landrec.lock"
"$LR_BINARY" run "$cfg" --out "$out" --run-id f -q >/dev/null 2>"$T/f.log" || fail "run with an unlocked lock file failed"
grep -q "stale lock" "$T/f.log" || fail "no warning for an unlocked lock file"
ok "unlocked lock file is stale"
echo "PASS reliability_lock"
