#!/usr/bin/env bash
# End-to-end, table-driven: bad inputs each give a finding or a clear error naming the file (and
# layer, feature, field where there is one), never a crash or a silent drop. Every case starts
# from a fresh copy of a small fixture set (ingest_lib.py, from `landrec sample`), damages it,
# runs landrec and checks the exit status and each expectation:
#   err:REGEX          stderr matches (case of an error exit)
#   log:REGEX          stderr matches (a warning on a run that goes on)
#   finding:CLASS:REGEX a line of mismatches.csv of that class whose detail matches
#   count:CLASS:N      exactly N lines of that class in mismatches.csv
#   same               the tax extract equals the undamaged baseline's
# A run that exits 0 must also conserve its inputs (the manifest's counts add up, and its map and
# register input counts equal the features/rows in the files, counted here independently).
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
T=$(mktemp -d)
trap '[ -n "${LR_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=/usr/bin/python3
LIB="$LR_SOURCE_DIR/tests/e2e/ingest_lib.py"
export LR_SOURCE_DIR
N=20

"$LR_BINARY" sample "$T/s" --parcels 300 --communes 1 --seed 3 >/dev/null 2>&1 || fail "sample"
B="$T/base"
$PY "$LIB" set "$T/s" "$B" $N UTF-8 UTF-8 csv || fail fixture
gdalsrsinfo -o wkt_esri EPSG:9212 | tr -d '\n' > "$B/maps/m.prj"
"$LR_BINARY" run "$B/landrec.yaml" --out "$B/out" --run-id t -q >/dev/null 2>&1 || fail baseline

# register row i (1-based) rewritten by python expression on list r
reg_row() {
  $PY - "$1" "$2" "$3" <<'PY'
import csv, io, sys
path, i, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.reader(open(path, encoding='utf-8', newline='')))
r = rows[i]; exec(expr); rows[i] = r
out = io.StringIO(); csv.writer(out, lineterminator='\n').writerows(rows)
open(path, 'w', encoding='utf-8', newline='').write(out.getvalue())
PY
}
# map feature i (0-based) field F set to raw bytes V in maps/m.dbf (same width)
dbf_set() {
  $PY - maps/m.dbf "$1" "$2" "$3" <<'PY'
import struct, sys
path, i, field, val = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
b = bytearray(open(path, 'rb').read())
hlen, rlen = struct.unpack('<HH', b[8:12])
off, k = 1, 32
while b[k] != 0x0d:
    name = b[k:k + 11].split(b'\0')[0].decode(); w = b[k + 16]
    if name == field:
        pos = hlen + i * rlen + off
        b[pos:pos + w] = val.ljust(w)[:w]
        break
    off += w; k += 32
else:
    raise SystemExit(f'no field {field}')
open(path, 'wb').write(b)
PY
}
dbf_count() { # set the .dbf header's record count to $1 (relative: +N / -N)
  $PY - maps/m.dbf "$1" <<'PY'
import struct, sys
path, d = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, 'rb').read())
n = struct.unpack('<I', b[4:8])[0]
b[4:8] = struct.pack('<I', n + d)
open(path, 'wb').write(b)
PY
}
truncate_file() { $PY -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); open(p,"wb").write(b[:int(sys.argv[2]) if int(sys.argv[2]) > 0 else len(b)//2])' "$1" "$2"; }
cfg() { sed -i "$1" landrec.yaml; }
# line 5's address opens a quote that only line 9's address closes: lines 6-8 become its text
swallow() {
  $PY - register.csv <<'PY'
import sys
p = sys.argv[1]
L = open(p, encoding='utf-8').read().split('\n')
L[4] = L[4][:-1] if L[4].endswith('"') else L[4]
i = L[8].rfind(',"')
L[8] = L[8][:i + 1] + L[8][i + 2:]
open(p, 'w', encoding='utf-8').write('\n'.join(L))
PY
}
mkempty() { # an empty shapefile maps/$1
  $PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import ingest_lib as L; L.write_shp(sys.argv[2], []); L.write_dbf(sys.argv[2] + ".dbf", L.MAP_FIELDS, [])' "$LR_SOURCE_DIR/tests/e2e" "maps/$1"
}

check_conservation() { # run dir, case dir
  $PY - "$1/manifest.json" "$2" <<'PY'
import csv, glob, json, os, struct, sys
m, d = json.load(open(sys.argv[1])), sys.argv[2]
for side in ('map', 'register'):
    s = m['conservation'][side]
    total = s['matched'] + s['unmatched'] + sum(s['rejected'].values())
    assert total == s['input'], f'{side}: {total} outcomes for {s["input"]} inputs'
for i in m['inputs']:
    p = i['path']
    if p.endswith('.shp') and os.path.exists(p[:-4] + '.shx'):   # shapes in the .shx
        want = (os.path.getsize(p[:-4] + '.shx') - 100) // 8
        assert i['features'] == want, f"{p}: {i['features']} features read, the .shx has {want}"
    if p.endswith('.csv') and i['kind'] == 'register':
        rows = list(csv.reader(open(p, encoding='utf-8-sig', newline='')))
        want = len([r for r in rows[1:] if r])
        assert i['features'] == want, f"{p}: {i['features']} rows read, the file has {want}"
PY
}

n_cases=0
# case NAME RC PREP EXPECTATION...
case_() {
  local name=$1 want=$2 prep=$3; shift 3
  local d="$T/c_$name" rc
  rm -rf "$d"; cp -r "$B" "$d"; rm -rf "$d/out"
  (cd "$d" && eval "$prep") || fail "$name: preparing the case"
  set +e; timeout 120 "$LR_BINARY" run "$d/landrec.yaml" --out "$d/out" --run-id t -q >"$d/stdout" 2>"$d/stderr"
  rc=$?; set -e
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(grep -v INFO "$d/stderr" | tail -2)"
  grep -q "Segmentation\|AddressSanitizer\|runtime error" "$d/stderr" && fail "$name: crashed"
  for e in "$@"; do
    case "$e" in
      err:*|log:*) grep -Eq -- "${e#*:}" "$d/stderr" || fail "$name: no '${e#*:}' in: $(grep -v INFO "$d/stderr" | tail -2)";;
      finding:*)
        local rest=${e#finding:}; local cls=${rest%%:*} re=${rest#*:}
        $PY - "$d/out/t/mismatches.csv" "$cls" "$re" <<'PY' || fail "$name: no $cls finding matching '$re'"
import csv, re, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding='utf-8')) if r['class'] == sys.argv[2]]
sys.exit(0 if any(re.search(sys.argv[3], r['detail']) for r in rows) else 1)
PY
        ;;
      count:*)
        local rest=${e#count:}; local cls=${rest%%:*} k=${rest#*:}
        local got; got=$($PY -c 'import csv,sys; print(sum(r["class"]==sys.argv[2] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))))' "$d/out/t/mismatches.csv" "$cls")
        [ "$got" = "$k" ] || fail "$name: $got $cls findings, want $k";;
      same) cmp -s "$B/out/t/tax_extract.csv" "$d/out/t/tax_extract.csv" || fail "$name: extract differs from the baseline";;
      *) fail "bad expectation $e";;
    esac
  done
  if [ "$rc" = 0 ]; then check_conservation "$d/out/t" "$d" || fail "$name: conservation"; fi
  n_cases=$((n_cases + 1))
  echo "ok: $name"
}

M="maps/m.shp"
# ---- shapefiles ----
case_ missing_shx 3 "rm maps/m.shx" "err:m.shp.*Unable to open .*shx"
case_ missing_dbf 3 "rm maps/m.dbf" "err:m.shp'.*\\.dbf \\(the attribute table.*is missing"
case_ truncated_shp 0 "truncate_file $M 0" "finding:no_geometry:m.shp' layer 'm' feature [0-9]+: no_geometry: the geometry cannot be read.*truncated"
case_ shp_header_only 3 "truncate_file $M 60" "err:cannot read '.*m.shp'"
case_ dbf_count_low 3 "dbf_count -3" "err:m.shp'.*lists 17 records but the file holds 20.*would be lost"
case_ dbf_count_high 0 "dbf_count +3" "log:lists 23 records but the file holds only 20" same
case_ dbf_truncated 3 "truncate_file maps/m.dbf \$(( \$(stat -c %s maps/m.dbf) - 300 ))" "err:m.shp'.*lists 20 records but the file holds 1[0-9].*would be lost|the file is damaged"
case_ empty_layer_only 3 "mkempty m" "err:the map sources hold no feature at all" "log:layer 'm' is empty"
case_ empty_layer_beside 0 "mkempty e && cp maps/m.prj maps/e.prj" "log:maps/e.shp' layer 'e' is empty" same
case_ points_not_polygons 0 "$PY $LIB reshp . points" "count:not_polygon:$N" "finding:not_polygon:m.shp' layer 'm' feature 0: not_polygon"
case_ null_geometry 0 "$PY $LIB reshp . null2" "count:no_geometry:2" "finding:no_geometry:layer 'm' feature 1: no_geometry"
case_ polygon_z 0 "$PY $LIB reshp . Z" "log:layer 'm' has ZM? coordinates: they are dropped" same
case_ polygon_m 0 "$PY $LIB reshp . M" "log:layer 'm' has M coordinates" same
case_ garbage_prj 0 "echo 'not a CRS at all' > maps/m.prj" "count:crs_assumed:$N"
case_ map_bad_key 0 "dbf_set 4 SOTHUA 'x12'" "finding:bad_key:m.shp' layer 'm' feature 4: a key field cannot be read: Value 'x12' of field m.SOTHUA parsed incompletely"
case_ map_empty_key 0 "dbf_set 5 MAXA ''" "finding:bad_key:m.shp' layer 'm' feature 5: fields 'MAXA'/'SHBANDO'/'SOTHUA' = ''/"
case_ map_bad_area 0 "dbf_set 2 DIENTICH '12,5'" "finding:bad_value:layer 'm' feature 2: field 'DIENTICH': area '12,5' is not a decimal number"
case_ map_bad_land_use 0 "dbf_set 3 LOAIDAT 'Q#'" "finding:bad_value:layer 'm' feature 3: field 'LOAIDAT' = 'Q#' is not a land-use code"
case_ duplicate_key_same_file 0 "dbf_set 1 SOTHUA \"\$($PY -c 'import csv; print(list(csv.reader(open(\"register.csv\")))[1][2])')\"" "finding:duplicate_key:."
# ---- CSV registers ----
case_ csv_pipe 3 "sed -i 's/,/|/g' register.csv" "err:register.csv'.*delimiter is wrong"
case_ csv_semicolon 0 "sed -i 's/,/;/g' register.csv" "count:bad_value:0" "count:bad_key:0"
case_ csv_tab 0 "$PY -c 'import csv,sys; r=list(csv.reader(open(\"register.csv\"))); csv.writer(open(\"register.csv\",\"w\"), delimiter=\"\\t\", lineterminator=\"\\n\").writerows(r)'" same
case_ csv_bom 0 "printf '\\xef\\xbb\\xbf' | cat - register.csv > r && mv r register.csv" same
case_ csv_crlf 0 "sed -i 's/\$/\\r/' register.csv" same
case_ csv_quote_eof 3 "sed -i '\$ s/\$/,\"unclosed/' register.csv" "err:register.csv' line 21: a quote opened here is never closed"
case_ csv_quote_swallow 3 "swallow" "err:register.csv' line 5: a row over several lines with 8 fields where the header has 7 \\(unbalanced quotes merging rows\\)"
case_ csv_extra_field 0 "reg_row register.csv 12 'r.append(\"extra\")'" "finding:bad_value:register.csv' layer 'register' feature 12: a row of 8 fields where the header has 7: the extra values are ignored" same
case_ csv_bad_area 0 "reg_row register.csv 3 'r[4] = \"12,5\"'" "finding:bad_value:register.csv' layer 'register' feature 3: field 'dien_tich': area '12,5' is not a decimal number"
case_ csv_empty_area 0 "reg_row register.csv 2 'r[4] = \"\"'" "finding:bad_value:feature 2: field 'dien_tich': area is empty"
case_ csv_negative_area 0 "reg_row register.csv 6 'r[4] = \"-40\"'" "finding:bad_value:feature 6: field 'dien_tich': area '-40'"
case_ csv_bad_land_use 0 "reg_row register.csv 7 'r[3] = \"XYZ\"'" "finding:bad_value:feature 7: field 'loai_dat' = 'XYZ' is not a land-use code"
case_ csv_legacy_land_use 0 "reg_row register.csv 7 'r[3] = \"BHK\"'" "count:bad_value:0"
case_ csv_bad_key 0 "reg_row register.csv 8 'r[1] = \"A1\"'" "finding:bad_key:register.csv' layer 'register' feature 8: fields 'ma_xa'/'so_to'/'so_thua' = '.*'/'A1'/"
case_ csv_key_zeros 0 "reg_row register.csv 9 'r[0] = \" 0\" + r[0].strip(); r[2] = \"000\" + r[2]'" same
case_ csv_missing_column 3 "cfg 's/owner_name: chu_su_dung/owner_name: ten_chu/'" "err:register.csv' layer 'register': no field 'ten_chu' \\(mapped as 'owner_name' in the config\\); the layer's fields are: ma_xa, so_to"
case_ csv_short_row 0 "reg_row register.csv 10 'r[:] = r[:3]'" "finding:bad_value:feature 10: field 'dien_tich': area is empty"
# ---- XLSX and other files ----
case_ xlsx_merged_header 3 "$PY $LIB xlsx-merged register.csv register.xlsx && rm register.csv && cfg 's|path: register.csv|path: register.xlsx|'" "err:register.xlsx' layer 'so_dia_chinh': no field 'ma_xa' \\(mapped as 'commune' in the config\\); the layer's fields are: Số hiệu thửa, Field2"
case_ xlsx_ok 0 "$PY $LIB xlsx register.csv register.xlsx && rm register.csv && cfg 's|path: register.csv|path: register.xlsx|'" same
case_ not_vector 3 "head -c 3000 /dev/urandom > maps/x.gpkg && cfg 's|path: maps/\\*.shp|path: maps/x.gpkg|'" "err:cannot read '.*maps/x.gpkg'"
case_ glob_no_match 3 "cfg 's|path: maps/\\*.shp|path: karten/*.shp|'" "err:no file matches '.*karten/\\*.shp'; check the path"
case_ no_such_layer 3 "cfg 's|      encoding: UTF-8|      layer: thua\\n      encoding: UTF-8|'" "err:m.shp': no layer 'thua'"
case_ bad_sql 2 "cfg 's|      encoding: UTF-8|      sql: \"SELEC nonsense\"\\n      encoding: UTF-8|'" "err:the source's sql failed"
echo "PASS ingest_bad ($n_cases cases)"
[ "$n_cases" -ge 30 ] || fail "only $n_cases cases"
