#!/bin/bash
# A real Slurm run of the README's array job (issue 16), not part of CI. As root on a Debian
# 12 machine: installs munge, slurmctld and slurmd from Debian's packages, brings up a
# single-node cluster (configuration and state under $WORK), submits the README's sweep as a
# 4-shard array, requeues one running shard (`scontrol requeue`: SIGTERM, then it runs again
# and resumes from its --save-resume file), combines the shards and checks the combined
# counts equal one unsharded run with the same seed. Stops the daemons it started at the end.
#
#   benches/slurm_array.sh            (MAX_SHOTS=4000000000 by default; WORK=/tmp/qec-sim-slurm)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
WORK=${WORK:-/tmp/qec-sim-slurm}
MAX_SHOTS=${MAX_SHOTS:-4000000000}
SHARDS=4
SEED=7
CIRCUITS=("$REPO"/circuits/color666_redundant_d3_r3_memory_*_cn20_p001.stim)

[ "$(id -u)" = 0 ] || { echo "slurm_array.sh: run as root (it installs and starts Slurm)" >&2; exit 1; }
cargo build --release --quiet
BIN=$REPO/target/release/qec-sim

DEBIAN_FRONTEND=noninteractive apt-get install -y -q munge slurmctld slurmd slurm-client >/dev/null

rm -rf "$WORK" && mkdir -p "$WORK"/{state,spool,job}
HOST=$(hostname -s)
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=qecsim
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$HOST CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF

# munge (key created by the package), then the controller and the node daemon.
mkdir -p /run/munge && chown munge:munge /run/munge
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
started=()
stop() {
    for pidfile in "${started[@]}"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
}
trap stop EXIT
/usr/sbin/slurmctld && started+=("$WORK/slurmctld.pid")
/usr/sbin/slurmd && started+=("$WORK/slurmd.pid")
for _ in $(seq 30); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo

# The README's array job, 4 shards, one thread each.
cat >"$WORK/job/array.sh" <<EOF
#!/bin/bash
#SBATCH --array=0-$((SHARDS - 1))
#SBATCH --cpus-per-task=1
#SBATCH --output=$WORK/job/slurm-%A_%a.out
#SBATCH --requeue
#SBATCH --open-mode=append
cd $WORK/job
exec $BIN sweep --circuits ${CIRCUITS[*]} --max-shots $MAX_SHOTS --seed $SEED \\
    --threads "\$SLURM_CPUS_PER_TASK" --shard "\$SLURM_ARRAY_TASK_ID/$SHARDS" \\
    --save-resume "resume-\$SLURM_ARRAY_TASK_ID.csv" --out "stats-\$SLURM_ARRAY_TASK_ID.csv"
EOF
job=$(sbatch --parsable "$WORK/job/array.sh")
echo "submitted array job $job"

# Pre-empt shard 0 once it is running and has saved at least one round.
for _ in $(seq 600); do
    [ -s "$WORK/job/resume-0.csv" ] && [ "$(wc -l <"$WORK/job/resume-0.csv")" -ge 6 ] && break
    sleep 0.5
done
rows_before=$(wc -l <"$WORK/job/resume-0.csv")
scontrol requeue "${job}_0"
echo "requeued ${job}_0 with $rows_before lines in resume-0.csv"

while squeue -h -j "$job" | grep -q .; do sleep 2; done
sacct_note=$(scontrol show job "${job}_0" 2>/dev/null | grep -o 'Restarts=[0-9]*' || true)
echo "array job done (${sacct_note:-shard 0 restarts: see slurm-${job}_0.out})"
cat "$WORK"/job/slurm-*.out | grep -iE "interrupt|resum|signal|sigterm|stopp|wrote" || true

"$BIN" combine "$WORK"/job/stats-*.csv --out "$WORK/combined.csv"
"$BIN" sweep --circuits "${CIRCUITS[@]}" --max-shots "$MAX_SHOTS" --seed "$SEED" --threads 1 \
    --out "$WORK/unsharded.csv" 2>/dev/null
counts() { cut -d, -f1-3,6 "$1" | tr -d ' ' | sort; }
echo "combined shards:"; counts "$WORK/combined.csv"
echo "unsharded run:";  counts "$WORK/unsharded.csv"
if [ "$(counts "$WORK/combined.csv")" = "$(counts "$WORK/unsharded.csv")" ]; then
    echo "OK: the combined counts equal the unsharded run's"
else
    echo "MISMATCH: the combined counts differ from the unsharded run's" >&2
    exit 1
fi
