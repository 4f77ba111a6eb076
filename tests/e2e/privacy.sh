#!/usr/bin/env bash
# Privacy and security: owner names, owner ids and certificate numbers of the sample register
# appear only in the tax extract and its workbooks. Scanned: the stderr of -v runs, manifest.json,
# mismatches.csv, report.html, SHA256SUMS, parcels.gpkg (raw bytes, free pages included),
# `landrec show` without --with-owner; delta.csv (after a second run where owners changed) is
# the extract's delta and, as diff.h documents, carries the owner columns: there owner data may
# appear only in rows of the owner columns. Outputs are 0640 and folders 0750; a warehouse
# password never appears anywhere.
source "$(dirname "$0")/reliability/lib.sh"
copy_samples
cfg="$T/in/landrec.yaml"
out="$T/out"

"$LR_BINARY" run "$cfg" --out "$out" --run-id one -v >"$T/one.stdout" 2>"$T/one.log" || fail "first run failed"
# second run: a few owners renamed, so delta.csv has owner changes to (not) show
python3 - "$T/in/register.csv" <<'PY'
import csv, sys
p = sys.argv[1]
rows = list(csv.reader(open(p, encoding='utf-8', newline='')))
for r in rows[1:40:3]:
    r[5] = r[5] + ' Mới'
    r[6] = '09' + r[6][2:]
    r[7] = 'ZZ' + r[7][2:]
csv.writer(open(p, 'w', encoding='utf-8', newline=''), lineterminator='\n').writerows(rows)
PY
"$LR_BINARY" run "$cfg" --out "$out" --run-id two -v >"$T/two.stdout" 2>"$T/two.log" || fail "second run failed"
[ -f "$out/two/delta.csv" ] || fail "no delta.csv in the second run"
keys=$(python3 -c "
import csv,sys
rows=list(csv.DictReader(open('$out/two/tax_extract.csv',encoding='utf-8')))
print(' '.join(r['parcel_key'] for r in rows[:6]))")
for k in $keys; do
  "$LR_BINARY" show "$k" "$out/two" >>"$T/show.txt" 2>&1 || fail "show $k failed"
  "$LR_BINARY" show "$k" "$out/two" --json >>"$T/show.txt" 2>&1 || fail "show --json $k failed"
done
# a run with a warehouse URL holding a password (no server: the run fails at the warehouse)
"$LR_BINARY" run "$cfg" --out "$T/wh" --run-id wh -v \
  --warehouse 'postgresql://alice:Pw-s3cret-9@127.0.0.1:1/landrec' >"$T/wh.stdout" 2>"$T/wh.log" || true

python3 - "$LR_SOURCE_DIR/samples/register.csv" "$T/in/register.csv" "$T" "$out" <<'PY' || fail "personal data found"
import csv, glob, os, sys, unicodedata
orig, changed, tmp, out = sys.argv[1:5]
needles = {}
for path in (orig, changed):
    for r in csv.DictReader(open(path, encoding='utf-8', newline='')):
        for col, what in (('chu_su_dung', 'owner name'), ('so_dinh_danh', 'owner id'),
                          ('so_gcn', 'certificate')):
            v = (r.get(col) or '').strip()
            if len(v) >= 5:
                for form in ('NFC', 'NFD'):
                    needles[unicodedata.normalize(form, v).encode('utf-8')] = what
needles[b'Pw-s3cret-9'] = 'warehouse password'
files = [os.path.join(tmp, f) for f in ('one.log', 'two.log', 'one.stdout', 'two.stdout',
                                       'show.txt', 'wh.log', 'wh.stdout')]
allowed = ('tax_extract.csv', 'delta.csv')
for root in (out, os.path.join(tmp, 'wh')):
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if n in allowed or p.endswith('.xlsx'):
                continue
            files.append(p)
scanned = 0
bad = []
for p in files:
    data = open(p, 'rb').read()
    scanned += 1
    for needle, what in needles.items():
        if needle in data:
            bad.append(f"{os.path.relpath(p, tmp)}: {what} {needle[:3]!r}...")
            break
owner_cols = {'owner_name', 'owner_id', 'certificate', 'address'}
seen_owner_rows = 0
for p in glob.glob(os.path.join(out, '*', 'delta.csv')):
    scanned += 1
    for r in csv.DictReader(open(p, encoding='utf-8', newline='')):
        if r['column'] in owner_cols:
            seen_owner_rows += 1
            continue
        text = ','.join(v or '' for v in r.values()).encode('utf-8')
        for needle, what in needles.items():
            if needle in text:
                bad.append(f"{os.path.relpath(p, tmp)}: {what} in column {r['column']!r}")
if not seen_owner_rows:
    bad.append('delta.csv: no owner column change although owners changed (scan self-check)')
if bad:
    print("\n".join(bad[:20]), file=sys.stderr)
    sys.exit(1)
print(f"scanned {scanned} files for {len(needles)} owner strings: none found "
      f"(delta.csv: {seen_owner_rows} owner-column rows, the only place allowed)")
PY
ok "no personal data outside the tax extract and workbooks"

# the extract itself does carry them (the scan would see them)
grep -q "$(sed -n 2p "$LR_SOURCE_DIR/samples/register.csv" | cut -d, -f7)" "$out/one/tax_extract.csv" || fail "scan self-check: owner id not in the extract"

# modes: files 0640, folders 0750 (outputs, workbooks, the lock-free output folder, failed runs)
bad=$(find "$out" "$T/wh" -mindepth 1 \( -type f ! -perm 640 -o -type d ! -perm 750 \) -printf '%m %p\n')
[ -z "$bad" ] || fail "modes: $bad"
[ "$(stat -c %a "$out")" = 750 ] || fail "output folder mode $(stat -c %a "$out")"
ok "files 0640, folders 0750 ($(find "$out" "$T/wh" -type f | wc -l) files)"
# checkpoints hold the register's owners: 0640 in 0750 folders, never in a published folder
start_paused extract "$T/ck.log" "$cfg" --out "$T/ck" --run-id ck
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
[ "$(stat -c %a "$T/ck/ck.tmp/checkpoints")" = 750 ] || fail "checkpoint folder mode"
for ck in "$T"/ck/ck.tmp/checkpoints/*.ckpt; do
  [ "$(stat -c %a "$ck")" = 640 ] || fail "checkpoint mode: $ck"
done
"$LR_BINARY" run "$cfg" --out "$T/ck" --resume -q >/dev/null 2>&1 || fail "resume failed"
[ -z "$(find "$T/ck" -name '*.ckpt' -o -name '*checkpoints*')" ] || fail "checkpoints left after publication"
ok "checkpoints 0640/0750, gone once published"
echo "PASS privacy"
