#!/usr/bin/env bash
# Submit a sharded landrec run to Slurm: a job array of N shards, then the merge, which starts
# only when every shard succeeded (--dependency=afterok on the array).
#   deploy/slurm/submit.sh CONFIG OUTPUT N [RUN_ID]
# RUN_ID defaults to landrec-YYYYMMDDTHHMMSSZ. Environment: LANDREC (the binary, default landrec
# on PATH; exported to the jobs), LANDREC_SBATCH_ARGS (extra sbatch options for both jobs, e.g.
# "--partition=batch --account=tax"). Slurm's logs go to OUTPUT/slurm-logs/.
# Prints the two job ids and how to run failed shards again; the last line is
# "jobs ARRAY_JOB_ID MERGE_JOB_ID RUN_ID" for scripts.
set -euo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 CONFIG OUTPUT N [RUN_ID]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
config=$(realpath "$1")
mkdir -p "$2"
output=$(realpath "$2")
n=$3
run_id=${4:-landrec-$(date -u +%Y%m%dT%H%M%SZ)}
case $n in '' | *[!0-9]* | 0) echo "$0: N must be a positive number, not '$n'" >&2; exit 2 ;; esac
[ -r "$config" ] || { echo "$0: cannot read config '$config'" >&2; exit 2; }
if [ -n "${LANDREC:-}" ]; then LANDREC=$(realpath "$LANDREC"); export LANDREC; fi
logs=$output/slurm-logs
mkdir -p "$logs"
# shellcheck disable=SC2086
array=$(sbatch --parsable ${LANDREC_SBATCH_ARGS:-} --array=0-$((n - 1)) \
  --output="$logs/%x-%A_%a.out" "$here/landrec.sbatch" "$config" "$output" "$run_id" "$n")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${LANDREC_SBATCH_ARGS:-} --dependency=afterok:"$array" \
  --kill-on-invalid-dep=yes --output="$logs/%x-%j.out" "$here/landrec-merge.sbatch" "$output" "$run_id")
merge=${merge%%;*}
cat <<MSG
run $run_id: $n shards in job array $array, merge in job $merge (after every shard succeeded)
  shard logs: $logs/landrec-shard-${array}_I.out
  if shards fail, the merge is cancelled; run the failed indices alone (e.g. 3 and 7), then merge:
    a=\$(sbatch --parsable --array=3,7 --output='$logs/%x-%A_%a.out' $here/landrec.sbatch $config $output $run_id $n)
    sbatch --dependency=afterok:\$a --output='$logs/%x-%j.out' $here/landrec-merge.sbatch $output $run_id
  (\`landrec merge $output/$run_id\` names the missing indices.)
jobs $array $merge $run_id
MSG
