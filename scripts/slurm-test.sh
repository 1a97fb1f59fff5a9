#!/usr/bin/env bash
# Runs the Slurm recipe of apps/milkyway/README.md ("Running on a cluster") on a one-node
# Slurm started here: munged, slurmctld and slurmd (Debian's munge and slurm-wlm) with a
# configuration, state and sockets of their own in a temporary directory, on this machine's
# CPUs. The README's array job is taken from the README itself, with the catalogue path,
# the number of shards and the resources scaled down to a small synthetic catalogue; its
# merge is submitted as the README does (`--dependency=afterok`). The merged galaxy must
# equal one ingest of the same files (cube and star table byte for byte, same statistics).
#
# Needs root (the daemons run as root here), slurm-wlm and munge (.ci/run installs them) and
# the `milkyway` binary (MILKYWAY_BIN, default target/release/milkyway, built if missing).
# SLURM_TEST_SHARDS (default 4) shards, SLURM_TEST_STARS (default 40000) synthetic rows,
# SLURM_TEST_PORT (default 16817; the next port is slurmd's).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SHARDS=${SLURM_TEST_SHARDS:-4}
STARS=${SLURM_TEST_STARS:-40000}
PORT=${SLURM_TEST_PORT:-16817}
for tool in slurmctld slurmd sbatch squeue scontrol munged; do
    command -v "$tool" >/dev/null 2>&1 || { echo "slurm-test: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
    echo "slurm-test: the one-node Slurm runs its daemons as root" >&2
    exit 1
fi
MILKYWAY=${MILKYWAY_BIN:-$REPO/target/release/milkyway}
if [ ! -x "$MILKYWAY" ]; then
    cargo build --release --quiet -p milkyway --bin milkyway
fi
MILKYWAY=$(realpath "$MILKYWAY")

W=$(mktemp -d "${TMPDIR:-/tmp}/slurm-test.XXXXXX")
pids=()
cleanup() {
    local rc=$?
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ $rc -ne 0 ]; then
        echo "slurm-test: failed; logs:" >&2
        tail -n 30 "$W"/*.log "$W"/job/*.out 2>/dev/null >&2 || true
    fi
    rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
mkdir -p "$W/munge" "$W/spool" "$W/state" "$W/job"
chmod 711 "$W/munge"

# munge: its own key and socket.
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$W/munge/munge.key"
munged --foreground --force --key-file="$W/munge/munge.key" --socket="$W/munge/socket" \
    --pid-file="$W/munge/munged.pid" --seed-file="$W/munge/seed" > "$W/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$W/munge/socket" ] && break; sleep 0.1; done

HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
export SLURM_CONF="$W/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=milkyway-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$W/munge/socket
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MaxArraySize=1001
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
slurmctld -D -i -f "$SLURM_CONF" > "$W/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$W/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || { echo "slurm-test: the node is not idle (state: ${state:-none})" >&2; exit 1; }

# A small catalogue and the reference: one ingest of all of it.
cd "$W/job"
"$MILKYWAY" synth -o "$W/job/catalogue" --stars "$STARS" --seed 3 --files $((2 * SHARDS)) 2>/dev/null
"$MILKYWAY" ingest "$W/job/catalogue" -o "$W/job/one" --quiet 2>/dev/null

# The README's array job, scaled: its catalogue path, shard count and resources replaced.
awk '/^#!\/bin\/bash$/ { on = 1 } on { print } on && /^```$/ { exit }' "$REPO/apps/milkyway/README.md" \
    | sed '$d' > readme-array.sh
grep -q '^#SBATCH --array=0-31$' readme-array.sh || { echo "slurm-test: README's array job not found" >&2; exit 1; }
sed -e "s|^#SBATCH --array=0-31$|#SBATCH --array=0-$((SHARDS - 1))|" \
    -e "s|^#SBATCH --cpus-per-task=8$|#SBATCH --cpus-per-task=1|" \
    -e "s|^#SBATCH --mem=4G$|#SBATCH --mem=1G|" \
    -e "s|/data/gaia_source/|$W/job/catalogue|" \
    -e "s|/32 |/$SHARDS |" \
    -e "s|^milkyway |\"$MILKYWAY\" |" \
    -e "s|^#SBATCH --job-name=.*|&\n#SBATCH --output=$W/job/%x-%A_%a.out|" \
    readme-array.sh > array.sh
grep -q "\-\-shard \$SLURM_ARRAY_TASK_ID/$SHARDS" array.sh || { echo "slurm-test: README's shard option changed" >&2; exit 1; }
ARRAY_JOB_ID=$(sbatch --parsable array.sh)
# The README's merge, submitted the same way (its memory scaled down).
merge_line=$(grep -m1 "^sbatch --dependency=afterok:\$ARRAY_JOB_ID" "$REPO/apps/milkyway/README.md")
merge_line=${merge_line/--mem=8G/--mem=1G --output=$W/job/merge.out --parsable}
merge_line=${merge_line/\'milkyway /\'\"$MILKYWAY\" }
MERGE_JOB_ID=$(eval "$merge_line")
echo "slurm-test: array job $ARRAY_JOB_ID ($SHARDS tasks), merge job $MERGE_JOB_ID"
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$ARRAY_JOB_ID,$MERGE_JOB_ID" 2>/dev/null)" ] && break
    sleep 0.5
done
state=$(scontrol show job "$MERGE_JOB_ID" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" = COMPLETED ] || { echo "slurm-test: merge job $state" >&2; exit 1; }
[ "$(ls -d parts/part* | wc -l)" = "$SHARDS" ] || { echo "slurm-test: not $SHARDS parts" >&2; exit 1; }

# The merged galaxy equals the single ingest.
"$REPO/.venv/bin/python" - "$W/job/galaxy" "$W/job/one" <<'EOF'
import sys, json, pathlib
import numpy as np
import blosc2rs
import blosc2rs.milkyway as mw
a, b = map(pathlib.Path, sys.argv[1:])
files = ["cube.b2nd"] + [f"stars/{c}.b2nd" for c in
                        ("source_id", "x", "y", "z", "mag", "chunk_nchunk", "chunk_start")]
for f in files:
    assert (a / f).read_bytes() == (b / f).read_bytes(), f
for f in files[1:]:
    np.testing.assert_array_equal(blosc2rs.open(a / f)[:], blosc2rs.open(b / f)[:], err_msg=f)
assert mw.stats(a) == mw.stats(b)
sa, sb = (json.loads((p / "summary.json").read_text()) for p in (a, b))
assert sa["counts"] == sb["counts"], (sa["counts"], sb["counts"])
print(f"slurm-test: merged galaxy equals one ingest ({sa['counts']['selected']} stars, "
      f"{len(sa['files'])} files)")
EOF
