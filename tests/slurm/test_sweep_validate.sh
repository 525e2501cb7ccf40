#!/usr/bin/env bash
# slurm/sweep.sh checks every task before it submits anything, and --resume
# resubmits only the failed and missing tasks; sweep.sh and submit.sh refuse a task
# count the partition's nodes cannot give, and fit the default one to them. No Slurm
# is needed: a fake `sbatch` first on PATH records its calls, and in the refusal
# cases it fails the test if it is called at all; a fake `sinfo` lists the nodes
# given in FAKE_SINFO (node, CPUs, partition; the default partition ends in '*').
# Usage: test_sweep_validate.sh RINGSIM_BINARY SOURCE_DIR
# Exit: 0 pass, 1 fail.
set -euo pipefail

[ $# -eq 2 ] || {
  echo "usage: $0 RINGSIM_BINARY SOURCE_DIR" >&2
  exit 2
}
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d /tmp/ringsim-sweep-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failures=0
pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The fake sbatch: appends its arguments (one per line, then a blank line) to
# $tmp/calls, prints a job id (101, 102, ...), or fails loudly when forbidden.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/sbatch" <<'EOF'
#!/bin/bash
calls=$FAKE_SBATCH_DIR/calls
if [ -e "$FAKE_SBATCH_DIR/forbidden" ]; then
  echo "sbatch called in a refusal case: $*" >>"$FAKE_SBATCH_DIR/violations"
  exit 1
fi
n=$(($(grep -c '^$' "$calls" 2>/dev/null || true) + 101))
printf '%s\n' "$@" >>"$calls"
echo >>"$calls"
env | grep '^RINGSIM_' | sort >"$FAKE_SBATCH_DIR/env.$n"
echo "$n"
EOF
cat >"$tmp/bin/sinfo" <<'EOF'
#!/bin/bash
printf '%b\n' "${FAKE_SINFO:-node1 8 local*\nnode2 8 local*\nnode3 8 local*\nnode4 8 local*\nnode1 8 big\nnode2 8 big}"
EOF
chmod +x "$tmp/bin/sbatch" "$tmp/bin/sinfo"
export PATH="$tmp/bin:$PATH" FAKE_SBATCH_DIR=$tmp
export RINGSIM_BIN=$bin RINGSIM_ROOT=$src RINGSIM_RESULTS=$tmp/results RINGSIM_PYTHON=/usr/bin/python3
unset RINGSIM_RANKS RINGSIM_ARRAY_LIMIT RINGSIM_TASKS_PER_NODE FAKE_SINFO SBATCH_PARTITION RINGSIM_SLURM_DIR
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
sweep_sh=("$src/slurm/sweep.sh")
default=$src/experiments/default.toml

# refuse NAME PATTERN SWEEP_FILE [sweep.sh arguments]: exit 2, one stderr line per bad
# task matching PATTERN (all lines must be sweep.sh errors), and no sbatch call.
refuse() {
  local what=$1 pattern=$2 lines=$3 rc=0
  shift 3
  touch "$tmp/forbidden"
  rm -f "$tmp/violations"
  bash "${sweep_sh[@]}" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  rm -f "$tmp/forbidden"
  if [ -e "$tmp/violations" ]; then
    fail "$what: sbatch was called: $(cat "$tmp/violations")"
  elif [ "$rc" -ne 2 ]; then
    fail "$what: exit code $rc, expected 2; stderr: $(cat "$tmp/err")"
  elif [ "$(wc -l <"$tmp/err")" -ne "$lines" ] || grep -qv '^sweep.sh: error: ' "$tmp/err"; then
    fail "$what: expected $lines line(s) 'sweep.sh: error: ...', got: $(cat "$tmp/err")"
  elif ! grep -qE -- "$pattern" "$tmp/err"; then
    fail "$what: stderr lacks /$pattern/: $(cat "$tmp/err")"
  else
    pass "$what: $(head -n 1 "$tmp/err")"
  fi
}

sweep_file() { # NAME BODY...
  local f=$tmp/$1.toml
  shift
  printf '%s\n' "$@" >"$f"
  echo "$f"
}

# ---- refusals: nothing is submitted ---------------------------------------------------
f=$(sweep_file missing-exp 'experiments = ["no-such-experiment.toml"]' 'strategies = ["ring"]')
refuse "missing experiment" "task 0 \(experiment no-such-experiment, strategy ring, nodes as in the experiment\): experiment file not found: $tmp/no-such-experiment.toml" 1 "$f"

f=$(sweep_file typo "experiments = [\"$default\"]" 'strategies = ["ring", "rign"]')
refuse "strategy typo" "task 1 \(experiment default, strategy rign, nodes as in the experiment\): .*unknown strategy 'rign'" 1 "$f"

f=$(sweep_file bad-set "experiments = [\"$default\"]" 'strategies = ["ring"]' 'set = ["keys.count=abc"]')
refuse "bad --set" "task 0 .*keys\.count: must be a number" 1 "$f"

# The node-count axis scales the experiment (scale = "relative"): at 2 nodes, default's
# 3 of 4 active and its one-node join round to 2 active before and after.
f=$(sweep_file too-few "experiments = [\"$default\"]" 'strategies = ["ring", "anchor"]' 'nodes = [4, 2]')
refuse "too few nodes to scale to" "task [13] \(experiment default, strategy (ring|anchor), nodes 2\): experiment default: events\[0\] \(kind = 'add'\): count = 1 with 3 of cluster\.nodes = 4 active changes no node at nodes = 2" 2 "$f"
if grep -q "task [02] " "$tmp/err"; then fail "too few nodes to scale to: a good task was named: $(cat "$tmp/err")"; fi

# Node ids scale only to multiples of the experiment's cluster.nodes (4): 6 is refused.
f=$(sweep_file ids "experiments = [\"$default\"]" 'strategies = ["ring"]' 'nodes = [8, 6]')
refuse "node ids at a size that is not a multiple" "task 1 \(experiment default, strategy ring, nodes 6\): experiment default: events\[1\] \(kind = 'remove'\) names node ids, which scale only to a multiple of cluster\.nodes = 4" 1 "$f"

# A timeline that scales is still checked for every strategy by ringsim: scale-in at 64 nodes
# removes the most recently joined (legal for jump, which removes its last bucket only);
# failures-r1 at 64 nodes fails 4 nodes at random, which jump cannot take.
scale_in=$src/experiments/scale-in.toml failures_r1=$src/experiments/failures-r1.toml
f=$(sweep_file lifo "experiments = [\"$scale_in\", \"$failures_r1\"]" 'strategies = ["jump"]' 'nodes = [64]')
refuse "scaled timeline illegal for a strategy" "task 1 \(experiment failures-r1, strategy jump, nodes 64\): .*events\[0\]: strategy 'jump' can only remove the most recently added" 1 "$f"

# A sweep that cannot keep its sizes apart is refused before anything: set cluster.initial.
f=$(sweep_file conflict "experiments = [\"$default\"]" 'strategies = ["ring"]' 'nodes = [8]' 'set = ["cluster.initial=2"]')
refuse "set cluster.initial with a nodes axis" "set 'cluster.initial=2' conflicts with nodes" 1 "$f"

printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$tmp/binary.toml"
refuse "binary sweep file" "sweep file $tmp/binary.toml: not a text \(TOML\) file" 1 "$tmp/binary.toml"

printf 'experiments = ["a.toml"\nthis is not toml\n' >"$tmp/not-toml.toml"
refuse "sweep file that is not TOML" "sweep file $tmp/not-toml.toml: not TOML" 1 "$tmp/not-toml.toml"

printf '\xff\xfe binary' >"$tmp/binary-exp.toml"
f=$(sweep_file binary-exp-sweep "experiments = [\"$tmp/binary-exp.toml\"]" 'strategies = ["ring"]')
refuse "binary experiment file" "task 0 .*experiment file $tmp/binary-exp.toml: not a text \(TOML\) file" 1 "$f"

f=$(sweep_file ok "experiments = [\"$default\"]" 'strategies = ["ring", "jump-swap"]' 'nodes = [4, 8]' 'set = ["keys.count=20000"]')
RINGSIM_BIN=$tmp/no-such-binary refuse "missing binary" "ringsim binary not found: $tmp/no-such-binary" 1 "$f"

# The rank count is the job's: an experiment with one node per rank and 5 active at
# the start needs at least 5 ranks; the job script's default is 4 per node on 1 node.
printf '[keys]\ncount = 1000\n[cluster]\ninitial = 5\n[[strategies]]\nname = "ring"\n' >"$tmp/per-rank.toml"
f=$(sweep_file ranks "experiments = [\"$tmp/per-rank.toml\"]" 'strategies = ["ring"]')
refuse "rank count of the job script" "cluster\.initial = 5 active nodes is more than the 4 nodes \(one per rank" 1 "$f"
refuse "rank count from -n" "more than the 3 nodes \(one per rank" 1 "$f" -n 3
rm -f "$tmp/calls"
rc=0
bash "${sweep_sh[@]}" "$f" -N 2 --ntasks-per-node=3 >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
  fail "rank count: 6 ranks (-N 2 --ntasks-per-node=3) should validate: exit $rc, $(cat "$tmp/err")"
else
  pass "rank count: -N 2 --ntasks-per-node=3 validates for 6 ranks"
fi

f=$(sweep_file ok "experiments = [\"$default\"]" 'strategies = ["ring", "jump-swap"]' 'nodes = [4, 8]' 'set = ["keys.count=20000"]')
rm -f "$tmp/calls"
rc=0
bash "${sweep_sh[@]}" "$f" -p big -o 'logs/%x-%A_%a.out' >"$tmp/out" 2>"$tmp/err" || rc=$?
# Calls are separated by blank lines: the array, then the gather job.
array_call=$(awk 'BEGIN{RS=""} NR==1' "$tmp/calls" 2>/dev/null || true)
gather_call=$(awk 'BEGIN{RS=""} NR==2' "$tmp/calls" 2>/dev/null || true)
folder=$tmp/results/ok/101
if [ "$rc" -ne 0 ]; then
  fail "good sweep: exit code $rc: $(cat "$tmp/err")"
elif [ "$(grep -c '^$' "$tmp/calls")" -ne 2 ]; then
  fail "good sweep: expected 2 sbatch calls, got: $(cat "$tmp/calls")"
elif ! grep -qx -- '--array=0-3' <<<"$array_call" || ! grep -qx -- "--sweep" <<<"$array_call" ||
  ! grep -qx -- "-p" <<<"$array_call"; then
  fail "good sweep: array call: $array_call"
elif ! grep -qx -- '--dependency=afterany:101' <<<"$gather_call" ||
  ! grep -qx -- '--gather' <<<"$gather_call"; then
  fail "good sweep: gather call: $gather_call"
elif [ "$(grep -E -- '^(-o|--output=)' <<<"$gather_call" | tail -n 1)" != "--output=$folder/gather-%j.out" ]; then
  # The user's -o names array files (%A_%a); the gather job's own --output comes later and wins.
  fail "good sweep: the gather job's output is not its own: $(grep -E -- '^(-o|--output|-e|--error)' <<<"$gather_call" | tr '\n' ' ')"
elif ! grep -qx -- "--error=$folder/gather-%j.out" <<<"$gather_call"; then
  fail "good sweep: the gather job's stderr is not its own"
elif [ ! -f "$folder/submission.txt" ] || ! cmp -s "$f" "$folder/sweep.toml"; then
  fail "good sweep: no record of the submission in $folder"
else
  pass "good sweep: 4 tasks validated, array 0-3 and a gather job with its own output file submitted"
fi

if ! grep -qx -- '--oversubscribe' <<<"$gather_call"; then
  fail "good sweep: the gather job would hold a whole node (the job script's --exclusive): $gather_call"
fi
if ! grep -qx -- '--ntasks-per-node=4' <<<"$array_call"; then
  fail "good sweep: no task count given: the array should run the default 4 per node on 8-CPU nodes: $array_call"
fi

# ---- --resume: only the failed and missing tasks, into the same folder ------------------
cat >"$folder/index.csv" <<EOF
task,status,file,experiment,strategy,nodes,job_id,array_job_id,exit_code,events,message
0,ok,default_ring_nodes4_job101_0_1x4.h5,default,ring,4,101,101,0,4,
1,failed,default_ring_nodes8_job101_1_1x4.partial.h5,default,ring,8,102,101,4,2,stopped early
2,missing,,default,jump-swap,4,,,,,no record
3,ok,default_jump-swap_nodes8_job101_3_1x4.h5,default,jump-swap,8,104,101,0,4,
EOF
touch -d '-10 seconds' "$folder/index.csv"
rm -f "$tmp/calls"
rc=0
bash "${sweep_sh[@]}" --resume "$folder" -t 4:00:00 >"$tmp/out" 2>"$tmp/err" || rc=$?
array_call=$(awk 'BEGIN{RS=""} NR==1' "$tmp/calls" 2>/dev/null || true)
gather_call=$(awk 'BEGIN{RS=""} NR==2' "$tmp/calls" 2>/dev/null || true)
if [ "$rc" -ne 0 ]; then
  fail "resume: exit code $rc: $(cat "$tmp/err")"
elif ! grep -qx -- '--array=1-2' <<<"$array_call"; then
  fail "resume: expected --array=1-2 (tasks 1 failed, 2 missing), got: $(grep -- --array <<<"$array_call")"
elif ! grep -qx -- '-p' <<<"$array_call" || ! grep -qx -- '-t' <<<"$array_call"; then
  fail "resume: the first submission's options (-p big) and the new ones (-t) should both apply: $array_call"
elif [ "$(grep -A1 -x -- '--folder' <<<"$array_call" | tail -n 1)" != "$folder" ]; then
  fail "resume: the tasks do not write into $folder: $array_call"
elif [ "$(tail -n 1 <<<"$gather_call")" != "$folder" ] || ! grep -qx -- "--dependency=afterany:101" <<<"$gather_call"; then
  fail "resume: the gather job does not rewrite $folder/index.csv after the new array: $gather_call"
else
  pass "resume: tasks 1 and 2 resubmitted into the same folder, gathered after"
fi

# Before the resumed tasks are gathered, a second resume would submit them again: refused.
refuse "resume before the last one is gathered" "the last resume has not been gathered yet" 1 --resume "$folder"

# Gathered, every task ok: nothing to do.
sed -i 's/,failed,/,ok,/; s/,missing,/,ok,/' "$folder/index.csv"
touch -d '+2 seconds' "$folder/index.csv"
touch "$tmp/forbidden"
rc=0
out=$(bash "${sweep_sh[@]}" --resume "$folder" 2>&1) || rc=$?
rm -f "$tmp/forbidden"
if [ "$rc" -ne 0 ] || [ -e "$tmp/violations" ] || ! grep -q "nothing to resume" <<<"$out"; then
  fail "resume with every task ok: exit $rc, $out"
else
  pass "resume with every task ok: $out"
fi

# A resumed task that starts renames its earlier attempt's files before it writes a record.
mkdir -p "$tmp/sup/tasks"
printf 'task=1\nstate=failed\nfile=x_1.h5\n' >"$tmp/sup/tasks/1.status"
touch "$tmp/sup/x_1.partial.h5"
/usr/bin/python3 "$src/slurm/ringsim_slurm.py" supersede "$tmp/sup" 1 >/dev/null
if [ -e "$tmp/sup/x_1.partial.h5" ] || [ ! -e "$tmp/sup/x_1.partial.h5.superseded" ] ||
  [ -e "$tmp/sup/tasks/1.status" ]; then
  fail "supersede: $(ls -R "$tmp/sup")"
else
  pass "supersede: the earlier partial file and record renamed *.superseded"
fi

# Changed sweep file: the task numbers may no longer match the index.
echo 'description = "edited"' >>"$f"
refuse "resume after the sweep file changed" "changed since it was submitted" 1 --resume "$folder"

# ---- task counts against the partition's nodes (fake sinfo) ------------------------------
f=$(sweep_file fit "experiments = [\"$default\"]" 'strategies = ["ring", "jump-swap"]' 'nodes = [4, 8]' 'set = ["keys.count=20000"]')
# A count no node of the partition can give would pend for ever (Reason=PartitionConfig).
export FAKE_SINFO='n1 2 local*\nn2 2 local*\nb1 16 big'
refuse "more tasks per node than CPUs" "--ntasks-per-node=3 asks more than the 2 CPU\(s\) of the largest node of partition local .*pass --ntasks-per-node=2 or fewer.*nothing submitted" 1 "$f" --ntasks-per-node=3
refuse "-n more than a node's CPUs" "-n 5 on 1 node\(s\) is 5 tasks per node, .*pass -N 3 to spread them, or -n 2 or fewer" 1 "$f" -n 5
refuse "more nodes than the partition has" "-N 3: partition local has 2 node\(s\)" 1 "$f" -N 3 --ntasks-per-node=1
RINGSIM_TASKS_PER_NODE=3 refuse "RINGSIM_TASKS_PER_NODE more than CPUs" "RINGSIM_TASKS_PER_NODE=3 asks more than the 2 CPU\(s\)" 1 "$f"
# The partition named by -p or SBATCH_PARTITION is the one checked.
rm -f "$tmp/calls"
rc=0
bash "${sweep_sh[@]}" "$f" -p big --ntasks-per-node=16 >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
  fail "task count on -p big (16 CPUs): exit $rc, $(cat "$tmp/err")"
else
  pass "task count checked against the partition named by -p: 16 per node on big"
fi
SBATCH_PARTITION=big refuse "SBATCH_PARTITION's nodes" "--ntasks-per-node=17 asks more than the 16 CPU\(s\) of the largest node of partition big" 1 "$f" --ntasks-per-node=17
# No task count: the default (4) fitted to the smallest node, the same for every task,
# and validated at that rank count.
refuse "default count fitted, then validated" "more than the 2 nodes \(one per rank" 1 "$(sweep_file ranks2 "experiments = [\"$tmp/per-rank.toml\"]" 'strategies = ["ring"]')"
rm -f "$tmp/calls"
rc=0
bash "${sweep_sh[@]}" "$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
array_call=$(awk 'BEGIN{RS=""} NR==1' "$tmp/calls" 2>/dev/null || true)
if [ "$rc" -ne 0 ] || ! grep -qx -- '--ntasks-per-node=2' <<<"$array_call"; then
  fail "default count fitted: exit $rc, array call: $array_call; $(cat "$tmp/err")"
elif ! grep -q "^sweep.sh: no task count given: 2 task(s) per node, one per CPU of the smallest node of partition local" "$tmp/out"; then
  fail "default count fitted: no note of the fitted count: $(cat "$tmp/out")"
else
  pass "default count fitted: 2-CPU nodes, every task --ntasks-per-node=2"
fi
# submit.sh (one run) refuses the same way, and passes what fits on.
submit=("$src/slurm/submit.sh")
touch "$tmp/forbidden"
rm -f "$tmp/violations"
rc=0
bash "${submit[@]}" "$default" --ntasks-per-node=3 -- --set keys.count=1000 >"$tmp/out" 2>"$tmp/err" || rc=$?
rm -f "$tmp/forbidden"
if [ -e "$tmp/violations" ] || [ "$rc" -ne 2 ] ||
  ! grep -q "^submit.sh: error: --ntasks-per-node=3 asks more than the 2 CPU(s) of the largest node of partition local" "$tmp/err"; then
  fail "submit.sh, too many tasks per node: exit $rc, $(cat "$tmp/err" "$tmp/violations" 2>/dev/null)"
else
  pass "submit.sh, too many tasks per node: $(cat "$tmp/err")"
fi
rm -f "$tmp/calls"
rc=0
bash "${submit[@]}" "$default" -t 10 -- --set keys.count=1000 >"$tmp/out" 2>"$tmp/err" || rc=$?
call=$(awk 'BEGIN{RS=""} NR==1' "$tmp/calls" 2>/dev/null || true)
if [ "$rc" -ne 0 ] || [ "$(tr '\n' ' ' <<<"$call")" != "-t 10 $src/slurm/ringsim.sbatch $default --set keys.count=1000 " ]; then
  fail "submit.sh: exit $rc, sbatch called with: $call; $(cat "$tmp/err")"
else
  pass "submit.sh: sbatch -t 10 slurm/ringsim.sbatch EXPERIMENT --set ... (the job fits the count to its node)"
fi
unset FAKE_SINFO

# ---- installed: the scripts in <prefix>/share/ringsim/slurm, ringsim in <prefix>/bin ------
prefix=$tmp/prefix
mkdir -p "$prefix/share/ringsim/slurm" "$prefix/bin" "$tmp/elsewhere"
cp "$src"/slurm/* "$prefix/share/ringsim/slurm/"
ln -s "$bin" "$prefix/bin/ringsim"
installed=("$prefix/share/ringsim/slurm/sweep.sh")
rm -f "$tmp/calls" "$tmp"/env.*
rc=0
(cd "$tmp/elsewhere" && env -u RINGSIM_ROOT -u RINGSIM_BIN -u RINGSIM_RESULTS PATH="$prefix/bin:$PATH" \
  bash "${installed[@]}" "$f") >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
  fail "installed sweep.sh: exit $rc: $(cat "$tmp/err")"
elif ! grep -qx "RINGSIM_BIN=$prefix/bin/ringsim" "$tmp/env.101" ||
  ! grep -qx "RINGSIM_RESULTS=$tmp/elsewhere/results" "$tmp/env.101" ||
  ! grep -qx "RINGSIM_SLURM_DIR=$prefix/share/ringsim/slurm" "$tmp/env.101" || grep -q '^RINGSIM_ROOT=' "$tmp/env.101"; then
  fail "installed sweep.sh: the jobs would not find the installed binary and scripts: $(cat "$tmp/env.101")"
elif ! grep -q -- "$prefix/share/ringsim/slurm/ringsim.sbatch" "$tmp/calls"; then
  fail "installed sweep.sh: the array does not run the installed job script: $(cat "$tmp/calls")"
else
  pass "installed sweep.sh: validated with ringsim from PATH ($prefix/bin/ringsim), results in the current folder"
fi
rm -f "$tmp/calls"
rc=0
(cd "$tmp/elsewhere" && env -u RINGSIM_ROOT -u RINGSIM_BIN -u RINGSIM_RESULTS PATH="$tmp/bin:/usr/bin:/bin" \
  bash "${installed[@]}" "$f") >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ -e "$tmp/calls" ] || [ "$rc" -ne 2 ] ||
  ! grep -q "^sweep.sh: error: ringsim binary not found: no ringsim on PATH and $prefix/share/ringsim/slurm is not in a built ringsim checkout" "$tmp/err"; then
  fail "installed sweep.sh without ringsim on PATH: exit $rc, $(cat "$tmp/err")"
else
  pass "installed sweep.sh without ringsim on PATH: $(cat "$tmp/err")"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
