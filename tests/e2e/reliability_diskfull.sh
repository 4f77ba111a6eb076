#!/usr/bin/env bash
# Reliability: a full disk or an unwritable output folder. Every failed run exits non-zero with a
# message naming the file or folder, publishes nothing, leaves the previous publication and its
# folder untouched, and leaves its own work only under RUN_ID.tmp (never looking complete).
# Disk full is simulated with RLIMIT_FSIZE (ulimit -f: the run ignores SIGXFSZ and sees EFBIG) at
# several limits so it strikes different writers (CSV, workbooks, GeoPackage, checkpoints), and,
# where mount works (root), with a small tmpfs (ENOSPC), then --resume once space is free. Unwritable: a path under a regular file,
# a read-only mount, and a folder the user may not write (as nobody when run as root).
source "$(dirname "$0")/reliability/lib.sh"
cfg="$LR_SOURCE_DIR/samples/landrec.yaml"
out="$T/out"
"$LR_BINARY" run "$cfg" --out "$out" --run-id base -q >/dev/null 2>&1 || fail "base run failed"
base_sum=$(tree_sums "$out/base")

# check_failed ID LOG RC: the failed run left only ID.tmp, latest and base as they were
check_failed() {
  local id=$1 log=$2 rc=$3 dir=${4:-$out}
  [ "$rc" -ne 0 ] || fail "$id: a run that could not write exited 0"
  [ "$rc" -eq 1 ] || fail "$id: exit $rc, want 1"
  grep -q "ERROR" "$log" || fail "$id: no error message"
  [ ! -e "$dir/$id" ] || fail "$id: a run folder without .tmp exists"
  [ "$(readlink "$dir/latest")" = base ] || fail "$id: latest moved"
  [ "$(tree_sums "$dir/base")" = "$base_sum" ] || fail "$id: the published run changed"
  ! grep -qs '"status": *"complete"' "$dir/$id.tmp/manifest.json" || fail "$id: manifest says complete"
}

# 1. file size limits (KiB) from "nothing fits" to "only the GeoPackage does not fit"
n=0
for lim in 8 64 200 300 600 1000 1300; do
  id="fsize$lim"
  set +e
  (ulimit -f "$lim"; exec "$LR_BINARY" run "$cfg" --out "$out" --run-id "$id" -q) >/dev/null 2>"$T/$id.log"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] && { ok "$id: everything fits"; rm -rf "$out/$id"; ln -sfn base "$out/latest"; continue; }
  check_failed "$id" "$T/$id.log" "$rc"
  grep -q "File too large\|disk I/O error\|No space left" "$T/$id.log" || fail "$id: message does not say why: $(cat "$T/$id.log")"
  grep -q "'$out/$id.tmp/[^']*'" "$T/$id.log" || fail "$id: message does not name the file"
  n=$((n + 1))
  ok "$id: $(grep -o "ERROR cannot.*" "$T/$id.log" | head -1 | cut -c1-150)"
done
[ $n -ge 4 ] || fail "only $n of the limits made the run fail"

# 2. a full tmpfs (ENOSPC), when mount works here
mnt="$T/mnt"
mkdir -p "$mnt"
if mount -t tmpfs -o size=16m tmpfs "$mnt" 2>/dev/null; then
  trap 'umount "$mnt" 2>/dev/null || true; jobs -p | xargs -r kill -9 2>/dev/null || true; rm -rf "$T"' EXIT
  "$LR_BINARY" run "$cfg" --out "$mnt/out" --run-id base -q >/dev/null 2>&1 || fail "base run on tmpfs failed"
  base_sum=$(tree_sums "$mnt/out/base")
  avail=$(df -k --output=avail "$mnt" | tail -1)
  fallocate -l $(( (avail - 300) * 1024 )) "$mnt/filler" 2>/dev/null ||
    dd if=/dev/zero of="$mnt/filler" bs=1k count=$((avail - 300)) status=none 2>/dev/null || true
  set +e
  "$LR_BINARY" run "$cfg" --out "$mnt/out" --run-id full -q >/dev/null 2>"$T/full.log"
  rc=$?
  set -e
  check_failed full "$T/full.log" "$rc" "$mnt/out"
  grep -q "No space left on device\|disk I/O error\|database or disk is full" "$T/full.log" || fail "tmpfs: no reason: $(cat "$T/full.log")"
  rm -f "$mnt/filler"
  "$LR_BINARY" run "$cfg" --out "$mnt/out" --resume --run-id full -q >/dev/null 2>&1 || fail "resume after freeing space failed"
  [ "$(readlink "$mnt/out/latest")" = full ] || fail "resume after freeing space did not publish"
  [ ! -e "$mnt/out/full.tmp" ] || fail "resume after freeing space left its work folder"
  ok "full tmpfs: $(grep -o "ERROR cannot.*" "$T/full.log" | head -1 | cut -c1-150)"
  # a read-only file system
  mount -o remount,ro "$mnt"
  set +e
  "$LR_BINARY" run "$cfg" --out "$mnt/out" --run-id ro -q >/dev/null 2>"$T/ro.log"
  rc=$?
  set -e
  mount -o remount,rw "$mnt"
  [ "$rc" -eq 1 ] && grep -q "output folder '$mnt/out'.*Read-only" "$T/ro.log" || fail "read-only: exit $rc: $(cat "$T/ro.log")"
  [ "$(readlink "$mnt/out/latest")" = full ] || fail "read-only: latest moved"
  ok "read-only mount: $(cut -c1-160 "$T/ro.log")"
  umount "$mnt"
else
  echo "skip: tmpfs (mount not permitted here)"
fi

# 3. unwritable output folders
touch "$T/plainfile"
set +e
"$LR_BINARY" run "$cfg" --out "$T/plainfile/out" -q >/dev/null 2>"$T/nd.log"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "'$T/plainfile/out'.*Not a directory.*--out" "$T/nd.log" || fail "path under a file: exit $rc: $(cat "$T/nd.log")"
ok "path under a file: $(cut -c1-160 "$T/nd.log")"
mkdir -p "$T/locked"
chmod 755 "$T/locked"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
  chmod 555 "$T/locked"
fi
if [ "$(id -u)" -ne 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  chmod o+rx "$T"
  # the other user reads a copy of the samples in $T: the checkout may sit in a folder only its
  # owner can enter (a clone in `mktemp -d`)
  cp -r "$(dirname "$cfg")" "$T/samples-copy"
  chmod -R o+rX "$T/samples-copy"
  set +e
  "${as_user[@]}" "$LR_BINARY" run "$T/samples-copy/$(basename "$cfg")" --out "$T/locked" -q \
    >/dev/null 2>"$T/perm.log"
  rc=$?
  set -e
  [ "$rc" -eq 1 ] && grep -q "output folder '$T/locked'.*Permission denied" "$T/perm.log" || fail "unwritable folder: exit $rc: $(cat "$T/perm.log")"
  ok "unwritable folder: $(cut -c1-160 "$T/perm.log")"
else
  echo "skip: unwritable folder (root without setpriv)"
fi
echo "PASS reliability_diskfull"
