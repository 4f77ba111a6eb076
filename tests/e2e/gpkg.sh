#!/usr/bin/env bash
# End-to-end: parcels.gpkg of a sample run. GDAL's GeoPackage validator passes; every layer's
# row count agrees with the manifest and with mismatches.csv; no owner name, owner id or
# certificate number of the register appears anywhere in the file's bytes; QGIS styles are
# stored for every table and cover every status/class present; identical bytes on a rerun;
# mode 0640; listed in SHA256SUMS; the R-trees pass SQLite's rtreecheck and answer spatial
# filters like the ones GDAL builds itself.
set -euo pipefail
: "${LR_BINARY:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
validator=/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py
[ -r "$validator" ] || fail "GDAL's validator $validator is missing (install python3-gdal)"

"$LR_BINARY" sample "$T/s" --parcels 1500 --communes 3 --seed 7 > /dev/null || fail "sample"
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id g1 --jobs 2 -q > /dev/null || fail "run"
run="$T/out/g1"
gpkg="$run/parcels.gpkg"
[ -s "$gpkg" ] || fail "no parcels.gpkg"
[ "$(stat -c %a "$gpkg")" = 640 ] || fail "parcels.gpkg mode $(stat -c %a "$gpkg"), want 640"
ls "$run" | grep -q 'tmp' && fail "temporary file left in the run folder: $(ls "$run")"
grep -q '  parcels.gpkg$' "$run/SHA256SUMS" || fail "parcels.gpkg not in SHA256SUMS"
(cd "$run" && sha256sum -c --quiet SHA256SUMS) || fail "checksums do not verify"

# 1. GDAL's own validator
/usr/bin/python3 "$validator" "$gpkg" > "$T/validator.out" 2>&1 \
  || { cat "$T/validator.out" >&2; fail "validate_gpkg.py refused parcels.gpkg"; }

# 2. counts against the manifest and mismatches.csv; lineage consistent with the parcels
python3 - "$run" <<'PY' || fail "counts"
import csv, json, sqlite3, sys
run = sys.argv[1]
m = json.load(open(f"{run}/manifest.json"))
db = sqlite3.connect(f"file:{run}/parcels.gpkg?mode=ro", uri=True)
q = lambda sql: db.execute(sql).fetchall()
n = {t: q(f"SELECT count(*) FROM {t}")[0][0] for t in ('parcels', 'issues', 'register_only', 'lineage')}
c = m['conservation']
want = c['map']['matched'] + c['map']['unmatched']
assert n['parcels'] == want, f"parcels {n['parcels']} != map matched+unmatched {want}"
want = c['register']['unmatched'] + sum(c['register']['rejected'].values())
assert n['register_only'] == want, f"register_only {n['register_only']} != {want}"
rows = list(csv.DictReader(open(f"{run}/mismatches.csv", encoding='utf-8')))
assert n['issues'] == len(rows), f"issues {n['issues']} != mismatches.csv rows {len(rows)}"
geo = q("SELECT count(*) FROM issues WHERE kind = 'geometry'")[0][0]
assert geo == sum(m['counts']['issues'].values()), f"geometry issues {geo} != manifest"
# statuses: parcels layer + register_only table == the manifest's status counts
st = dict(q("SELECT status, count(*) FROM (SELECT status FROM parcels UNION ALL "
            "SELECT status FROM register_only) GROUP BY status"))
st.pop('rejected', None)  # rejected map features without geometry are in neither table
want = {k: v for k, v in m['counts']['statuses'].items() if k != 'rejected'}
assert st == want, f"statuses {st} != manifest {want}"
# per class, the issues layer holds exactly the lines of mismatches.csv
from collections import Counter
got = Counter(r[0] for r in q("SELECT class FROM issues"))
assert got == Counter(r['class'] for r in rows), "issue classes differ from mismatches.csv"
# lineage: one `same` row per parcel matched on its own key; every renumbered/split/merged
# parcel is the new end of a lineage row with its relation
same = q("SELECT count(*) FROM lineage WHERE relation = 'same'")[0][0]
exact = q("SELECT count(*) FROM parcels WHERE parcel_key = record_key")[0][0]
assert same == exact, f"same rows {same} != parcels matched on their key {exact}"
for rel in ('renumbered', 'split', 'merged'):
    miss = q(f"SELECT count(*) FROM parcels p WHERE status = '{rel}' AND NOT EXISTS "
             f"(SELECT 1 FROM lineage l WHERE l.new_key = p.parcel_key AND l.relation = '{rel}')")
    assert miss[0][0] == 0, f"{miss[0][0]} {rel} parcels without a lineage row"
conf = q("SELECT min(confidence), max(confidence) FROM lineage")[0]
assert 0 <= conf[0] <= conf[1] <= 1, f"confidence out of 0..1: {conf}"
# spatial index filled, geometry column types, CRS
assert q("SELECT count(*) FROM rtree_parcels_geom")[0][0] == n['parcels'], "rtree incomplete"
assert q("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns "
         "WHERE table_name = 'parcels'") == [('MULTIPOLYGON', 5899)]
assert q("SELECT geometry_type_name FROM gpkg_geometry_columns "
         "WHERE table_name = 'issues'") == [('GEOMETRY',)]
idx = {r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'index'")}
for i in ('idx_parcels_parcel_key', 'idx_parcels_record_key', 'idx_lineage_old_key'):
    assert i in idx, f"index {i} missing"
print(f"gpkg counts ok: {n}")
PY

# 3. QGIS styles: one default style per table; the QML and SLD are XML; every status and
#    class present in the data has a category / rule; Vietnamese aliases present
python3 - "$gpkg" <<'PY' || fail "styles"
import sqlite3, sys, xml.etree.ElementTree as ET
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault "
                  "FROM layer_styles WHERE f_table_schema = ''").fetchall()
styles = {r[0]: r for r in rows}
assert set(styles) == {'parcels', 'issues', 'register_only', 'lineage'}, set(styles)
assert db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
                  ).fetchone() == ('attributes',)
for name, geomcol, qml, sld, default in rows:
    assert default == 1, name
    q, s = ET.fromstring(qml), ET.fromstring(sld.encode())
    cols = [r[1] for r in db.execute(f"PRAGMA table_info({name})") if r[1] not in ('fid', 'geom')]
    aliases = {a.get('field'): a.get('name') for a in q.iter('alias')}
    assert all(aliases.get(c) for c in cols), f"{name}: fields without alias"
cats = {c.get('value') for c in ET.fromstring(styles['parcels'][2]).iter('category')}
present = {r[0] for r in db.execute("SELECT DISTINCT status FROM parcels")}
assert present <= cats, f"statuses without a category: {present - cats}"
rules = ' '.join(r.get('filter') for r in ET.fromstring(styles['issues'][2]).iter('rule'))
for (cls,) in db.execute("SELECT DISTINCT class FROM issues"):
    assert f"'{cls}'" in rules, f"issue class {cls} has no rule"
assert styles['parcels'][1] == 'geom' and styles['lineage'][1] == ''
print(f"styles ok: {len(cats)} status categories")
PY

# 4. no owner data of the register anywhere in the bytes
python3 - "$gpkg" "$T/s/register.csv" <<'PY' || fail "owner data in parcels.gpkg"
import csv, sys, unicodedata
data = open(sys.argv[1], 'rb').read()
checked = 0
for r in csv.DictReader(open(sys.argv[2], encoding='utf-8')):
    for col in ('chu_su_dung', 'so_dinh_danh', 'so_gcn'):
        v = (r.get(col) or '').strip()
        if not v:
            continue
        for form in {v, unicodedata.normalize('NFC', v), unicodedata.normalize('NFD', v)}:
            assert form.encode() not in data, f"{col} of register row {checked} is in the GPKG"
        checked += 1
assert checked > 1000, f"only {checked} owner values checked"
print(f"no owner data: {checked} values checked")
PY

# 5. same inputs, same bytes, whatever the number of threads
"$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id g2 --jobs 1 -q > /dev/null || fail "rerun"
cmp -s "$gpkg" "$T/out/g2/parcels.gpkg" || fail "parcels.gpkg differs between identical runs"

# 6. the R-trees (packed by landrec, not filled row by row by GDAL): SQLite's rtreecheck passes;
#    against a run where GDAL builds them itself (LANDREC_GPKG_RTREE=gdal): the same entries,
#    the same virtual tables, triggers and gpkg_extensions rows, and ogrinfo -spat (GDAL's spatial
#    filter, through the index) returns the same features for boxes over each layer
LANDREC_GPKG_RTREE=gdal "$LR_BINARY" run "$T/s/landrec.yaml" --out "$T/out" --run-id g3 --jobs 2 -q \
  > /dev/null || fail "run with GDAL's R-tree"
python3 - "$gpkg" "$T/out/g3/parcels.gpkg" > "$T/boxes" <<'PY' || fail "r-trees"
import random, sqlite3, sys
ours, gdal = (sqlite3.connect(f"file:{p}?mode=ro", uri=True) for p in sys.argv[1:3])
q = lambda db, sql: db.execute(sql).fetchall()
for t in ('parcels', 'issues'):
    r = f"rtree_{t}_geom"
    assert q(ours, f"SELECT rtreecheck('{r}')") == [('ok',)], f"rtreecheck {r}"
    assert q(ours, f"SELECT * FROM {r} ORDER BY id") == q(gdal, f"SELECT * FROM {r} ORDER BY id"), \
        f"{r}: entries differ from GDAL's index"
    n = q(ours, f"SELECT count(*) FROM {t} WHERE geom IS NOT NULL")[0][0]
    assert q(ours, f"SELECT count(*) FROM {r}")[0][0] == n > 0, f"{r}: not every geometry"
    nodes = [q(db, f"SELECT count(*) FROM {r}_node")[0][0] for db in (ours, gdal)]
    assert nodes[0] <= nodes[1], f"{r}: {nodes[0]} nodes, GDAL's has {nodes[1]}"
    x0, y0, x1, y1 = q(ours, f"SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                             f"WHERE table_name = '{t}'")[0]
    rnd = random.Random(t)
    for i in range(12):
        s = (x1 - x0) * (0.01 if i < 6 else 0.2)
        x, y = rnd.uniform(x0 - s, x1), rnd.uniform(y0 - s, y1)
        print(t, x, y, x + s, y + s)
schema = ("SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'rtree%' ORDER BY name",
          "SELECT * FROM gpkg_extensions ORDER BY table_name")
for sql in schema:
    assert q(ours, sql) == q(gdal, sql), f"differs from GDAL's: {sql}"
PY
hits=0
while read -r t x0 y0 x1 y1; do
  for f in ours:"$gpkg" gdal:"$T/out/g3/parcels.gpkg"; do
    ogrinfo -ro -q "${f#*:}" "$t" -spat "$x0" "$y0" "$x1" "$y1" -fields=NO -geom=NO \
      | { grep -o "^OGRFeature($t):[0-9]*" || true; } | sort > "$T/${f%%:*}.fids"
  done
  cmp -s "$T/ours.fids" "$T/gdal.fids" \
    || fail "ogrinfo -spat $x0 $y0 $x1 $y1 on $t: not the features of GDAL's index"
  hits=$((hits + $(wc -l < "$T/ours.fids")))
done < "$T/boxes"
[ "$hits" -gt 100 ] || fail "spatial filters found only $hits features"
echo "r-trees: rtreecheck ok, same entries and spatial filter answers ($hits features) as GDAL's"
echo "gpkg e2e: ok"
