#!/usr/bin/env bash
# Submits a sweep: a job array with one task per (experiment, strategy, node count) of
# a sweep file (slurm/ringsim.sbatch --sweep), then a gather job that runs after all of
# them, failed or not (afterany), and writes index.csv next to their result files.
#
#   slurm/sweep.sh [--wait] SWEEP_FILE [sbatch options for both jobs, e.g. -p big -A proj]
#
# Results: $RINGSIM_RESULTS/<sweep name>/<array job id>/ (default results/ in the checkout).
# --wait   stay until the gather job ends; exit 0 only if every task is ok.
# Environment: RINGSIM_ARRAY_LIMIT=N runs at most N tasks at once; RINGSIM_GATHER_TIME
# (default 00:15:00) is the gather job's time limit; every RINGSIM_* setting of
# slurm/ringsim.sbatch passes on to the jobs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export RINGSIM_ROOT=${RINGSIM_ROOT:-$(dirname "$here")}
python=${RINGSIM_PYTHON:-/usr/bin/python3}
helper=("$python" "$here/ringsim_slurm.py")

die() {
  echo "sweep.sh: error: $*" >&2
  exit 2
}

wait_flag=()
if [ "${1:-}" = --wait ]; then
  wait_flag=(--wait)
  shift
fi
[ $# -ge 1 ] || die "usage: slurm/sweep.sh [--wait] SWEEP_FILE [sbatch options]"
[ -f "$1" ] || die "sweep file not found: $1"
sweep=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

name=$("${helper[@]}" name "$sweep")
count=$("${helper[@]}" count "$sweep")
# Problems the tasks will meet, said now rather than after a queue wait.
while IFS=$'\t' read -r index experiment strategy nodes; do
  [ -f "$experiment" ] ||
    echo "sweep.sh: warning: task $index ($strategy, nodes $nodes): experiment file not found: $experiment" >&2
done < <("${helper[@]}" list "$sweep")
bin=${RINGSIM_BIN:-$RINGSIM_ROOT/build/ringsim}
[ -x "$bin" ] || echo "sweep.sh: warning: no ringsim binary at $bin: every task will fail" >&2

array="0-$((count - 1))${RINGSIM_ARRAY_LIMIT:+%$RINGSIM_ARRAY_LIMIT}"
array_job=$(sbatch --parsable --array="$array" --job-name="ringsim-$name" "$@" \
  "$here/ringsim.sbatch" --sweep "$sweep")
array_job=${array_job%%;*}
results=${RINGSIM_RESULTS:-$RINGSIM_ROOT/results}
echo "sweep.sh: sweep $name: $count task(s) in array job $array_job; results in $results/$name/$array_job/"

# The gather job: one task, short; later options win over the script's #SBATCH lines.
gather=(--dependency="afterany:$array_job" --job-name="ringsim-$name-gather" "$@"
  --nodes=1 --ntasks=1 --ntasks-per-node=1 --time="${RINGSIM_GATHER_TIME:-00:15:00}"
  "$here/ringsim.sbatch" --gather "$sweep" "$array_job")
if [ ${#wait_flag[@]} -eq 0 ]; then
  gather_job=$(sbatch --parsable "${gather[@]}")
  echo "sweep.sh: gather job ${gather_job%%;*} writes $results/$name/$array_job/index.csv when the array is done"
  exit 0
fi
rc=0
sbatch --wait "${gather[@]}" || rc=$?
if [ -f "$results/$name/$array_job/gather.txt" ]; then
  cat "$results/$name/$array_job/gather.txt"
else
  echo "sweep.sh: error: the gather job wrote no report (exit code $rc): see its job output" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
