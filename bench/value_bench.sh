#!/usr/bin/env bash
# value_bench.sh - the value and extract stages at scale: the value stage with each valuation
# method, and inside the extract stage tax_extract.csv and the workbooks separately (wall and
# process CPU seconds, from the stages' own log lines).
#
# Usage: bench/value_bench.sh [LANDREC_BINARY] [PARCELS] [COMMUNES] [SEED] [JOBS]
#        (defaults: build/landrec 1000000 20 1 2; WORK=dir keeps the sample and runs there)
# Writes a `landrec sample` set and runs the whole pipeline on it twice with --jobs JOBS and
# --no-publish: valuation.method interior_point, then piecewise. Wall times on a shared machine
# move with its load (printed); CPU seconds do not.
set -euo pipefail
bin=${1:-build/landrec}
parcels=${2:-1000000}
communes=${3:-20}
seed=${4:-1}
jobs=${5:-2}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

echo "sample: $parcels parcels, $communes communes, seed $seed -> $work"
[ -f "$work/s/landrec.yaml" ] ||
    "$bin" sample "$work/s" --parcels "$parcels" --communes "$communes" --seed "$seed" >/dev/null
sed 's/^\( *method:\) interior_point$/\1 piecewise/' "$work/s/landrec.yaml" >"$work/s/piecewise.yaml"

for method in interior_point piecewise; do
    cfg="$work/s/landrec.yaml"
    [ "$method" = piecewise ] && cfg="$work/s/piecewise.yaml"
    echo "== $method (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$bin" run "$cfg" --out "$work/out" --run-id "$method" --jobs "$jobs" --no-publish \
        >"$work/$method.out" 2>"$work/$method.log" || {
        tail -20 "$work/$method.log" >&2
        exit 1
    }
    grep -E '\[value\] (interior_point|piecewise):' "$work/$method.log" | sed 's/^.*\] /  value: /'
    grep -E '\[extract\] tax_extract.csv in' "$work/$method.log" | sed 's/^.*\] /  extract: /'
    python3 - "$work/out/$method" "$work/$method.log" <<'PY'
import json, os, re, sys
run, log = sys.argv[1], open(sys.argv[2]).read()
m = json.load(open(os.path.join(run, "manifest.json")))
st = {s["name"]: s for s in m["stages"]}
v = st["value"]
csv_s, csv_cpu, wb_s, wb_cpu = map(float, re.search(
    r"tax_extract.csv in ([\d.]+) s \(cpu ([\d.]+) s\), workbooks in ([\d.]+) s "
    r"\(cpu ([\d.]+) s", log).groups())
rows = st["extract"]["out"]
xlsx = os.path.join(run, "xlsx")
size = sum(os.path.getsize(os.path.join(xlsx, f)) for f in os.listdir(xlsx))
print(f"  value stage: {v['seconds']:.2f} s for {v['in']} parcels "
      f"({v['in'] / v['seconds']:,.0f} parcels/s)")
print(f"  tax_extract.csv: {csv_s:.2f} s wall, {csv_cpu:.2f} s cpu for {rows} rows "
      f"({rows / csv_s:,.0f} rows/s), {os.path.getsize(os.path.join(run, 'tax_extract.csv')):,} bytes")
print(f"  workbooks: {wb_s:.2f} s wall, {wb_cpu:.2f} s cpu for {rows} rows x 19 cells "
      f"({rows * 19 / wb_s:,.0f} cells/s wall, {rows * 19 / wb_cpu:,.0f} cells/s per cpu), "
      f"{len(os.listdir(xlsx))} files, {size:,} bytes")
PY
done
