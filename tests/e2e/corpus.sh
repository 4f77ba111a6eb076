#!/usr/bin/env bash
# The bad-input corpus (tests/corpus/): >= 200 broken inputs derived at test time from a small
# sample set (configs with every kind of error, shapefiles truncated or with wrong offsets, huge
# counts, 1-point rings, NaN/Inf coordinates, DBF headers and values, CSV delimiters, quotes,
# BOMs, invalid and mixed encodings, junk keys and areas, XLSX and GeoPackage damage, crosswalk
# and corrections errors), each run with its accepted exit codes and finding or message; in the
# sanitizer build (LR_BINARY built with -DLANDREC_SANITIZE=ON) no ASan/UBSan/LSan report either.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$LR_BINARY" sample "$T/sample" --parcels 40 --communes 1 --seed 3 >/dev/null 2>&1 || { echo "FAIL: sample"; exit 1; }
python3 "$LR_SOURCE_DIR/tests/corpus/gen.py" "$T/sample" "$T/corpus"
n=$(wc -l <"$T/corpus/cases.tsv")
[ "$n" -ge 200 ] || { echo "FAIL: only $n corpus cases"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
python3 "$LR_SOURCE_DIR/tests/corpus/run.py" "$LR_BINARY" "$T/corpus" --jobs "$(( $(nproc) + 2 ))"
