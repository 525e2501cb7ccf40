#!/usr/bin/env bash
# Submits a sweep: a job array with one task per (experiment, strategy, node count) of
# a sweep file (slurm/ringsim.sbatch --sweep), then a gather job that runs after all of
# them, failed or not (afterany), and writes index.csv next to their result files.
#
#   slurm/sweep.sh [--wait] [--no-validate] SWEEP_FILE [sbatch options for both jobs]
#   slurm/sweep.sh [--wait] [--no-validate] --resume SWEEP_FOLDER [more sbatch options]
#
# Results: $RINGSIM_RESULTS/<sweep name>/<array job id>/ (default results/ in the checkout).
# Before anything is submitted, every task is validated as it will run: its experiment
# derived for its strategy and scaled to its node count (scale = "relative": the cluster
# and its timeline as fractions of the experiment's cluster.nodes; see
# slurm/ringsim_slurm.py), with its --set values, checked by
# `ringsim run --dry-run --ranks N` for the job's rank count (from -n, or -N and
# --ntasks-per-node, given here or in slurm/ringsim.sbatch; RINGSIM_RANKS overrides).
# A task that would fail stops the submission with one line naming it. So does a task
# count that the partition's nodes cannot give (sinfo; see slurm/fit.sh), which would
# otherwise pend for ever; without a task count, every task runs the job script's
# default per node, fitted to the partition's smallest node, passed as --ntasks-per-node.
# --resume   resubmits the tasks the folder's index.csv marks failed or missing, with the
#            sweep file and sbatch options of the first submission (options given now are
#            added after them), into the same folder; the gather step rewrites index.csv.
#            As each starts, its earlier result files are renamed *.superseded (no analysis
#            counts them).
# --wait     stay until the gather job ends; exit 0 only if every task is ok.
# --no-validate  submit without running ringsim here (for a login node that cannot run it).
# Environment: RINGSIM_ARRAY_LIMIT=N runs at most N tasks at once; RINGSIM_GATHER_TIME
# (default 00:15:00) is the gather job's time limit; every RINGSIM_* setting of
# slurm/ringsim.sbatch passes on to the jobs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
me=sweep.sh
# The jobs find the scripts here (sbatch runs a copy of the job script).
export RINGSIM_SLURM_DIR=$here
# In a ringsim checkout, its build/ringsim and results/; installed (share/ringsim/slurm),
# ringsim on PATH and results/ in the current folder.
checkout=${RINGSIM_ROOT:-$(dirname "$here")}
if [ -f "$checkout/CMakeLists.txt" ] && [ -f "$checkout/src/main.cpp" ]; then
  export RINGSIM_ROOT=$checkout
else
  checkout=""
fi
python=${RINGSIM_PYTHON:-/usr/bin/python3}
helper=("$python" "$here/ringsim_slurm.py")
bin=${RINGSIM_BIN:-}
if [ -z "$bin" ]; then
  if [ -n "$checkout" ] && [ -f "$checkout/build/ringsim" ]; then
    bin=$checkout/build/ringsim
  else
    bin=$(command -v ringsim 2>/dev/null) || bin=""
  fi
  # The jobs run the binary checked here.
  if [ -n "$bin" ]; then export RINGSIM_BIN=$bin; fi
fi
results=${RINGSIM_RESULTS:-${checkout:-$PWD}/results}
export RINGSIM_RESULTS=$results
record=submission.txt # in the sweep folder: what was submitted, for --resume

die() {
  echo "sweep.sh: error: $*" >&2
  exit 2
}
# shellcheck source=slurm/fit.sh
. "$here/fit.sh"

# Runs the helper; its one-line error becomes ours.
help_me() {
  local out rc=0
  out=$("${helper[@]}" "$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    out=$(tail -n 1 <<<"$out")
    die "${out#ringsim_slurm: error: }"
  fi
  printf '%s\n' "$out"
}

wait_flag=() validate=1 resume=""
while [ $# -gt 0 ]; do
  case $1 in
    --wait) wait_flag=(--wait) ;;
    --no-validate) validate=0 ;;
    --resume)
      [ $# -ge 2 ] || die "--resume needs the sweep's results folder (results/<sweep>/<array job id>)"
      resume=$2
      shift
      ;;
    *) break ;;
  esac
  shift
done
if [ -z "$resume" ]; then
  [ $# -ge 1 ] || die "usage: slurm/sweep.sh [--wait] [--no-validate] SWEEP_FILE [sbatch options] | --resume SWEEP_FOLDER [sbatch options]"
  [ -f "$1" ] || die "sweep file not found: $1"
  sweep=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  shift
fi
command -v "$python" >/dev/null || die "no Python at RINGSIM_PYTHON=$python"
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

# ---- resume: which tasks, with what --------------------------------------------------
folder="" tasks_wanted="" base_options=()
if [ -n "$resume" ]; then
  [ -d "$resume" ] || die "--resume $resume: no such folder"
  folder=$(cd "$resume" && pwd)
  [ -f "$folder/$record" ] || die "--resume $resume: no $record: not a folder slurm/sweep.sh submitted"
  sweep="" array_job="" last_resume=0
  while IFS= read -r line; do
    case $line in
      sweep=*) sweep=${line#*=} ;;
      array_job=*) array_job=${line#*=} ;;
      sbatch=*) base_options+=("${line#*=}") ;;
      resumed=*) last_resume=${line#resumed=} last_resume=${last_resume%% *} ;;
    esac
  done <"$folder/$record"
  if [ -z "$sweep" ] || [ -z "$array_job" ]; then die "--resume $resume: $record is incomplete"; fi
  [ -f "$sweep" ] || die "--resume $resume: the sweep file $sweep is gone"
  cmp -s "$sweep" "$folder/sweep.toml" ||
    die "--resume $resume: $sweep changed since it was submitted (its task numbers may differ); submit it anew"
  [ -f "$folder/index.csv" ] ||
    die "--resume $resume: no index.csv yet: the gather job has not run (sbatch slurm/ringsim.sbatch --gather $sweep $array_job $folder)"
  if [ "$last_resume" -gt 0 ] && [ "$(stat -c %Y "$folder/index.csv")" -lt "$last_resume" ]; then
    die "--resume $resume: the last resume has not been gathered yet (index.csv is older): wait for its gather job"
  fi
  tasks_wanted=$(help_me pending "$sweep" "$folder/index.csv")
  if [ -z "$tasks_wanted" ]; then
    echo "sweep.sh: nothing to resume: every task in $folder/index.csv is ok"
    exit 0
  fi
fi

name=$(help_me name "$sweep")
count=$(help_me count "$sweep")

# The job's shape as sbatch will see it (options given now, then those of the first
# submission, then the job script's #SBATCH lines), checked against the partition's nodes.
fit_load "$@" "${base_options[@]}"
fit_check
ranks=${RINGSIM_RANKS:-$fit_ranks}
[[ $ranks =~ ^[1-9][0-9]*$ ]] || die "cannot tell the job's rank count from the sbatch options (got '$ranks'): set RINGSIM_RANKS"

# ---- validation: every task as it will run, before anything is submitted ---------------
if [ "$validate" -eq 1 ]; then
  [ -n "$bin" ] || die "ringsim binary not found: no ringsim on PATH and $here is not in a built ringsim checkout (load the module that provides ringsim, or set RINGSIM_BIN); nothing submitted"
  [ -f "$bin" ] || die "ringsim binary not found: $bin (build it, or set RINGSIM_BIN); nothing submitted"
  [ -x "$bin" ] || die "ringsim binary not executable: $bin; nothing submitted"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/ringsim-sweep.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  task_list=$(help_me list "$sweep")
  bad=0
  while IFS=$'\t' read -r index experiment strategy nodes; do
    if [ -n "$tasks_wanted" ] && ! grep -qx "$index" <<<"$tasks_wanted"; then continue; fi
    what="task $index (experiment $(basename "$experiment" .toml), strategy $strategy, nodes ${nodes/-/as in the experiment})"
    problem=""
    if [ ! -f "$experiment" ]; then
      problem="experiment file not found: $experiment"
    else
      derived="$scratch/$index.toml"
      args=()
      spec=$(help_me task "$sweep" "$index")
      scale=$(sed -n 's/^scale=//p' <<<"$spec")
      scaling=()
      if [ -n "$scale" ] && [ "$nodes" != - ]; then scaling=(--nodes "$nodes" --scale "$scale"); fi
      if extra=$("${helper[@]}" derive "$experiment" "$strategy" "$derived" "${scaling[@]}" 2>&1); then
        while IFS= read -r line; do
          [ -z "$line" ] || args+=(--set "$line")
        done < <(sed -n 's/^set=//p' <<<"$spec"; printf '%s\n' "$extra")
        [ "$nodes" = - ] || args+=(--set "cluster.nodes=$nodes")
        rc=0
        out=$(RINGSIM_QUIET=1 "$bin" run --dry-run --ranks "$ranks" "$derived" "${args[@]}" 2>&1 </dev/null) || rc=$?
        if [ "$rc" -ne 0 ]; then
          problem=$(grep -a 'ringsim: error' <<<"$out" | head -n 1 || true)
          if [ -n "$problem" ]; then
            # The derived file lives here for the check alone: name what it was made from.
            problem=${problem#*ringsim: error: }
            problem=${problem#"$derived": }
            problem=$(sed -E "s|^$derived:[0-9]+: ||" <<<"$problem")
          else
            problem="$bin could not check it here (exit code $rc: $(tail -n 1 <<<"$out")); --no-validate submits without the check"
          fi
        fi
      else
        problem=$(tail -n 1 <<<"$extra")
        problem=${problem#ringsim_slurm: error: }
      fi
    fi
    if [ -n "$problem" ]; then
      echo "sweep.sh: error: nothing submitted: $what: $problem" >&2
      bad=$((bad + 1))
    fi
  done <<<"$task_list"
  [ "$bad" -eq 0 ] || exit 2
fi

# ---- submission ---------------------------------------------------------------------
if [ -n "$tasks_wanted" ]; then
  mapfile -t wanted <<<"$tasks_wanted"
  array=$(help_me ranges "${wanted[@]}")
else
  array="0-$((count - 1))"
fi
array+=${RINGSIM_ARRAY_LIMIT:+%$RINGSIM_ARRAY_LIMIT}
options=("${base_options[@]}" "$@")
# No task count given: the one checked above, the same for every task.
array_options=("${options[@]}" "${fit_pin[@]}")
target=()
if [ -n "$folder" ]; then
  # Into the same folder. Each task, as it starts, renames its earlier attempt's
  # files (*.superseded) and record.
  target=(--folder "$folder")
  rm -f "$folder/gather.txt"
fi
array_out=$(sbatch --parsable --array="$array" --job-name="ringsim-$name" "${array_options[@]}" \
  "$here/ringsim.sbatch" --sweep "$sweep" "${target[@]}") || die "sbatch refused the array job"
new_job=${array_out%%;*}
if [ -z "$folder" ]; then
  array_job=$new_job
  folder="$results/$name/$array_job"
  mkdir -p "$folder"
  cp "$sweep" "$folder/sweep.toml"
  {
    echo "sweep=$sweep"
    echo "array_job=$array_job"
    for o in "$@"; do echo "sbatch=$o"; done
  } >"$folder/$record"
  echo "sweep.sh: sweep $name: $count task(s) in array job $array_job; results in $folder/"
else
  echo "resumed=$(date +%s) array_job=$new_job tasks=$(tr '\n' ' ' <<<"$tasks_wanted")" >>"$folder/$record"
  echo "sweep.sh: sweep $name: $(wc -w <<<"$tasks_wanted") task(s) resubmitted ($array) in array job $new_job; results in $folder/"
fi

# The gather job: one task, short, its own output file (an array's %a or %A in the
# options would name it slurm-<id>_4294967294.out), and not the whole node the job
# script's --exclusive asks for; later options win over the script's #SBATCH lines.
gather=(--dependency="afterany:$new_job" --job-name="ringsim-$name-gather" "${options[@]}"
  --nodes=1 --ntasks=1 --ntasks-per-node=1 --oversubscribe --time="${RINGSIM_GATHER_TIME:-00:15:00}"
  --output="$folder/gather-%j.out" --error="$folder/gather-%j.out"
  "$here/ringsim.sbatch" --gather "$sweep" "$array_job" "$folder")
if [ ${#wait_flag[@]} -eq 0 ]; then
  gather_job=$(sbatch --parsable "${gather[@]}") || die "sbatch refused the gather job"
  echo "sweep.sh: gather job ${gather_job%%;*} writes $folder/index.csv when the array is done"
  exit 0
fi
rc=0
sbatch --wait "${gather[@]}" || rc=$?
if [ -f "$folder/gather.txt" ]; then
  cat "$folder/gather.txt"
else
  echo "sweep.sh: error: the gather job wrote no report (exit code $rc): see $folder/gather-*.out" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
