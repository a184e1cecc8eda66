#!/usr/bin/env bash
# Stops what start-cluster.sh started (slurmd, slurmctld, munged) by their pid files and removes its slurm.conf.
set -uo pipefail
DIR="${ENGRAM_SLURM_DIR:-/tmp/engram-slurm}"
CONF=/etc/slurm/slurm.conf
for d in slurmd slurmctld; do
  if [[ -f "$DIR/run/$d.pid" ]]; then kill "$(cat "$DIR/run/$d.pid")" 2>/dev/null; rm -f "$DIR/run/$d.pid"; fi
done
if [[ -f /run/munge/munged.pid ]]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null; fi
if [[ -f "$CONF" ]] && grep -qF "# written by engram start-cluster.sh" "$CONF"; then rm -f "$CONF"; fi
echo "stop-cluster: stopped"
