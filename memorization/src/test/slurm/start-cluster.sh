#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for the Slurm integration test: munged, slurmctld and slurmd
# (daemonized), with a minimal slurm.conf naming this host and its CPUs. Needs root and Debian's slurm-wlm and munge.
# The configuration goes to /etc/slurm/slurm.conf (where sbatch, squeue and sacct look) unless a slurm.conf that this
# script did not write is there. State and logs: $ENGRAM_SLURM_DIR (default /tmp/engram-slurm).
# A daemon that does not come up is named, with its log, and the script exits non-zero.
set -euo pipefail
DIR="${ENGRAM_SLURM_DIR:-/tmp/engram-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by engram start-cluster.sh"

fail() { # fail DAEMON LOG MESSAGE
  echo "start-cluster: $1 failed to start: $3" >&2
  if [[ -f "$2" ]]; then echo "---- last lines of $2 ----" >&2; tail -n 40 "$2" >&2; else echo "(no log at $2)" >&2; fi
  exit 1
}

for c in munged slurmctld slurmd sbatch sinfo; do
  command -v "$c" >/dev/null 2>&1 || { echo "start-cluster: $c not found; install slurm-wlm and munge (apt-get install -y slurm-wlm munge)" >&2; exit 1; }
done
if [[ -f "$CONF" ]] && ! grep -qF "$MARK" "$CONF"; then
  echo "start-cluster: $CONF exists and was not written by this script; not touching it" >&2
  exit 1
fi

mkdir -p "$DIR/log" "$DIR/spool/ctld" "$DIR/spool/d" "$DIR/run"
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"

# munge: key, run and log folders owned by the munge user
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge /etc/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged --force >/dev/null 2>&1 || fail munged /var/log/munge/munged.log "munged exited"
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || fail munged /var/log/munge/munged.log "no credential round trip"
fi

mkdir -p "$(dirname "$CONF")"
cat > "$CONF" <<CONF
$MARK
ClusterName=engram-ci
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -c -f "$CONF" || fail slurmctld "$DIR/log/slurmctld.log" "slurmctld exited"
for _ in $(seq 1 100); do sinfo -h >/dev/null 2>&1 && break; sleep 0.2; done
sinfo -h >/dev/null 2>&1 || fail slurmctld "$DIR/log/slurmctld.log" "sinfo cannot reach it"
slurmd -f "$CONF" || fail slurmd "$DIR/log/slurmd.log" "slurmd exited"
state=""
for _ in $(seq 1 150); do
  state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1)"
  [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]] && break
  sleep 0.2
done
[[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]] \
  || fail slurmd "$DIR/log/slurmd.log" "node $HOST is '${state:-unknown}', not idle"
echo "start-cluster: single-node Slurm up on $HOST ($CPUS CPUs, $MEM MB); logs in $DIR/log"
