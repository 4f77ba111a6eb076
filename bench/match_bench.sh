#!/usr/bin/env bash
# match_bench.sh - the match stage alone at scale, from the run manifest's per-stage timings.
#
# Usage: bench/match_bench.sh [LANDREC_BINARY] [PARCELS] [COMMUNES] [SEED] [JOBS]
#        (defaults: build/landrec 1000000 40 1 2; WORK=dir keeps the sample and run there)
# Writes a `landrec sample` set, runs the whole pipeline on it with --jobs JOBS, and prints
# the match stage's seconds and rates (map parcels per second, and parcels + records per
# second) with the conservation counts, and the stage's own log (its sub-steps and the CPU time
# of its thread: wall time suffers when other work shares the cores). Target (issue 6):
# >= 500k parcels/s on 2 cores.
set -euo pipefail
bin=${1:-build/landrec}
parcels=${2:-1000000}
communes=${3:-40}
seed=${4:-1}
jobs=${5:-2}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

echo "sample: $parcels parcels, $communes communes, seed $seed -> $work"
t0=$(date +%s.%N)
"$bin" sample "$work/s" --parcels "$parcels" --communes "$communes" --seed "$seed" >/dev/null
t1=$(date +%s.%N)
"$bin" run "$work/s/landrec.yaml" --out "$work/out" --jobs "$jobs" --no-publish -v \
    >"$work/run.out" 2>"$work/run.log" || {
    tail -20 "$work/run.log" >&2
    exit 1
}
t2=$(date +%s.%N)
manifest=$(ls -d "$work"/out/*/manifest.json | head -1)
python3 - "$manifest" "$jobs" "$t0" "$t1" "$t2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
jobs, t0, t1, t2 = sys.argv[2], *map(float, sys.argv[3:6])
st = {s["name"]: s for s in m["stages"]}
match = st["match"]
live_map = m["conservation"]["map"]["input"] - sum(m["conservation"]["map"]["rejected"].values())
print(f"sample written in {t1 - t0:.1f} s; run in {t2 - t1:.1f} s with --jobs {jobs}")
for name, s in st.items():
    print(f"  {name:<10} {s['seconds']:8.3f} s  in {s['in']:>9}  out {s['out']:>9}")
print(f"match stage: {match['seconds']:.3f} s for {live_map} map parcels and "
      f"{match['in'] - live_map} register records")
print(f"match rate: {live_map / match['seconds']:,.0f} map parcels/s, "
      f"{match['in'] / match['seconds']:,.0f} parcels+records/s")
for side in ("map", "register"):
    c = m["conservation"][side]
    print(f"conservation {side}: {c['input']} = {c['matched']} matched + {c['unmatched']} "
          f"unmatched + {sum(c['rejected'].values())} rejected")
print("statuses:", json.dumps(m["counts"]["statuses"], sort_keys=True))
PY
grep "\[match\]" "$work/run.log" | sed 's/^.*\] /match log: /'
echo "machine load (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
