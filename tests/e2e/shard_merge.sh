#!/usr/bin/env bash
# Sharded runs without Slurm: `landrec run --shard I/N` (shards run at the same time, into one
# output folder) + `landrec merge` writes the same tax_extract.csv, mismatches.csv, parcels.gpkg
# and workbooks, byte for byte, as the single-machine run, with the same conservation counts;
# shards/ never reaches the published folder. A missing shard makes the merge fail (exit 1)
# naming the index to run again, publishing nothing; shards that leave communes out or hold one
# twice are refused; usage errors are exit 2; --commune alone restricts a whole run.
set -euo pipefail
: "${LR_BINARY:?}"
T=$(mktemp -d)
trap 'jobs -p | xargs -r kill -9 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
B=$LR_BINARY

"$B" sample "$T/in" --parcels 6000 --communes 7 --seed 3 >/dev/null 2>&1 || fail "sample"
cfg="$T/in/landrec.yaml"

# The outputs that must be the same bytes (report.html and manifest.json carry times; delta.csv
# exists only where an earlier run was published).
compared() {
  (cd "$1" && find . -type f ! -name manifest.json ! -name SHA256SUMS ! -name report.html ! -name delta.csv \
    -print0 | sort -z | xargs -0 sha256sum)
}

# 1. single machine
"$B" run "$cfg" --out "$T/one" --run-id r -q >/dev/null 2>"$T/one.log" || fail "single run: $(cat "$T/one.log")"

# 2. four shards at once into one output folder, then the merge
for i in 3 1 0 2; do
  "$B" run "$cfg" --out "$T/sh" --run-id r --shard $i/4 -q >/dev/null 2>"$T/s$i.log" &
done
for j in $(jobs -p); do wait "$j" || fail "a shard failed: $(cat "$T"/s*.log)"; done
cut=$(grep -h '^communes' "$T"/sh/r.tmp/shards/*/DONE | cut -d' ' -f2 | tr ',' '\n' | grep -v '^-$' | sort)
[ "$(echo "$cut" | wc -l)" -eq 7 ] || fail "the shards do not hold 7 communes: $cut"
[ -z "$(echo "$cut" | uniq -d)" ] || fail "a commune in two shards: $cut"
# the plan balances features: no shard holds more than twice the lightest non-empty one
loads=$(for i in 0 1 2 3; do sed -n 's/^parcels //p' "$T/sh/r.tmp/shards/$i/DONE"; done | sort -n)
[ "$(echo "$loads" | tail -1)" -le $((2 * $(echo "$loads" | head -1))) ] || fail "unbalanced: $loads"
"$B" merge "$T/sh/r" -q >/dev/null 2>"$T/merge.log" || fail "merge: $(cat "$T/merge.log")"
[ "$(readlink "$T/sh/latest")" = r ] || fail "merge did not publish"
[ -s "$T/sh/r/tax_extract.csv" ] || fail "no extract"
compared "$T/one/r" >"$T/a.sums"
compared "$T/sh/r" >"$T/b.sums"
grep -q tax_extract.csv "$T/a.sums" && grep -q 'xlsx/' "$T/a.sums" && grep -q parcels.gpkg "$T/a.sums" ||
  fail "the single run lacks outputs: $(cat "$T/a.sums")"
diff "$T/a.sums" "$T/b.sums" >&2 || fail "sharded outputs differ from the single run"
ok "4 shards + merge = single run, byte for byte ($(wc -l <"$T/a.sums") files)"

py() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(json.dumps($1, sort_keys=True))" "$2"; }
[ "$(py "m['conservation']" "$T/one/r/manifest.json")" = "$(py "m['conservation']" "$T/sh/r/manifest.json")" ] ||
  fail "conservation differs"
[ "$(py "m['inputs']" "$T/one/r/manifest.json")" = "$(py "m['inputs']" "$T/sh/r/manifest.json")" ] ||
  fail "inputs in the manifest differ"
[ ! -e "$T/sh/r/shards" ] && [ ! -e "$T/sh/.r.shards" ] && [ ! -e "$T/sh/r.tmp" ] ||
  fail "shard results left behind: $(ls -a "$T/sh" "$T/sh/r")"
grep -q shards "$T/sh/r/SHA256SUMS" && fail "SHA256SUMS names shard files"
ok "manifest conservation and inputs equal; shards/ gone after publish"

# 3. a missing shard: exit 1, the index named, nothing published
for i in 0 2; do "$B" run "$cfg" --out "$T/sh" --run-id m --shard $i/3 -q >/dev/null 2>&1 || fail "shard $i/3"; done
set +e
"$B" merge "$T/sh/m" -q >/dev/null 2>"$T/m.log"
rc=$?
set -e
[ $rc -eq 1 ] || fail "merge with a missing shard exited $rc, want 1: $(cat "$T/m.log")"
grep -q "indices 1)" "$T/m.log" && grep -q -- "--array=1 " "$T/m.log" || fail "the missing index is not named: $(cat "$T/m.log")"
[ "$(readlink "$T/sh/latest")" = r ] && [ ! -e "$T/sh/m" ] || fail "an incomplete run published"
ok "missing shard refused: $(tail -1 "$T/m.log" | cut -c1-160)"
# the shard run afterwards completes it
"$B" run "$cfg" --out "$T/sh" --run-id m --shard 1/3 -q >/dev/null 2>&1 || fail "shard 1/3"
"$B" merge "$T/sh/m.tmp/" -q >/dev/null 2>"$T/m2.log" || fail "merge after the resubmit: $(cat "$T/m2.log")"
compared "$T/sh/m" | diff "$T/a.sums" - >&2 || fail "3-shard outputs differ"
ok "resubmitted shard completes the run; 3 shards = single run"

# 4. hand-made --commune lists: a commune left out is refused
codes=($(echo "$cut" | head -3))
"$B" run "$cfg" --out "$T/sh" --run-id h --shard 0/2 --commune "${codes[0]}" -q >/dev/null 2>&1 || fail "h0"
"$B" run "$cfg" --out "$T/sh" --run-id h --shard 1/2 --commune "${codes[1]}" -q >/dev/null 2>&1 || fail "h1"
set +e
"$B" merge "$T/sh/h" -q >/dev/null 2>"$T/h.log"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "leave communes out" "$T/h.log" || fail "uncovered communes: exit $rc $(cat "$T/h.log")"
ok "shards that leave communes out refused"

# 5. usage errors (exit 2)
for args in "--shard 1/4" "--shard 4/4 --run-id x" "--shard a/b --run-id x" "--commune 99999x" \
  "--commune 99998 --run-id y"; do
  set +e
  # shellcheck disable=SC2086
  "$B" run "$cfg" --out "$T/u" $args -q >/dev/null 2>"$T/u.log"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "'$args' exited $rc, want 2: $(cat "$T/u.log")"
done
set +e
"$B" merge "$T/sh/nosuch" -q >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "merge of no run folder exited $rc, want 2"
ok "usage errors exit 2"

# 6. --commune alone: a whole run of that commune only, conserved
c=${codes[2]}
"$B" run "$cfg" --out "$T/c" --run-id c --commune "$c" -q >/dev/null 2>&1 || fail "--commune run"
[ "$(tail -n +2 "$T/c/c/tax_extract.csv" | cut -d, -f3 | sort -u)" = "$c" ] ||
  fail "--commune $c run extracts other communes"
python3 - "$T/c/c/manifest.json" "$T/one/r/manifest.json" <<'EOF' || fail "--commune conservation"
import json, sys
c = json.load(open(sys.argv[1]))["conservation"]
a = json.load(open(sys.argv[2]))["conservation"]
for side in ("map", "register"):
    s = c[side]
    assert s["input"] == s["matched"] + s["unmatched"] + sum(s["rejected"].values()), s
    assert 0 < s["input"] < a[side]["input"], (s, a[side])
EOF
ok "--commune $c restricts the run and conserves its rows"
