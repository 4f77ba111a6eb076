#!/usr/bin/env bash
# End-to-end: `landrec show` on a sample run, for a matched parcel, a split (from the register's
# old key and from a child's new key), a renumbered parcel and a register-only record; --json
# parses; owner fields only with --with-owner (and then equal to the register's); the exit
# codes 1 (not found), 2 (usage), 3 (unreadable run folder); the default run folder.
set -euo pipefail
: "${LR_BINARY:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$LR_BINARY" sample "$T/s" --parcels 1500 --communes 3 --seed 11 > /dev/null || fail "sample"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id r1 -q > /dev/null || fail "run"
run="$T/out/r1"

# keys of each kind, from the run's own files
python3 - "$run" > "$T/keys" <<'PY' || fail "no keys of every kind in the sample"
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}/parcels.gpkg?mode=ro", uri=True)
one = lambda sql: db.execute(sql).fetchone()[0]
print(one("SELECT parcel_key FROM parcels WHERE status = 'matched' AND in_extract "
          "ORDER BY fid LIMIT 1"))
print(one("SELECT old_key FROM lineage WHERE relation = 'split' ORDER BY fid LIMIT 1"))
print(one("SELECT parcel_key FROM parcels WHERE status = 'renumbered' ORDER BY fid LIMIT 1"))
print(one("SELECT record_key FROM register_only WHERE status = 'register_only' "
          "ORDER BY fid LIMIT 1"))
PY
{ read -r matched; read -r split_old; read -r renumbered; read -r regonly; } < "$T/keys"
echo "keys: matched $matched, split $split_old, renumbered $renumbered, register-only $regonly"

js() { # js KEY [ARGS...]: show --json into $T/j.json, checked by python3 -m json.tool
  "$LR_BINARY" show "$@" --json > "$T/j.json" || fail "show $* exited $?"
  python3 -m json.tool "$T/j.json" > /dev/null || fail "show $* --json does not parse"
}
check() { # check PYTHON-ASSERTIONS (d is the document)
  python3 -c "import json,sys; d=json.load(open('$T/j.json')); $1" || fail "show: $1"
}

js "$matched" "$run"
check "p=d['parcels']; assert len(p)==1 and p[0]['status']=='matched', p
assert p[0]['record_key']=='$matched' and p[0]['source_file'] and p[0]['source_fid'] is not None
assert p[0]['unit_price_vnd'] is not None and p[0]['value_vnd'] is not None
assert [(l['old_key'],l['new_key'],l['relation']) for l in d['lineage']]==[('$matched','$matched','same')]
assert 'owners' not in d"

js "$split_old" "$run"
check "p=d['parcels']; assert len(p)>=2, p
assert all(x['status']=='split' and x['record_key']=='$split_old' for x in p), p
l=d['lineage']; assert {x['new_key'] for x in l}=={x['parcel_key'] for x in p}
assert all(x['relation']=='split' and x['old_key']=='$split_old' for x in l)
assert any(f['class']=='split' for f in d['findings'])"
child=$(python3 -c "import json; print(json.load(open('$T/j.json'))['parcels'][-1]['parcel_key'])")
js "$child" "$run" # from the new key back to the old one, and to the sibling
check "assert '$split_old' in {x['old_key'] for x in d['lineage']}
assert len(d['parcels'])>=2 and '$child' in {x['parcel_key'] for x in d['parcels']}"

js "$renumbered" "$run"
check "p=d['parcels'][0]; assert p['status']=='renumbered' and p['record_key']!='$renumbered'
assert any(x['relation']=='renumbered' and x['new_key']=='$renumbered' for x in d['lineage'])"

js "$regonly" "$run"
check "r=d['register_only']; assert len(r)==1 and r[0]['status']=='register_only', r
assert r[0]['source_file'].endswith('register.csv') and r[0]['source_row']>0
assert not d['parcels'] and any(f['class']=='register_only' for f in d['findings'])"

# owner fields: never without --with-owner, in text or JSON; with it, the register's values
python3 - "$T/s/register.csv" "$matched" > "$T/owner" <<'PY' || fail "owner of $matched"
import csv, sys, unicodedata
c, s, p = sys.argv[2].split('-')
for r in csv.DictReader(open(sys.argv[1], encoding='utf-8')):
    if (int(r['ma_xa']), int(r['so_to']), int(r['so_thua'])) == (int(c), int(s), int(p)):
        print(unicodedata.normalize('NFC', r['chu_su_dung']))
        print(r['so_dinh_danh'])
        break
PY
name=$(sed -n 1p "$T/owner"); id=$(sed -n 2p "$T/owner")
[ -n "$name" ] && [ -n "$id" ] || fail "no owner for $matched in register.csv"
"$LR_BINARY" show "$matched" "$run" > "$T/text" || fail "show text"
grep -q "map parcel $matched" "$T/text" || fail "text output lacks the parcel"
for f in "$T/text" "$T/j.json"; do
  grep -qF -- "$name" "$f" && fail "owner name in show output without --with-owner"
  grep -qF -- "$id" "$f" && fail "owner id in show output without --with-owner"
done
"$LR_BINARY" show "$matched" "$run" --json --with-owner > "$T/j.json" || fail "--with-owner"
check "o=d['owners']; assert len(o)==1 and o[0]['owner_name']=='''$name''' and o[0]['owner_id']=='$id', o"

# exit codes and messages
expect() { # expect CODE PATTERN -- command...
  local code=$1 pat=$2; shift 3
  set +e; "$@" > "$T/o" 2> "$T/e"; local got=$?; set -e
  [ "$got" = "$code" ] || { cat "$T/e" >&2; fail "'$*' exited $got, want $code"; }
  grep -q -- "$pat" "$T/e" || { cat "$T/e" >&2; fail "'$*': message lacks '$pat'"; }
}
expect 1 "not found" -- "$LR_BINARY" show 99999-9-9 "$run"
expect 2 "not a parcel key" -- "$LR_BINARY" show 12-ab "$run"
expect 2 "KEY" -- "$LR_BINARY" show
expect 3 "$T/nowhere" -- "$LR_BINARY" show "$matched" "$T/nowhere"

# default run folder: OUTPUT/latest from LANDREC_OUTPUT, else ./out/latest; an OUTPUT folder
LANDREC_OUTPUT="$T/out" "$LR_BINARY" show "$matched" --json > /dev/null || fail "LANDREC_OUTPUT"
(cd "$T" && env -u LANDREC_OUTPUT "$LR_BINARY" show "$matched" > /dev/null) || fail "./out/latest"
"$LR_BINARY" show "$matched" "$T/out" > /dev/null || fail "OUTPUT folder"

# latency on this small run (the 1M-parcel figure is measured separately)
start=$(date +%s%N)
"$LR_BINARY" show "$split_old" "$run" --json > /dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "show took $ms ms"
echo "show e2e: ok (${ms} ms)"
