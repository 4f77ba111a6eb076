#!/usr/bin/env bash
# End-to-end: the outputs do not depend on the thread count. The bundled samples and a generated
# set (several communes, so every threaded stage and the concurrent writers have work to split)
# run with --jobs 1 and --jobs 2; every file of the two run folders is compared byte for byte
# (tax_extract.csv, mismatches.csv, the workbooks, parcels.gpkg, SHA256SUMS), and manifest.json
# and report.html with only their times taken out (report.html's times are its
# <span class="v"> cells: run start, generation time, stage seconds and rows/s).
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

"$LR_BINARY" sample "$T/gen" --parcels 20000 --communes 4 --seed 7 >/dev/null 2>"$T/sample.log" ||
  fail "sample exited $?"

compare() { # name config
  local name=$1 cfg=$2
  for j in 1 2; do
    "$LR_BINARY" run "$cfg" --out "$T/$name-j$j" --run-id r --jobs "$j" -q >/dev/null \
      2>"$T/$name-j$j.log" || fail "$name --jobs $j exited $?: $(grep ERROR "$T/$name-j$j.log")"
  done
  local a="$T/$name-j1/r" b="$T/$name-j2/r"
  diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) >&2 ||
    fail "$name: the run folders hold different files"
  local n=0
  while IFS= read -r f; do
    [ "$f" = ./manifest.json ] && continue
    if [ "$f" = ./SHA256SUMS ]; then # it lists manifest.json and report.html too
      cmp -s <(grep -v ' manifest.json$\| report.html$' "$a/$f") \
        <(grep -v ' manifest.json$\| report.html$' "$b/$f") ||
        fail "$name: SHA256SUMS differs beyond manifest.json and report.html"
      n=$((n + 1))
      continue
    fi
    if [ "$f" = ./report.html ]; then # its times (run start, generation, stage seconds) are <span class="v">
      cmp -s <(sed 's|<span class="v">[^<]*</span>|T|g' "$a/$f") \
        <(sed 's|<span class="v">[^<]*</span>|T|g' "$b/$f") ||
        fail "$name: report.html differs beyond its times"
      n=$((n + 1))
      continue
    fi
    cmp -s "$a/$f" "$b/$f" || fail "$name: $f differs between --jobs 1 and --jobs 2"
    n=$((n + 1))
  done < <(cd "$a" && find . -type f | sort)
  python3 - "$a/manifest.json" "$b/manifest.json" <<'PY' || fail "$name: manifest.json differs beyond its times"
import json, sys
def strip(p):
    m = json.load(open(p))
    for k in ('started', 'finished'):
        m.pop(k, None)
    for s in m.get('stages', []):
        s.pop('seconds', None)
        s.pop('rows_per_second', None)
    return m
a, b = (strip(p) for p in sys.argv[1:3])
assert a == b, [k for k in a if a.get(k) != b.get(k)]
PY
  [ "$n" -ge 8 ] || fail "$name: only $n files compared"
  ok "$name: $n files identical with --jobs 1 and --jobs 2, manifest equal but for times"
}

compare samples "$LR_SOURCE_DIR/config/sample.yaml"
compare generated "$T/gen/landrec.yaml"
