#!/usr/bin/env bash
# End-to-end: an old commune that splits across two new ones in the crosswalk. With commune
# boundaries each parcel goes where it lies (the run says so); without them every parcel of the
# old commune goes to the crosswalk's first row for it, deterministically, and the run warns
# naming the old commune and what to do. A crosswalk with the tax office's own code column
# (tax_code) loads.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3
LIB="$LR_SOURCE_DIR/tests/e2e/ingest_lib.py"
export LR_SOURCE_DIR

"$LR_BINARY" sample "$T/s" --parcels 300 --communes 1 --seed 9 >/dev/null 2>&1 || fail "sample"
B="$T/base"
$PY "$LIB" set "$T/s" "$B" 20 UTF-8 UTF-8 csv || fail fixture
old=$(sed -n 2p "$B/crosswalk.csv" | cut -d, -f1)
new=$(sed -n 2p "$B/crosswalk.csv" | cut -d, -f3)
[ -n "$old" ] && [ -n "$new" ] || fail "crosswalk"

run() { # dir -> stderr in dir/stderr
  "$LR_BINARY" run "$1/landrec.yaml" --out "$1/out" --run-id t -q >/dev/null 2>"$1/stderr" \
    || fail "$(basename "$1"): exit $?: $(tail -2 "$1/stderr")"
}
new_communes() { cut -d, -f1 "$1/out/t/tax_extract.csv" | tail -n +2 | sort -u | tr '\n' ' '; }

# the split, listed after the original row, with a tax office code column
for order in first second; do
  d="$T/noboundary_$order"; cp -r "$B" "$d"
  {
    echo "old_code,old_name,new_code,new_name,tax_code"
    if [ $order = first ]; then
      echo "$old,Cu,$new,Moi,TX-$new"; echo "$old,Cu,29999,Tach,TX-29999"
    else
      echo "$old,Cu,29999,Tach,TX-29999"; echo "$old,Cu,$new,Moi,TX-$new"
    fi
  } > "$d/crosswalk.csv"
  sed -i 's|, boundaries: communes.gpkg||' "$d/landrec.yaml"
  run "$d"
  grep -q "WARN .*old commune $old splits across 2 new communes and no boundaries are given" "$d/stderr" \
    || fail "$order: no warning: $(grep -v INFO "$d/stderr" | tail -1)"
done
got=$(new_communes "$T/noboundary_first"); [ "$got" = "$new " ] || fail "first row $new: got $got"
got=$(new_communes "$T/noboundary_second"); [ "$got" = "29999 " ] || fail "first row 29999: got $got"
echo "ok: without boundaries the crosswalk's first row decides, with a warning"

d="$T/boundary"; cp -r "$B" "$d"
printf 'old_code,old_name,new_code,new_name\n%s,Cu,29999,Tach\n%s,Cu,%s,Moi\n' "$old" "$old" "$new" > "$d/crosswalk.csv"
run "$d"
! grep -q "WARN .*splits across" "$d/stderr" || fail "boundary: warned"
got=$(new_communes "$d"); [ "$got" = "$new " ] || fail "boundary: parcels went to $got, the boundaries say $new"
echo "ok: with boundaries each parcel goes where it lies"
echo "PASS ingest_communes"
