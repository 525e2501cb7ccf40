#!/usr/bin/env bash
# Submits one ringsim run (slurm/ringsim.sbatch) once the job is known to fit the
# partition's nodes: sbatch takes a task count that no node of the partition has and the
# job pends for ever (Reason=PartitionConfig) without a word; here it is refused at once,
# with the option to pass, and nothing is queued (see slurm/fit.sh).
#
#   slurm/submit.sh [--wait] EXPERIMENT [sbatch options] [-- ringsim run options]
#       e.g. slurm/submit.sh experiments/scale-out.toml -N 2 -p big -- --set keys.count=1e8
#
# Without a task count the job runs the job script's default per node, fitted to the
# node's CPUs. --wait stays until the job ends and exits with its exit code. Every
# RINGSIM_* setting of slurm/ringsim.sbatch passes on to the job.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
me=submit.sh

die() {
  echo "submit.sh: error: $*" >&2
  exit 2
}
# shellcheck source=slurm/fit.sh
. "$here/fit.sh"

wait_flag=()
if [ "${1:-}" = --wait ]; then
  wait_flag=(--wait)
  shift
fi
[ $# -ge 1 ] || die "usage: slurm/submit.sh [--wait] EXPERIMENT [sbatch options] [-- ringsim run options]"
experiment=$1
shift
case $experiment in -*) die "the experiment file comes first: slurm/submit.sh [--wait] EXPERIMENT [sbatch options] [-- ringsim run options]" ;; esac
[ -f "$experiment" ] || die "experiment file not found: $experiment"
options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  options+=("$1")
  shift
done
if [ "${1:-}" = -- ]; then shift; fi
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

fit_load "${options[@]}"
fit_check
# The job finds the scripts here (sbatch runs a copy of the job script).
export RINGSIM_SLURM_DIR=$here
exec sbatch "${wait_flag[@]}" "${options[@]}" "$here/ringsim.sbatch" "$experiment" "$@"
