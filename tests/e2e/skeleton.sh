#!/usr/bin/env bash
# End-to-end: the bundled samples through every stage; conservation, outputs, checksums,
# determinism, and the documented exit codes for bad config and unreadable inputs.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cfg="$LR_SOURCE_DIR/config/sample.yaml"

# 1. a complete run
"$LR_BINARY" run "$cfg" --out "$T/out" --run-id t1 -q > "$T/stdout" || fail "run exited $?"
run="$T/out/t1"
for f in manifest.json tax_extract.csv mismatches.csv SHA256SUMS; do
  [ -s "$run/$f" ] || fail "missing $f"
done
[ "$(readlink "$T/out/latest")" = t1 ] || fail "latest does not name t1"
[ ! -e "$T/out/t1.tmp" ] || fail "work folder left behind"
(cd "$run" && sha256sum -c --quiet SHA256SUMS) || fail "checksums do not verify"
head -1 "$run/tax_extract.csv" | grep -qx 'new_commune,new_commune_name,old_commune,sheet,parcel,parcel_key,address,land_use,area_m2,area_source,price_zone,position,unit_price_vnd,value_vnd,tax_vnd,owner_name,owner_id,certificate,status' \
  || fail "extract header differs from SPEC.md"
perm=$(stat -c %a "$run/tax_extract.csv")
[ "$perm" = 640 ] || fail "tax_extract.csv mode $perm, want 640"

# 2. conservation: inputs counted independently of landrec, outcomes add up
python3 - "$run/manifest.json" "$LR_SOURCE_DIR/samples" <<'PY' || fail "conservation"
import csv, glob, json, os, struct, sys
m = json.load(open(sys.argv[1]))
sdir = sys.argv[2]
def dbf_records(path):
    with open(path, 'rb') as f:
        return struct.unpack('<I', f.read(8)[4:8])[0]
shp_features = sum(dbf_records(p) for p in glob.glob(os.path.join(sdir, 'maps', '*.dbf')))
with open(os.path.join(sdir, 'register.csv'), newline='', encoding='utf-8') as f:
    reg_rows = sum(1 for _ in csv.reader(f)) - 1
c = m['conservation']
for side, want in (('map', shp_features), ('register', reg_rows)):
    s = c[side]
    total = s['matched'] + s['unmatched'] + sum(s['rejected'].values())
    assert s['input'] == want, f"{side}: manifest input {s['input']} != {want} in the files"
    assert total == s['input'], f"{side}: outcomes {total} != input {s['input']}"
assert m['status'] == 'complete', m['status']
names = [s['name'] for s in m['stages']]
assert names == ['load', 'reproject', 'validate', 'match', 'value', 'extract', 'publish'], names
assert all(s['done'] for s in m['stages'])
maps = [i for i in m['inputs'] if i['kind'] == 'map']
assert maps and all(i.get('crs_operation') for i in maps), 'crs operation missing'
assert all(len(i['sha256']) == 64 for i in m['inputs'])
print(f"conservation ok: map {c['map']}, register {c['register']}")
PY

# 3. the extract against the injected defects: every register_only/map_only key is a finding,
#    no extract row for a duplicate key, every extract row has a status of the matched family
python3 - "$run" "$LR_SOURCE_DIR/samples/injected.csv" <<'PY' || fail "injected defects"
import csv, sys
run, inj = sys.argv[1], sys.argv[2]
ext = list(csv.DictReader(open(f"{run}/tax_extract.csv", encoding='utf-8')))
mis = list(csv.DictReader(open(f"{run}/mismatches.csv", encoding='utf-8')))
injected = list(csv.DictReader(open(inj, encoding='utf-8')))
found = {(r['class'], r['parcel_key'] or r['record_key']) for r in mis}
found |= {(r['class'], r['record_key']) for r in mis if r['record_key']}
keys = {r['parcel_key'] for r in ext}
ok_status = {'matched', 'area_mismatch', 'land_use_mismatch', 'renumbered', 'split', 'merged',
             'commune_mismatch'}
assert all(r['status'] in ok_status for r in ext), 'extract row with an unmatched status'
assert len(keys) == len(ext), 'duplicate key in the extract'
miss = []
for r in injected:
    cls = r['class']
    if cls in ('map_only', 'register_only', 'area_mismatch', 'land_use_mismatch', 'duplicate_key'):
        k = r['parcel_key'] or r['record_key']
        if (cls, k) not in found:
            miss.append((cls, k))
    if cls == 'duplicate_key' and r['parcel_key']:
        assert r['parcel_key'] not in keys, f"duplicate key {r['parcel_key']} in the extract"
assert not miss, f"injected but not reported: {miss[:10]}"
print(f"extract rows {len(ext)}, findings {len(mis)}, injected {len(injected)}: ok")
PY

# 4. same inputs, same bytes
"$LR_BINARY" run "$cfg" --out "$T/out" --run-id t2 -q > /dev/null || fail "second run"
for f in tax_extract.csv mismatches.csv; do
  cmp -s "$run/$f" "$T/out/t2/$f" || fail "$f differs between identical runs"
done

# 5. exit codes and messages
expect() { # expect CODE PATTERN -- command...
  local code=$1 pat=$2; shift 3
  set +e; "$@" > "$T/o" 2> "$T/e"; local got=$?; set -e
  [ "$got" = "$code" ] || { cat "$T/e" >&2; fail "'$*' exited $got, want $code"; }
  grep -q -- "$pat" "$T/e" || { cat "$T/e" >&2; fail "'$*': message lacks '$pat'"; }
}
mkdir -p "$T/bad"
cp -r "$LR_SOURCE_DIR/samples/." "$T/bad/"
sed 's/^run:/run:\n  nmae: typo/' "$LR_SOURCE_DIR/samples/landrec.yaml" > "$T/bad/typo.yaml"
expect 2 "unknown key 'nmae'" -- "$LR_BINARY" run "$T/bad/typo.yaml" --out "$T/o2"
grep -q "did you mean 'name'" "$T/e" || fail "no nearest-key suggestion"
grep -q "typo.yaml:[0-9]" "$T/e" || fail "no file:line in the config error"
sed 's#register.csv#no-such-register.csv#' "$LR_SOURCE_DIR/samples/landrec.yaml" > "$T/bad/missing.yaml"
expect 3 "no-such-register.csv" -- "$LR_BINARY" run "$T/bad/missing.yaml" --out "$T/o3"
first=$(ls "$T/bad/maps/"*.shp | head -1)
head -c 60 /dev/urandom > "$first"
expect 3 "$(basename "$first")" -- "$LR_BINARY" run "$T/bad/landrec.yaml" --out "$T/o4"
[ ! -e "$T/o4/latest" ] || fail "a failed run published"
expect 2 "wants exactly one CONFIG" -- "$LR_BINARY" run
expect 2 "unknown command" -- "$LR_BINARY" frobnicate
"$LR_BINARY" version | grep -q '^GDAL ' || fail "version lacks GDAL"
"$LR_BINARY" run --help | grep -q -- '--resume' || fail "run --help"
echo "skeleton e2e: ok"
