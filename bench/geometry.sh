#!/usr/bin/env bash
# Geometry QA benchmark (not a test): throughput of the validate stage (build, validity, repair,
# vertex checks, slivers, commune placement, overlaps, gaps) on `landrec sample` data.
#
#   bench/geometry.sh [-b BINARY] [-j "1 2"] [-k] [SIZE[:COMMUNES] ...]    (default: 100000:10 1000000:40)
#
# For each size: writes a sample (seed 1) into a temporary folder, runs `landrec run` once per
# job count with --no-publish, and reads the validate stage's wall seconds and parcel count from
# manifest.json; the per-phase split (checks, overlaps, gaps) and the stage's critical path in
# CPU seconds (the main thread's CPU time plus, per phase, what the busiest other thread used
# beyond it: the wall time the stage would take on free cores) come from the stage's log line.
# The machine's load average is printed next to each run: on a shared machine the wall times
# are only as good as the cores that were free; the CPU figure does not depend on that (much).
# -k keeps the folders.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../build/landrec"
jobs_list="1 2"
keep=0
while getopts "b:j:k" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    j) jobs_list=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -x "$bin" ] || { echo "no landrec binary at '$bin' (use -b)" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000:10 1000000:40)
T=$(mktemp -d)
[ "$keep" = 1 ] && echo "folders kept in $T" >&2 || trap 'rm -rf "$T"' EXIT

printf '%-9s %-4s %-8s %-9s %-6s %-8s %-10s %-7s %s\n' parcels jobs wall_s parcels/s load \
  cpu_path_s parcels/s@ issues 'phases (wall)'
for spec in "${sizes[@]}"; do
  n=${spec%%:*}
  communes=${spec#*:}
  [ "$communes" = "$spec" ] && communes=$(( n >= 500000 ? 40 : 10 ))
  d="$T/s$n"
  "$bin" sample "$d" --parcels "$n" --communes "$communes" --seed 1 > /dev/null 2> "$T/sample$n.log"
  for j in $jobs_list; do
    set +e
    "$bin" run "$d/landrec.yaml" --out "$T/out$n" --run-id "j$j" --jobs "$j" --no-publish \
      > /dev/null 2> "$T/run$n-$j.log"
    rc=$?
    set -e
    if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then
      tail -5 "$T/run$n-$j.log" >&2
      echo "run of $n parcels with $j jobs exited $rc" >&2
      exit 1
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$(grep -o 'checks .*critical path [0-9.]* s of CPU' "$T/run$n-$j.log" | head -1)
    python3 - "$T/out$n/j$j/manifest.json" "$j" "$load" "$line" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1]))
line = sys.argv[4]
cpu = float(re.search(r'critical path ([0-9.]+) s', line).group(1))
phases = re.sub(r' \([0-9]+ (maps|communes)\)', '', line.split(';')[0])
st = next(s for s in m['stages'] if s['name'] == 'validate')
issues = m.get('counts', {}).get('issues', {})
geom = sum(v for k, v in issues.items() if k in (
    'self_intersection', 'too_few_points', 'duplicate_vertex', 'spike', 'repaired',
    'unrepairable', 'overlap', 'gap', 'sliver', 'outside_boundary', 'ring_problem'))
print(f"{st['in']:<9} {sys.argv[2]:<4} {st['seconds']:<8.3f} {st['in'] / st['seconds']:<9.0f} "
      f"{sys.argv[3]:<6} {cpu:<8.3f} {st['in'] / cpu:<10.0f} {geom:<7} {phases}")
PY
  done
  [ "$keep" = 1 ] || rm -rf "$d" "$T/out$n"
done
