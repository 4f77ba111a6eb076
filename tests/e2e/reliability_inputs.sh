#!/usr/bin/env bash
# Reliability: inputs changing under a run. Every input is hashed when read and again just before
# publication; a change fails the run with exit 3 and a message naming the file; nothing is
# published, the previous publication stays and the work folder keeps its .tmp name. Covers the
# register (CSV), a shapefile part (.dbf), a reference GeoPackage and the config itself; a file
# only touched (same bytes) is not a change.
source "$(dirname "$0")/reliability/lib.sh"
out="$T/out"

# change_during STAGE FILE ACTION ID: pause before STAGE, change FILE, end the pause (SIGUSR1)
change_during() {
  local stage=$1 file=$2 action=$3 id=$4
  copy_samples
  start_paused "$stage" "$T/$id.log" "$T/in/landrec.yaml" --out "$out" --run-id "$id"
  case $action in
    append) printf '25195,99,999,ODT,100.0,X,1,2,3\n' >>"$file" ;;
    flip) printf 'Z' | dd of="$file" bs=1 seek=300 conv=notrunc status=none ;;
    touch) touch -d '2001-01-01' "$file" ;;
  esac
  kill -USR1 "$PID"
  set +e
  wait "$PID"
  RC=$?
  set -e
}

expect_refused() {
  local id=$1 name=$2
  [ "$RC" -eq 3 ] || fail "$id: exit $RC, want 3 ($(tail -2 "$T/$id.log"))"
  grep -q "ERROR.*'[^']*$name'.*changed" "$T/$id.log" || fail "$id: message does not name $name: $(tail -1 "$T/$id.log")"
  [ "$(readlink "$out/latest")" = base ] || fail "$id: latest moved"
  [ -d "$out/$id.tmp" ] && [ ! -e "$out/$id" ] || fail "$id: the failed run looks complete"
  ok "$id: $(grep -o "input.*changed[^;]*" "$T/$id.log" | head -1)"
}

copy_samples
"$LR_BINARY" run "$T/in/landrec.yaml" --out "$out" --run-id base -q >/dev/null 2>&1 || fail "base run failed"
base_sum=$(tree_sums "$out/base")

change_during publish "$T/in/register.csv" append reg
expect_refused reg register.csv
change_during match "$T/in/maps/25273.dbf" flip dbf
expect_refused dbf 25273.shp
change_during extract "$T/in/price_zones.gpkg" flip zones
expect_refused zones price_zones.gpkg
change_during value "$T/in/landrec.yaml" append cfg
[ "$RC" -eq 3 ] && grep -q "config '.*landrec.yaml' changed" "$T/cfg.log" || fail "config change not refused (exit $RC)"
ok "cfg: config change refused"
change_during publish "$T/in/register.csv" touch touched
[ "$RC" -eq 0 ] || fail "a touched (unchanged) input failed the run: exit $RC"
[ "$(readlink "$out/latest")" = touched ] || fail "the touched run did not publish"
ok "touched but unchanged input publishes"
[ "$(tree_sums "$out/base")" = "$base_sum" ] || fail "the earlier run folder changed"
echo "PASS reliability_inputs"
