#!/bin/bash
# value_gate.sh - a run that breaks a quality gate (max_unmatched_ratio: 0 on a sample with
# injected map-only and register-only parcels) exits 5, writes its run directory with the reason
# in manifest.json (status gate_failed) and its checksums, and publishes nothing: OUTPUT/latest
# still names the earlier run. The same data with the default gates publishes (exit 0).
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$LR_BINARY" sample "$T/s" --parcels 1500 --communes 3 --seed 3 >/dev/null 2>"$T/sample.log"
grep -q '^ *max_unmatched_ratio: 0.30$' "$T/s/landrec.yaml" || fail "sample config has no gate line"
sed 's/^\( *max_unmatched_ratio:\) 0.30$/\1 0/' "$T/s/landrec.yaml" >"$T/s/strict.yaml"

"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id good >/dev/null 2>"$T/good.log" ||
    fail "the default gates should pass (exit $?)"
[ "$(readlink "$T/out/latest")" = good ] || fail "latest does not name the good run"

set +e
"$LR_BINARY" run "$T/s/strict.yaml" --out "$T/out" --run-id strict >"$T/strict.out" 2>"$T/strict.log"
rc=$?
set -e
[ "$rc" -eq 5 ] || fail "a failed gate exits 5, got $rc"
[ "$(readlink "$T/out/latest")" = good ] || fail "latest changed to $(readlink "$T/out/latest")"
[ -d "$T/out/strict" ] || fail "the failed run's directory is missing"
[ ! -e "$T/out/strict.tmp" ] || fail "the failed run's directory is still .tmp"
grep -q "quality gate failed: unmatched ratio .* FAILED" "$T/strict.log" || fail "no reason logged"
grep -q "published" "$T/strict.out" && fail "the failed run says it published"

python3 - "$T/out/strict/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["status"] == "gate_failed", m["status"]
text = json.dumps(m)
assert "unmatched ratio" in text and "FAILED" in text, "the reason is not in the manifest"
PY
(cd "$T/out/strict" && sha256sum --quiet -c SHA256SUMS) || fail "checksums of the failed run"
[ -s "$T/out/strict/tax_extract.csv" ] || fail "the failed run's extract is missing"
echo "OK value_gate"
