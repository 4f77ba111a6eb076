#!/usr/bin/env bash
# End-to-end: the geometry QA on `landrec sample` data.
#  - recall: every injected geometry defect (self_intersection, too_few_points, duplicate_vertex,
#    spike, overlap, gap, sliver, outside_boundary) is in mismatches.csv with its class on its
#    parcel;
#  - precision: no geometry issue on a parcel that injected.csv does not name for that class.
#    Allowed besides: an overlap on the parcel the injected overlap names ("with KEY": an
#    overlap has two sides and is reported on both); `repaired` only on injected
#    self-intersections (the repair that follows them); no `unrepairable` or `ring_problem` at
#    all; `crs_assumed` once per feature of the one map written without a .prj, none elsewhere;
#  - the manifest's repair_area_change_dm2 is the sum of the repaired parcels' area changes;
#  - the result does not depend on the number of threads (--jobs 1 and --jobs 2 give the same
#    mismatches.csv and manifest counts).
set -euo pipefail
: "${LR_BINARY:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# size and seed can be changed for a longer check: GEOM_E2E="PARCELS COMMUNES SEED"
read -r parcels communes seed <<< "${GEOM_E2E:-6000 5 11}"
"$LR_BINARY" sample "$T/s" --parcels "$parcels" --communes "$communes" --seed "$seed" \
  > /dev/null 2> "$T/sample.log" || { cat "$T/sample.log" >&2; fail "sample exited $?"; }
# the same set without commune boundaries: gaps are then the holes of the coverage (every
# injected notch is one: it lies on an edge shared with the cell below) and nothing is outside
sed '/^ *boundaries:/d' "$T/s/landrec.yaml" > "$T/s/noboundaries.yaml"
grep -q 'boundaries:' "$T/s/noboundaries.yaml" && fail "could not drop the boundaries"
for run in "j1 1 landrec" "j2 2 landrec" "nb 2 noboundaries"; do
  read -r id jobs cfg <<< "$run"
  set +e
  "$LR_BINARY" run "$T/s/$cfg.yaml" --out "$T/out" --run-id "$id" --jobs "$jobs" \
    --no-publish -q > /dev/null 2> "$T/$id.log"
  rc=$?
  set -e
  # a quality gate may stop publication (exit 5); the run folder is complete either way
  [ "$rc" = 0 ] || [ "$rc" = 5 ] || { cat "$T/$id.log" >&2; fail "run $id exited $rc"; }
done

for id in j2 nb; do
python3 - "$T/s" "$T/out/$id" "$id" <<'PY' || fail "geometry recall/precision ($id)"
import csv, json, os, re, struct, sys
sdir, run, rid = sys.argv[1], sys.argv[2], sys.argv[3]
GEOM = ['self_intersection', 'too_few_points', 'duplicate_vertex', 'spike', 'overlap', 'gap',
        'sliver', 'outside_boundary']
if rid == 'nb':
    GEOM.remove('outside_boundary')
inj = list(csv.DictReader(open(os.path.join(sdir, 'injected.csv'), encoding='utf-8')))
mis = list(csv.DictReader(open(os.path.join(run, 'mismatches.csv'), encoding='utf-8')))
want = {c: {r['parcel_key'] for r in inj if r['class'] == c} for c in GEOM}
for c in GEOM:
    assert want[c], f"the sample injected no {c}: the test would prove nothing"
allowed = {c: set(want[c]) for c in GEOM}
for r in inj:
    if r['class'] == 'overlap':
        m = re.fullmatch(r'with (\S+)', r['detail'])
        assert m, f"unexpected overlap detail {r['detail']!r}"
        allowed['overlap'].add(m.group(1))
got = {}
for r in mis:
    got.setdefault(r['class'], []).append(r)
# recall
missing = [(c, k) for c in GEOM for k in sorted(want[c])
           if k not in {r['parcel_key'] for r in got.get(c, [])}]
assert not missing, f"{len(missing)} injected defects not reported, e.g. {missing[:8]}"
# precision
extra = [(c, r['parcel_key'], r['detail']) for c in GEOM for r in got.get(c, [])
         if r['parcel_key'] not in allowed[c]]
assert not extra, f"{len(extra)} geometry issues on parcels not injected, e.g. {extra[:8]}"
rep = got.get('repaired', [])
bad = [r['parcel_key'] for r in rep if r['parcel_key'] not in want['self_intersection']]
assert not bad, f"repaired on parcels without an injected self-intersection: {bad[:8]}"
for c in ('unrepairable', 'ring_problem'):
    assert not got.get(c), f"{len(got[c])} {c} rows, e.g. {got[c][:3]}"
# overlaps: both sides, each naming the other
for r in got.get('overlap', []):
    m = re.match(r'(?:duplicated geometry: )?overlaps (\S+) by ([0-9.]+) m2', r['detail'])
    assert m, f"overlap detail {r['detail']!r}"
    assert float(m.group(2)) > 0.5, r
    other = [o for o in got['overlap'] if o['parcel_key'] == m.group(1)]
    assert any(r['parcel_key'] in o['detail'] for o in other), f"one-sided overlap {r}"
# gaps: on the notched parcel, which the detail names first
for r in got.get('gap', []):
    m = re.match(r'(?:gap|hole) of ([0-9.]+) m2 .*, beside (\S+) \(', r['detail'])
    assert m and m.group(2) == r['parcel_key'] and float(m.group(1)) > 0.5, r
if rid == 'nb':
    assert not got.get('outside_boundary'), 'outside_boundary without boundaries'
    assert all(r['detail'].startswith('hole of') for r in got.get('gap', []))
# crs_assumed belongs to the map without .prj only: reported once for it (or not at all in
# mismatches.csv, the manifest's inputs saying it), or once per feature of it
noprj = [r['detail'] for r in inj if r['class'] == 'crs_assumed']
assert len(noprj) == 1, noprj
with open(os.path.join(sdir, noprj[0][:-4] + '.dbf'), 'rb') as f:
    features = struct.unpack('<I', f.read(8)[4:8])[0]
ncrs = len(got.get('crs_assumed', []))
assert ncrs in (0, 1, features), \
    f"crs_assumed on {ncrs} rows, the map without .prj has {features} features"
m = json.load(open(os.path.join(run, 'manifest.json')))
assumed = [i['path'] for i in m['inputs'] if i.get('crs_assumed')]
assert all(p.endswith(noprj[0]) for p in assumed), (assumed, noprj)
# the manifest's total area change from repair
total = 0
for r in rep:
    a = re.search(r'area ([0-9.]+) m2 before, ([0-9.]+) after', r['detail'])
    assert a, r['detail']
    total += round(float(a.group(2)) * 10) - round(float(a.group(1)) * 10)
assert m['repair_area_change_dm2'] == total, (m['repair_area_change_dm2'], total)
counts = {c: len(got.get(c, [])) for c in GEOM + ['repaired']}
print(f"{rid}: geometry recall 100 %, precision 100 %: {counts}; repair change {total} dm2")
PY
done

cmp -s "$T/out/j1/mismatches.csv" "$T/out/j2/mismatches.csv" \
  || fail "mismatches.csv differs between --jobs 1 and --jobs 2"
python3 - "$T/out/j1/manifest.json" "$T/out/j2/manifest.json" <<'PY' || fail "manifests differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ('counts', 'conservation', 'repair_area_change_dm2'):
    assert a[k] == b[k], (k, a[k], b[k])
PY
echo "geometry recall e2e: ok"
