#!/usr/bin/env bash
# Slurm end to end (label slurm): a single-node Slurm on this machine (munge + slurmctld +
# slurmd in a temporary folder, /work/shared/notes/slurm-single-node.md), a 4-shard run submitted
# with deploy/slurm/submit.sh (job array + merge chained with afterok), compared byte for byte
# with the single-machine run. Then a failed shard: the merge is cancelled, the failed index
# alone is submitted again with the merge after it, and the run completes.
# tools/deps.sh test installs slurm-wlm and munge; exit 77 (skip) only when they are absent.
set -euo pipefail
: "${LR_BINARY:?}" "${LR_SOURCE_DIR:?}"
for c in slurmctld slurmd sbatch squeue sinfo munged munge unmunge runuser; do
  command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed (tools/deps.sh test)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip: a private Slurm needs root here"; exit 77; }

T=$(mktemp -d)
chmod 755 "$T"
started_munge=""
fail() {
  echo "FAIL: $*" >&2
  for f in "$T"/ctld.log "$T"/d.log "$T"/out/slurm-logs/*; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
ok() { echo "ok: $*"; }
stop_pid() { # stop the daemon whose pid file is $1, by its pid only
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$T/slurmd.pid"
  stop_pid "$T/slurmctld.pid"
  [ -n "$started_munge" ] && stop_pid /run/munge/munged.pid
  rm -rf "$T"
}
trap cleanup EXIT

# 1. munge (a running one is used as it is)
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  chown -R munge: /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged --force
  started_munge=1
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || fail "munge does not work"
fi

# 2. slurmctld + slurmd on this node, private ports
H=$(hostname -s)
mkdir -p "$T/state" "$T/spool"
port=$((20000 + RANDOM % 20000))
cat >"$T/slurm.conf" <<EOF
ClusterName=lrtest
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/ctld.log
SlurmdLogFile=$T/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldPort=$port
SlurmdPort=$((port + 1))
NodeName=$H CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/slurm.conf
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 1 100); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.2
done
sinfo -h -o %T | grep -q idle || fail "the node never became idle: $(sinfo 2>&1)"
ok "single-node Slurm up ($(sinfo -h -o '%N %c CPUs %T'))"

# 3. the single-machine run of a sample set
"$LR_BINARY" sample "$T/in" --parcels 5000 --communes 6 --seed 7 >/dev/null 2>&1 || fail "sample"
cfg=$T/in/landrec.yaml
"$LR_BINARY" run "$cfg" --out "$T/one" --run-id one -q >/dev/null 2>"$T/one.log" ||
  fail "single run: $(cat "$T/one.log")"

# Wait until none of the jobs $@ is queued or running (at most 5 minutes).
wait_jobs() {
  local ids
  ids=$(IFS=,; echo "$*")
  for _ in $(seq 1 1500); do
    [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  squeue >&2
  fail "jobs $ids did not finish in 5 minutes"
}
compared() {
  (cd "$1" && find . -type f ! -name manifest.json ! -name SHA256SUMS ! -name report.html \
    ! -name delta.csv -print0 | sort -z | xargs -0 sha256sum)
}
compared "$T/one/one" >"$T/a.sums"

# 4. four shards through submit.sh
cd "$T"
# the scripts ask for the memory of a real cluster; this node has RealMemory=4000
export LANDREC_SBATCH_ARGS="--mem=1G"
LANDREC=$LR_BINARY "$LR_SOURCE_DIR/deploy/slurm/submit.sh" "$cfg" "$T/out" 4 sharded >"$T/submit.out" ||
  fail "submit.sh: $(cat "$T/submit.out")"
read -r _ array merge run_id < <(tail -1 "$T/submit.out")
[ "$run_id" = sharded ] || fail "submit.sh's last line: $(tail -1 "$T/submit.out")"
wait_jobs "$array" "$merge"
[ "$(readlink "$T/out/latest" 2>/dev/null)" = sharded ] || fail "the merge job did not publish"
for i in 0 1 2 3; do
  grep -q "shard $i/4 of run 'sharded' done" "$T/out/slurm-logs/landrec-shard-${array}_$i.out" ||
    fail "array task $i did not run its shard"
done
compared "$T/out/sharded" | diff "$T/a.sums" - >&2 || fail "Slurm's 4-shard outputs differ"
ok "4-shard job array + merge (jobs $array, $merge) = single run, byte for byte"

# 5. a failed shard: task 2 fails once (a wrapper around the binary), so the merge is cancelled
# and nothing is published; that index alone is submitted again, then the merge
printf '%s\n' '#!/bin/bash' \
  "if [ \"\${SLURM_ARRAY_TASK_ID:-}\" = 2 ] && [ ! -e '$T/failed-once' ]; then" \
  "  touch '$T/failed-once'; echo 'injected failure of shard 2' >&2; exit 1" \
  'fi' "exec '$LR_BINARY' \"\$@\"" >"$T/flaky"
chmod +x "$T/flaky"
LANDREC=$T/flaky "$LR_SOURCE_DIR/deploy/slurm/submit.sh" "$cfg" "$T/out" 4 again >"$T/submit2.out" ||
  fail "submit.sh: $(cat "$T/submit2.out")"
read -r _ array2 merge2 _ < <(tail -1 "$T/submit2.out")
wait_jobs "$array2" "$merge2"
[ -e "$T/failed-once" ] || fail "task 2 did not run"
[ ! -e "$T/out/again" ] && [ "$(readlink "$T/out/latest")" = sharded ] ||
  fail "a run with a failed shard was published"
set +e
"$LR_BINARY" merge "$T/out/again" -q >/dev/null 2>"$T/m.log"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "indices 2)" "$T/m.log" || fail "merge exit $rc: $(cat "$T/m.log")"
a=$(LANDREC=$T/flaky sbatch --parsable --mem=1G --array=2 --output="$T/out/slurm-logs/%x-%A_%a.out" \
  "$LR_SOURCE_DIR/deploy/slurm/landrec.sbatch" "$cfg" "$T/out" again 4)
m=$(LANDREC=$LR_BINARY sbatch --parsable --mem=1G --dependency=afterok:"$a" \
  --output="$T/out/slurm-logs/%x-%j.out" "$LR_SOURCE_DIR/deploy/slurm/landrec-merge.sbatch" \
  "$T/out" again)
wait_jobs "$a" "$m"
[ "$(readlink "$T/out/latest")" = again ] || fail "the resubmitted run was not published"
compared "$T/out/again" | diff "$T/a.sums" - >&2 || fail "resubmitted run's outputs differ"
ok "failed shard 2 resubmitted alone (array $a), merge $m published the same bytes"
