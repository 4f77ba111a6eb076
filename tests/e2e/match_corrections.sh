#!/usr/bin/env bash
# match_corrections.sh - the analysts' corrections file through the whole run.
#
# 1. A sample run with a strict gate (max_unmatched_ratio 0.001) fails the gate (exit 5).
# 2. A corrections file made from that run's mismatches.csv: link one map_only parcel to one
#    register_only record, unlink one exact match (and accept what that leaves), accept every
#    other unmatched finding, plus one row for a finding that does not exist.
# 3. The run with it passes the gate and publishes (exit 0): the accepted findings stay in
#    mismatches.csv marked acknowledged and no longer count; the link is a match in the
#    extract; the unlinked parcel left the extract; the stale row is reported on stderr with
#    file and line and counted in the manifest.
# 4. A bad row stops the run with exit 3 and a message naming the file and line.
set -euo pipefail
: "${LR_BINARY:?LR_BINARY must name the landrec binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$LR_BINARY" sample "$tmp/s" --parcels 6000 --communes 2 --seed 5 >/dev/null 2>&1
cfg="$tmp/s/landrec.yaml"
sed -i 's/max_unmatched_ratio: .*/max_unmatched_ratio: 0.001/' "$cfg"

set +e
"$LR_BINARY" run "$cfg" --out "$tmp/out1" --run-id first >/dev/null 2>"$tmp/run1.log"
rc=$?
set -e
[ "$rc" -eq 5 ] || fail "the strict gate should fail the first run with exit 5, got $rc"
[ ! -e "$tmp/out1/latest" ] || fail "a run that fails its gate must not be published"

python3 - "$tmp/out1/first" "$tmp/s/corrections.csv" "$tmp/plan.json" <<'PY'
import csv, json, sys
run, out, plan = sys.argv[1:4]
rows = list(csv.DictReader(open(f"{run}/mismatches.csv", newline="", encoding="utf-8")))
extract = list(csv.DictReader(open(f"{run}/tax_extract.csv", newline="", encoding="utf-8")))
map_only = sorted(r["parcel_key"] for r in rows if r["class"] == "map_only")
reg_only = sorted(r["record_key"] for r in rows if r["class"] == "register_only")
plain = sorted(r["parcel_key"] for r in extract if r["status"] == "matched")
link_p, link_r, unlink = map_only[0], reg_only[0], plain[len(plain) // 2]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["parcel_key", "record_key", "class", "action", "note"])
    w.writerow([link_p, link_r, "", "link", "field visit, 2026"])
    w.writerow([unlink, unlink, "", "unlink", 'owner says "not mine"'])
    w.writerow([unlink, "", "map_only", "accept", "follows the unlink"])
    w.writerow(["", unlink, "register_only", "accept", ""])
    for r in rows:
        if r["class"] in ("map_only", "register_only", "duplicate_key") and \
                link_p != r["parcel_key"] and link_r != r["record_key"]:
            w.writerow([r["parcel_key"], r["record_key"], r["class"], "accept", "known"])
    w.writerow(["99999-1-1", "", "map_only", "accept", "an old decision"])
    stale_line = 1 + 4 + sum(1 for r in rows if r["class"] in
                             ("map_only", "register_only", "duplicate_key") and
                             link_p != r["parcel_key"] and link_r != r["record_key"]) + 1
json.dump({"link_p": link_p, "link_r": link_r, "unlink": unlink, "stale_line": stale_line},
          open(plan, "w"))
print(f"corrections: link {link_p} -> {link_r}, unlink {unlink}, stale row on line {stale_line}")
PY

sed -i 's/^  area_tolerance: regulation$/  area_tolerance: regulation\n  corrections: corrections.csv/' "$cfg"
grep -q '^  corrections: corrections.csv$' "$cfg" || fail "could not add corrections to the config"
"$LR_BINARY" run "$cfg" --out "$tmp/out2" --run-id second >/dev/null 2>"$tmp/run2.log" ||
    { cat "$tmp/run2.log" >&2; fail "the run with corrections should pass its gate"; }
[ -L "$tmp/out2/latest" ] || fail "the run with corrections should be published"

python3 - "$tmp/out2/second" "$tmp/plan.json" "$tmp/run2.log" "$tmp/s/corrections.csv" <<'PY'
import csv, json, sys
run, plan, log, path = sys.argv[1:5]
p = json.load(open(plan))
m = json.load(open(f"{run}/manifest.json"))
rows = list(csv.DictReader(open(f"{run}/mismatches.csv", newline="", encoding="utf-8")))
extract = {r["parcel_key"]: r for r in
           csv.DictReader(open(f"{run}/tax_extract.csv", newline="", encoding="utf-8"))}
errors = []
unmatched = [r for r in rows if r["class"] in ("map_only", "register_only", "duplicate_key")]
if not unmatched or any(r["acknowledged"] != "yes" for r in unmatched):
    errors.append("every unmatched finding should be in mismatches.csv, acknowledged")
if any(r["parcel_key"] == p["link_p"] and r["class"] == "map_only" for r in rows) or \
        any(r["record_key"] == p["link_r"] and r["class"] == "register_only" for r in rows):
    errors.append("the linked parcel/record are still unmatched")
if p["link_p"] not in extract:
    errors.append(f"the linked parcel {p['link_p']} is not in the extract")
if p["unlink"] in extract:
    errors.append(f"the unlinked parcel {p['unlink']} is still in the extract")
c = m.get("corrections", {})
if c.get("stale") != 1 or c.get("applied") != c.get("rows", 0) - 1:
    errors.append(f"manifest corrections {c}: want exactly one stale row")
if not m["gates"]["passed"]:
    errors.append(f"gates: {m['gates']}")
want = f"corrections file '{path}' line {p['stale_line']}: accept map_only parcel 99999-1-1"
if want not in open(log).read():
    errors.append(f"stderr lacks the stale report '{want}'")
print(f"corrections applied: {c}; gate: {m['gates']['detail']}")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY

printf '25216-1-1,,map_only,acept,\n' >>"$tmp/s/corrections.csv"
set +e
"$LR_BINARY" run "$cfg" --out "$tmp/out3" --run-id third >/dev/null 2>"$tmp/run3.log"
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "a bad corrections row should stop the run with exit 3, got $rc"
grep -q "corrections file '$tmp/s/corrections.csv' line [0-9]*: unknown action 'acept'" \
    "$tmp/run3.log" || { cat "$tmp/run3.log" >&2; fail "the error should name file and line"; }
echo "match corrections: ok"
