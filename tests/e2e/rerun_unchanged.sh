#!/usr/bin/env bash
# End-to-end: a rerun with unchanged config and inputs notices it (etl/rerun.c): exit 0, stdout
# "unchanged RUN_ID", OUTPUT/latest and the run folder untouched, no new run folder. A changed
# input byte, a new file matching a source glob, a changed config, or --run-id / --no-publish /
# --resume run as usual; a touched but identical input does not count as a change.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

mkdir -p "$T/config"
cp -r "$LR_SOURCE_DIR/samples" "$T/samples"
cp "$LR_SOURCE_DIR/config/sample.yaml" "$T/config/sample.yaml"
cfg="$T/config/sample.yaml"
out="$T/out"

run() { # log-name args...
  local log=$1
  shift
  "$LR_BINARY" run "$cfg" --out "$out" "$@" >"$T/$log.out" 2>"$T/$log.log"
}
folders() { find "$out" -mindepth 1 -maxdepth 1 -type d | sort; }
state() { # the latest link, the folders and the published run's checksums
  readlink "$out/latest"
  folders
  sha256sum "$out/$(readlink "$out/latest")"/SHA256SUMS
}

run first || fail "first run exited $?"
first=$(readlink "$out/latest")
[ -n "$first" ] || fail "first run not published"
before=$(state)

# 1. nothing changed: nothing done
sleep 1 # a new run would get a new id (the id has the start second)
run same || fail "unchanged rerun exited $?"
grep -qx "unchanged $first" "$T/same.out" || fail "stdout: $(cat "$T/same.out")"
grep -qx "extract: $out/$first/tax_extract.csv" "$T/same.out" || fail "no extract line"
grep -q "INFO  \[run\] nothing changed since run '$first'" "$T/same.log" || fail "no log line"
! grep -q "\[load\] start" "$T/same.log" || fail "the unchanged rerun ran the load stage"
[ "$(state)" = "$before" ] || fail "the unchanged rerun changed the output folder"
ok "unchanged rerun: exit 0, 'unchanged $first', nothing run or published"

# 2. an input touched but identical is no change
touch "$T/samples/register.csv" "$T/samples/maps/"*.dbf
run touched || fail "touched rerun exited $?"
grep -qx "unchanged $first" "$T/touched.out" || fail "touched inputs counted as a change"
ok "touched, identical inputs: unchanged"

# 3. options that ask for a run: it runs
for opt in "--run-id forced" "--no-publish"; do
  sleep 1
  # shellcheck disable=SC2086
  run opt $opt || fail "rerun with $opt exited $?"
  ! grep -q "^unchanged" "$T/opt.out" || fail "$opt: treated as unchanged"
  grep -q "\[load\] start" "$T/opt.log" || fail "$opt: no stage ran"
  ok "rerun with $opt runs"
done
rm -rf "$out/forced"
ln -sfn "$first" "$out/latest"

# 4. changed inputs and config: a new run each time (latest is put back after each)
changed() { # what; a run goes ahead (exit 5, a failed gate, is a run too)
  local rc=0
  sleep 1
  run changed || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 5 ] || fail "$1: rerun exited $rc"
  ! grep -q "^unchanged" "$T/changed.out" || fail "$1: treated as unchanged"
  grep -q "\[load\] start" "$T/changed.log" || fail "$1: no stage ran"
  ok "$1: a new run (exit $rc)"
  ln -sfn "$first" "$out/latest"
}
cp "$T/samples/register.csv" "$T/register.orig"
sed -i '$ s/$/ /' "$T/samples/register.csv" # one byte more in the last row
changed "a changed register byte"
cp "$T/register.orig" "$T/samples/register.csv"

for e in shp shx dbf; do
  cp "$T/samples/maps/25195.$e" "$T/samples/maps/99999.$e"
done
changed "a new file matching the maps glob"
rm -f "$T/samples/maps/99999."*

echo "# a comment" >>"$cfg"
changed "a changed config"
