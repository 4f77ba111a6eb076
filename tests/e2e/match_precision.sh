#!/usr/bin/env bash
# match_precision.sh - the reconciliation against the defects `landrec sample` injected.
#
# For three sample sets (different seeds and sizes; the third with the maps' owner names left
# unmapped, so that only areas, land use and positions explain) it runs the pipeline and compares
# mismatches.csv with injected.csv class by class, printing a table of precision and recall;
# each match-status class must reach 0.98 in both. Units compared:
#   area_mismatch, land_use_mismatch, commune_mismatch, renumbered, split, merged:
#                  the (parcel_key, record_key) pair (split: each child with its parent record;
#                  merged: the merged parcel with each of its records);
#   map_only: the parcel key; register_only: the record key;
#   duplicate_key: the key held twice (findings name every holder, injected.csv the key).
# It also checks: the lineage table of parcels.gpkg holds a row with the right relation for
# every injected renumbered/split/merged pair and no other such rows; the extract carries the
# sure renumbered/split/merged parcels and no duplicate_key or map_only parcel; conservation
# in the manifest adds up; no owner name of the register appears in mismatches.csv or in the
# lineage evidence.
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_set() { # name parcels communes seed [no-owner]
    local dir="$tmp/$1"
    "$LR_BINARY" sample "$dir" --parcels "$2" --communes "$3" --seed "$4" >/dev/null \
        2>"$tmp/$1.sample.log"
    if [ "${5:-}" = no-owner ]; then
        sed -i 's/ owner_name: TENCHU,//' "$dir/landrec.yaml"
        ! grep -q TENCHU "$dir/landrec.yaml" || { echo "FAIL: cannot unmap TENCHU" >&2; return 1; }
    fi
    if ! "$LR_BINARY" run "$dir/landrec.yaml" --out "$dir/out" >"$tmp/$1.run.out" \
        2>"$tmp/$1.run.log"; then
        cat "$tmp/$1.run.log" >&2
        echo "FAIL: landrec run on sample set $1" >&2
        return 1
    fi
    python3 - "$1" "$dir" "$(readlink -f "$dir/out/latest")" <<'PY'
import csv, json, sqlite3, sys

name, sample, run = sys.argv[1:4]
PAIR = ["area_mismatch", "land_use_mismatch", "commune_mismatch", "renumbered", "split",
        "merged"]
CLASSES = PAIR + ["duplicate_key", "map_only", "register_only"]
LINEAGE = ["renumbered", "split", "merged"]

def unit(cls, pk, rk):
    if cls in PAIR:
        return (pk, rk)
    if cls == "map_only":
        return pk
    if cls == "register_only":
        return rk
    return pk or rk  # duplicate_key: the key

inj = {c: set() for c in CLASSES}
with open(f"{sample}/injected.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["class"] in inj:
            inj[row["class"]].add(unit(row["class"], row["parcel_key"], row["record_key"]))
found = {c: set() for c in CLASSES}
with open(f"{run}/mismatches.csv", newline="", encoding="utf-8") as f:
    mismatches_text = f.read()
for row in csv.DictReader(mismatches_text.splitlines()):
    if row["class"] in found:
        found[row["class"]].add(unit(row["class"], row["parcel_key"], row["record_key"]))

failed = []
print(f"sample set {name}: per-class precision and recall")
print(f"{'class':<20}{'injected':>9}{'found':>7}{'right':>7}{'precision':>11}{'recall':>8}")
for c in CLASSES:
    right = len(inj[c] & found[c])
    p = right / len(found[c]) if found[c] else (1.0 if not inj[c] else 0.0)
    r = right / len(inj[c]) if inj[c] else 1.0
    print(f"{c:<20}{len(inj[c]):>9}{len(found[c]):>7}{right:>7}{p:>11.4f}{r:>8.4f}")
    if not inj[c]:
        failed.append(f"{c}: nothing injected, the comparison proves nothing")
    if p < 0.98 or r < 0.98:
        failed.append(f"{c}: precision {p:.4f}, recall {r:.4f}")
        for u in sorted(found[c] - inj[c])[:5]:
            print(f"  false positive {c}: {u}")
        for u in sorted(inj[c] - found[c])[:5]:
            print(f"  missed {c}: {u}")

# lineage rows in parcels.gpkg: (old_key = register, new_key = map, relation)
db = sqlite3.connect(f"{run}/parcels.gpkg")
rows = db.execute("SELECT old_key, new_key, relation, confidence, evidence FROM lineage "
                  "WHERE relation IN ('renumbered', 'split', 'merged')").fetchall()
got = {(new, old, rel) for old, new, rel, _, _ in rows}
want = {(pk, rk, c) for c in LINEAGE for pk, rk in inj[c]}
missing, extra = want - got, got - want
print(f"lineage: {len(want)} injected renumbered/split/merged links, {len(got)} rows, "
      f"{len(missing)} missing, {len(extra)} unexpected")
if missing or extra:
    failed.append(f"lineage: {len(missing)} missing, {len(extra)} unexpected "
                  f"(e.g. {sorted(missing)[:2]} {sorted(extra)[:2]})")
if any(not (0.0 < conf <= 1.0) for _, _, _, conf, _ in rows):
    failed.append("lineage: a confidence outside (0, 1]")

# the extract: sure lineage parcels in, duplicate and map-only parcels out
with open(f"{run}/tax_extract.csv", newline="", encoding="utf-8") as f:
    extract = {row["parcel_key"]: row["status"] for row in csv.DictReader(f)}
sure = {new for old, new, rel, conf, _ in rows if conf >= 0.8}
for c in LINEAGE:
    for pk, rk in inj[c]:
        if pk in sure and extract.get(pk) != c:
            failed.append(f"extract: {pk} should be in the extract as {c}")
for k in inj["map_only"] | {u for u in inj["duplicate_key"]}:
    if k in extract:
        failed.append(f"extract: {k} ({extract[k]}) must not be in the extract")
in_review = len({new for old, new, rel, conf, _ in rows} - sure)
print(f"extract: {len(extract)} rows; lineage parcels in the review band: {in_review}")

# conservation
m = json.load(open(f"{run}/manifest.json", encoding="utf-8"))
for side in ("map", "register"):
    s = m["conservation"][side]
    out = s["matched"] + s["unmatched"] + sum(s["rejected"].values())
    print(f"conservation {side}: {s['input']} in = {s['matched']} matched + "
          f"{s['unmatched']} unmatched + {sum(s['rejected'].values())} rejected")
    if s["input"] != out:
        failed.append(f"conservation {side}: {s['input']} in, {out} out")

# personal data: no register owner name in analyst outputs
owners = set()
with open(f"{sample}/register.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if len(row["chu_su_dung"]) >= 6:
            owners.add(row["chu_su_dung"])
evidence = "\n".join(e for *_, e in rows)
leaks = [o for o in owners if o in mismatches_text or o in evidence]
if leaks:
    failed.append(f"owner names in analyst outputs: {len(leaks)}")

for f in failed:
    print(f"FAIL: {f}")
sys.exit(1 if failed else 0)
PY
}

check_set a 30000 6 2026
check_set b 12000 3 7
check_set c 30000 6 2026 no-owner
echo "match precision/recall: ok"
