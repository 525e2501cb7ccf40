#!/usr/bin/env bash
# The job scripts in slurm/ against a real Slurm: a private single-node Slurm
# (scripts/slurm-local.sh: munged, slurmctld, slurmd from Debian's packages, all
# state in a temporary folder) runs a single job, its failure modes, the default
# submission (no task count: fitted to the node), task counts the node cannot give
# (refused before anything is queued), the scripts installed apart from the checkout,
# a sweep, a sweep with failing tasks, and a run stopped by SIGTERM. The daemons are
# stopped by their pid files whatever happens.
# Usage: test_slurm.sh RINGSIM_BINARY SOURCE_DIR WORK_DIR
# Exit: 0 pass, 1 fail, 77 skip (Slurm cannot be installed or started here).
set -euo pipefail

[ $# -eq 3 ] || {
  echo "usage: $0 RINGSIM_BINARY SOURCE_DIR WORK_DIR" >&2
  exit 2
}
bin=$(realpath "$1")
src=$(realpath "$2")
work=$3
skip=77
local_slurm="$src/scripts/slurm-local.sh"
python=/usr/bin/python3

failures=0
pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
fatal() {
  echo "FAIL: $*"
  exit 1
}

t0=$SECONDS
rc=0
bash "$local_slurm" install || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "SKIP: Slurm (munge, slurmctld, slurmd, slurm-client) cannot be installed on this machine"
  exit "$skip"
elif [ "$rc" -ne 0 ]; then
  fatal "scripts/slurm-local.sh install failed ($rc)"
fi
echo "slurm packages ready after $((SECONDS - t0)) s"

steps_before=$(pgrep -x slurmstepd | sort || true)
tmp=$(mktemp -d /tmp/ringsim-slurm-test.XXXXXX)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bash "$local_slurm" stop "$tmp/slurm" || true
  local left
  left=$(pgrep -a -f "$tmp/" || true)
  local step
  # This Slurm's job steps only: another Slurm on the machine (another checkout's test)
  # runs its own. A slurmstepd inherits its slurmd's SLURM_CONF.
  for step in $(pgrep -x slurmstepd || true); do
    grep -qx "$step" <<<"$steps_before" && continue
    tr '\0' '\n' <"/proc/$step/environ" 2>/dev/null | grep -qx "SLURM_CONF=$tmp/slurm/slurm.conf" || continue
    left+=$'\n'"$(ps -o pid=,args= -p "$step" || true)"
  done
  left=$(sed '/^$/d' <<<"$left")
  if [ -n "$left" ]; then
    echo "FAIL: processes left after stopping Slurm:"
    echo "$left"
    rc=1
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$skip" ] && [ -d "$tmp/slurm" ]; then
    mkdir -p "$work/slurm-logs" && cp "$tmp"/slurm/*.log "$work/slurm-logs/" 2>/dev/null &&
      echo "daemon logs kept in $work/slurm-logs/"
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# munged wants every folder on the way to its socket open to all.
chmod 0755 "$tmp"
if ! bash "$local_slurm" start "$tmp/slurm"; then
  # As root on Debian the recipe works: a failure there is a bug, not a reason to skip.
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: a local Slurm could not be started (slurmd runs jobs as other users only as root)"
    exit "$skip"
  fi
  fatal "the local Slurm did not start (daemon logs above)"
fi
echo "slurm running after $((SECONDS - t0)) s"

rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
cd "$work"
export SLURM_CONF=$tmp/slurm/slurm.conf
export RINGSIM_ROOT=$src RINGSIM_BIN=$bin RINGSIM_RESULTS=$work/results RINGSIM_PYTHON=$python
unset RINGSIM_MODULES RINGSIM_LAUNCH
# One task per CPU: Slurm 22.05 rejects more tasks per node than CPUs, even with --overcommit.
tpn=$(($(nproc) >= 2 ? 2 : 1))
job=("$src/slurm/ringsim.sbatch")
limit=240 # seconds for any one submission (the time-limit job takes 60-100)

# check.py MODE ...: validates result files with h5py (complete, tagged, as expected).
cat >"$tmp/check.py" <<'PY'
import csv, sys
import h5py

SLURM = ["slurm_job_id", "slurm_array_job_id", "slurm_array_task_id", "slurm_job_nodelist",
         "slurm_job_num_nodes", "slurm_ntasks", "slurm_ntasks_per_node"]

def result(path, events_per_strategy, job_id=None, task=-1, nodes=None, strategies=None):
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert "schema_version" in a, "no schema_version"
        assert int(a.get("partial", 0)) == 0, "partial file"
        for name in SLURM:
            assert name in a, f"no {name} attribute"
        if job_id is not None:
            assert int(a["slurm_job_id"]) == int(job_id), (int(a["slurm_job_id"]), job_id)
        assert int(a["slurm_array_task_id"]) == int(task), (int(a["slurm_array_task_id"]), task)
        assert a["slurm_job_nodelist"] == "localhost", repr(a["slurm_job_nodelist"])  # str, not bytes
        if nodes is not None:
            assert int(a["nodes"]) == int(nodes), (int(a["nodes"]), nodes)
        labels = [s.decode() for s in f["strategies"]["order"][:]]
        if strategies is not None:
            assert labels == strategies, (labels, strategies)
        for label in labels:
            n = len(f["strategies"][label]["events"]["event"])  # a column of the events table
            assert n == events_per_strategy, f"{label}: {n} event rows, expected {events_per_strategy}"
        return len(labels)

mode = sys.argv[1]
if mode == "single":  # FILE JOB_ID
    n = result(sys.argv[2], 4, job_id=sys.argv[3])
    assert n == 7, f"{n} strategies, expected 7"
elif mode == "index":  # DIR EXPECTED_JSON
    import json
    folder, expected = sys.argv[2], json.loads(sys.argv[3])
    with open(f"{folder}/index.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for col in ["file", "status", "task", "experiment", "strategy", "nodes", "job_id"]:
        assert rows and col in rows[0], f"index.csv has no column {col}"
    assert len(rows) == len(expected), f"{len(rows)} rows, expected {len(expected)}"
    for row, want in zip(rows, expected):
        what = f"task {row['task']}"
        for key in ("task", "status", "experiment", "strategy", "nodes"):
            assert row[key] == str(want[key]), f"{what}: {key} = {row[key]!r}, expected {want[key]!r}"
        if want.get("message"):
            assert want["message"] in row["message"], f"{what}: message {row['message']!r} lacks {want['message']!r}"
        if row["status"] == "ok":
            result(f"{folder}/{row['file']}", 4, job_id=row["job_id"], task=row["task"],
                   nodes=row["nodes"], strategies=[row["strategy"]])
            if "active" in want:  # the sweep scaled the cluster: nodes active at the start
                with h5py.File(f"{folder}/{row['file']}", "r") as f:
                    loads = f["strategies"][row["strategy"]]["initial_loads"][0]
                    active = int((loads > 0).sum())
                assert active == want["active"], f"{what}: {active} active nodes at the start, expected {want['active']}"
        else:
            assert row["file"] == "", f"{what}: failed but names file {row['file']}"
elif mode == "ranks":  # FILE N: the job ran N ranks on the node, one per CPU at most
    with h5py.File(sys.argv[2], "r") as f:
        a, n = f.attrs, int(sys.argv[3])
        assert int(a["ranks"]) == n, f"ranks = {int(a['ranks'])}, expected {n}"
        assert int(a["slurm_ntasks"]) == n, f"slurm_ntasks = {int(a['slurm_ntasks'])}, expected {n}"
        assert a["slurm_ntasks_per_node"] == str(n), repr(a["slurm_ntasks_per_node"])
        assert int(a["oversubscribed"]) == 0, "oversubscribed"
elif mode == "partial":  # FILE
    with h5py.File(sys.argv[2], "r") as f:
        assert int(f.attrs["partial"]) == 1, "partial attribute"
        done = int(f.attrs["events_completed"])
        assert done >= 1, "no completed event"
        print(f"partial file with {done} completed event(s)")
PY
check() { "$python" "$tmp/check.py" "$@"; }

# ---- a single run --------------------------------------------------------------------
rc=0
id=$(timeout "$limit" sbatch --parsable --wait --ntasks-per-node="$tpn" -o single-%j.out "${job[@]}" \
  "$src/experiments/default.toml" --set keys.count=20000 --set run.repetitions=1) || rc=$?
out="$work/results/default/$id/default_job${id}_1x$tpn.h5"
if [ "$rc" -ne 0 ]; then
  fail "single run: job $id exit code $rc"
  cat "single-$id.out" || true
elif ! msg=$(check single "$out" "$id" 2>&1); then
  fail "single run: $out: $msg"
else
  pass "single run: job $id wrote $out, complete and tagged"
fi

# ---- failures at the start: missing experiment, missing binary (in parallel) -------
timeout "$limit" sbatch --wait --ntasks-per-node=1 -o missing-experiment.out "${job[@]}" no-such-experiment.toml \
  >/dev/null 2>&1 &
p1=$!
RINGSIM_BIN=$work/no-such-binary timeout "$limit" sbatch --wait --ntasks-per-node=1 -o missing-binary.out "${job[@]}" \
  "$src/experiments/default.toml" >/dev/null 2>&1 &
p2=$!
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
if [ "$rc1" -ne 0 ] && grep -q "ringsim.sbatch: error: experiment file not found: no-such-experiment.toml" missing-experiment.out; then
  pass "missing experiment: job failed ($rc1) with a clear message"
else
  fail "missing experiment: exit code $rc1, output: $(cat missing-experiment.out 2>/dev/null)"
fi
if [ "$rc2" -ne 0 ] && grep -q "ringsim.sbatch: error: ringsim binary not found: $work/no-such-binary" missing-binary.out; then
  pass "missing binary: job failed ($rc2) with a clear message"
else
  fail "missing binary: exit code $rc2, output: $(cat missing-binary.out 2>/dev/null)"
fi

# ---- the default submission: no task count; the job fits its node's CPUs ----------------
# The job script asks for no task count (one the node cannot give would pend for ever,
# Reason=PartitionConfig): it runs its default, 4 per node, or one per CPU on a smaller node.
fit=$(($(nproc) < 4 ? $(nproc) : 4))
rc=0
id=$(timeout "$limit" sbatch --parsable --wait -o default-%j.out "${job[@]}" \
  "$src/experiments/default.toml" --set keys.count=20000 --set run.repetitions=1) || rc=$?
out="$work/results/default/$id/default_job${id}_1x$fit.h5"
if [ "$rc" -ne 0 ]; then
  fail "default submission: job $id exit code $rc"
  grep -v '^\[ringsim\]\|^ *[0-9]' "default-$id.out" || true
elif ! msg=$(check single "$out" "$id" 2>&1) || ! msg=$(check ranks "$out" "$fit" 2>&1); then
  fail "default submission: $out: $msg"
elif [ "$fit" -lt 4 ] && ! grep -q "^ringsim.sbatch: no task count given: $fit task(s) per node, one per CPU of the node" "default-$id.out"; then
  fail "default submission: the job does not say it fitted the count to the node: $(grep '^ringsim.sbatch' "default-$id.out")"
else
  pass "default submission: job $id ran $fit rank(s) on the $(nproc)-CPU node, not oversubscribed, and wrote $(basename "$out")"
fi

# ---- a task count the node cannot give: refused at once, nothing left in the queue -------
too_many=$(($(nproc) + 1))
for how in submit sweep; do
  rc=0 t=$SECONDS
  if [ "$how" = submit ]; then
    timeout 60 bash "$src/slurm/submit.sh" "$src/experiments/default.toml" --ntasks-per-node="$too_many" \
      >too-many.txt 2>&1 || rc=$?
  else
    timeout 60 bash "$src/slurm/sweep.sh" "$src/experiments/sweeps/example.toml" --ntasks-per-node="$too_many" \
      >too-many.txt 2>&1 || rc=$?
  fi
  queued=$(squeue -h -o '%i %T %r')
  if [ "$rc" -ne 2 ] || ! grep -q "^$how.sh: error: --ntasks-per-node=$too_many asks more than the $(nproc) CPU(s) of the largest node of partition local .*: pass --ntasks-per-node=$(nproc) or fewer" too-many.txt; then
    fail "$how.sh --ntasks-per-node=$too_many: exit code $rc, expected 2 and the option to pass: $(cat too-many.txt)"
  elif [ -n "$queued" ]; then
    fail "$how.sh --ntasks-per-node=$too_many: left in the queue: $queued"
    scancel --user="$(id -un)" || true
  else
    pass "$how.sh --ntasks-per-node=$too_many: refused in $((SECONDS - t)) s, nothing queued: $(cat too-many.txt)"
  fi
done

# The same count asked of the job script itself (no sbatch count): it stops at once.
rc=0
id=$(RINGSIM_TASKS_PER_NODE=$too_many timeout "$limit" sbatch --parsable --wait -o too-many-%j.out "${job[@]}" \
  "$src/experiments/default.toml") || rc=$?
if [ "$rc" -ne 0 ] && grep -q "^ringsim.sbatch: error: RINGSIM_TASKS_PER_NODE=$too_many asks more than the $(nproc) CPU(s) the job has on its node: set RINGSIM_TASKS_PER_NODE=$(nproc) or fewer" "too-many-$id.out"; then
  pass "RINGSIM_TASKS_PER_NODE=$too_many: job $id stopped at once ($rc) with the count to set"
else
  fail "RINGSIM_TASKS_PER_NODE=$too_many: exit code $rc, output: $(cat "too-many-$id.out" 2>/dev/null)"
fi

# ---- installed: the scripts in <prefix>/share/ringsim/slurm, ringsim in <prefix>/bin -----
# (put on PATH by a module), submitted from a folder that is no checkout.
prefix=$tmp/prefix
mkdir -p "$prefix/share/ringsim/slurm" "$prefix/bin" "$work/elsewhere"
cp "$src"/slurm/* "$prefix/share/ringsim/slurm/"
ln -s "$bin" "$prefix/bin/ringsim"
installed=$prefix/share/ringsim/slurm/ringsim.sbatch
rc=0
id=$(cd "$work/elsewhere" && env -u RINGSIM_ROOT -u RINGSIM_BIN -u RINGSIM_RESULTS PATH="$prefix/bin:$PATH" \
  timeout "$limit" sbatch --parsable --wait --ntasks-per-node="$tpn" -o installed-%j.out "$installed" \
  "$src/experiments/default.toml" --set keys.count=2000 --set run.repetitions=1) || rc=$?
out="$work/elsewhere/results/default/$id/default_job${id}_1x$tpn.h5"
if [ "$rc" -ne 0 ]; then
  fail "installed scripts: job $id exit code $rc"
  grep -v '^\[ringsim\]\|^ *[0-9]' "$work/elsewhere/installed-$id.out" || true
elif ! grep -q "^ringsim.sbatch: srun --mpi=pmix $prefix/bin/ringsim run" "$work/elsewhere/installed-$id.out"; then
  fail "installed scripts: the job did not run ringsim from PATH: $(grep '^ringsim.sbatch' "$work/elsewhere/installed-$id.out")"
elif ! msg=$(check single "$out" "$id" 2>&1); then
  fail "installed scripts: $out: $msg"
else
  pass "installed scripts: job $id ran $prefix/bin/ringsim from PATH and wrote elsewhere/results/.../$(basename "$out")"
fi
rc=0
id=$(cd "$work/elsewhere" && env -u RINGSIM_ROOT -u RINGSIM_BIN -u RINGSIM_RESULTS PATH=/usr/bin:/bin \
  timeout "$limit" sbatch --parsable --wait --ntasks-per-node=1 -o no-binary-%j.out "$installed" \
  "$src/experiments/default.toml") || rc=$?
if [ "$rc" -ne 0 ] && grep -q "^ringsim.sbatch: error: ringsim binary not found: no ringsim on PATH and $prefix/share/ringsim/slurm is not in a ringsim checkout" "$work/elsewhere/no-binary-$id.out"; then
  pass "installed scripts, no ringsim on PATH: job failed ($rc): $(grep error "$work/elsewhere/no-binary-$id.out")"
else
  fail "installed scripts, no ringsim on PATH: exit code $rc, output: $(cat "$work/elsewhere/no-binary-$id.out" 2>/dev/null)"
fi

# ---- a sweep: 2 strategies x 2 node counts ---------------------------------------------
# The node-count axis scales the experiment (scale = "relative"): default's 3 of 4 nodes
# active are 6 of 8 at 8 nodes. The array's output is named by the user's -o (%A_%a); the
# gather job's must not be (it would be slurm-<id>_4294967294.out).
cat >"$tmp/sweep-ok.toml" <<EOF
name = "test-ok"
experiments = ["$src/experiments/default.toml"]
strategies = ["ring", "jump-swap"]
nodes = [4, 8]
set = ["keys.count=20000", "run.repetitions=1"]
EOF
rc=0
timeout "$limit" bash "$src/slurm/sweep.sh" --wait "$tmp/sweep-ok.toml" --ntasks-per-node="$tpn" -o 'slurm-%A_%a.out' \
  >sweep-ok.txt 2>&1 || rc=$?
dir=$(sed -n 's|.*results in \(.*\)/$|\1|p' sweep-ok.txt)
array_job=$(basename "${dir:-none}")
expected='[{"task":0,"status":"ok","experiment":"default","strategy":"ring","nodes":4,"active":3},
 {"task":1,"status":"ok","experiment":"default","strategy":"ring","nodes":8,"active":6},
 {"task":2,"status":"ok","experiment":"default","strategy":"jump-swap","nodes":4,"active":3},
 {"task":3,"status":"ok","experiment":"default","strategy":"jump-swap","nodes":8,"active":6}]'
if [ "$rc" -ne 0 ] || [ -z "$dir" ]; then
  fail "sweep: exit code $rc"
  cat sweep-ok.txt
elif ! msg=$(check index "$dir" "$expected" 2>&1); then
  fail "sweep: $msg"
  cat sweep-ok.txt
else
  pass "sweep: 4 tasks ok, 4 complete tagged files scaled to their node counts, index.csv lists them ($dir)"
fi
gather_out=$(ls "$dir"/gather-*.out 2>/dev/null || true)
if [ -z "$dir" ]; then
  fail "sweep outputs: no sweep folder"
elif [ "$(wc -w <<<"$gather_out")" -ne 1 ] || ! grep -q "gather: 4 task(s): 4 ok" "$gather_out"; then
  fail "sweep outputs: the gather job's own output $dir/gather-<id>.out is missing or wrong: $(ls "$dir" "$work")"
elif ls "$work"/slurm-*_4294967294.out >/dev/null 2>&1; then
  fail "sweep outputs: the gather job wrote $(ls "$work"/slurm-*_4294967294.out)"
elif [ "$(ls "$work"/slurm-"${array_job}"_[0-3].out 2>/dev/null | wc -l)" -ne 4 ]; then
  fail "sweep outputs: expected the array's slurm-${array_job}_0..3.out in $work: $(ls "$work")"
else
  pass "sweep outputs: the array's slurm-${array_job}_<task>.out (the user's -o), the gather job's $(basename "$gather_out") in the sweep folder"
fi

# ---- a sweep with failing tasks: a missing experiment and a ringsim error --------------
cat >"$tmp/sweep-bad.toml" <<EOF
name = "test-bad"
experiments = ["$src/experiments/default.toml", "no-such-experiment.toml"]
strategies = ["ring"]
nodes = [4, 2]   # default's 3 of 4 active and its one-node join at 2 nodes: refused as it is scaled
set = ["keys.count=20000", "run.repetitions=1"]
EOF
rc=0
timeout "$limit" bash "$src/slurm/sweep.sh" --wait --no-validate "$tmp/sweep-bad.toml" --ntasks-per-node="$tpn" >sweep-bad.txt 2>&1 || rc=$?
dir=$(sed -n 's|.*results in \(.*\)/$|\1|p' sweep-bad.txt)
expected='[{"task":0,"status":"ok","experiment":"default","strategy":"ring","nodes":4},
 {"task":1,"status":"failed","experiment":"default","strategy":"ring","nodes":2,"message":"too few nodes for this timeline"},
 {"task":2,"status":"failed","experiment":"no-such-experiment","strategy":"ring","nodes":4,"message":"experiment file not found"},
 {"task":3,"status":"failed","experiment":"no-such-experiment","strategy":"ring","nodes":2,"message":"experiment file not found"}]'
if [ "$rc" -eq 0 ] || [ -z "$dir" ]; then
  fail "failing sweep: exit code $rc, expected non-zero"
  cat sweep-bad.txt
elif ! msg=$(check index "$dir" "$expected" 2>&1); then
  fail "failing sweep: $msg"
  cat sweep-bad.txt
elif ! grep -q "gather: FAILED task 1 (experiment default, strategy ring, nodes 2" sweep-bad.txt ||
  ! grep -q "gather: FAILED task 2 (experiment no-such-experiment" sweep-bad.txt ||
  ! grep -q "gather: FAILED task 3 (experiment no-such-experiment" sweep-bad.txt; then
  fail "failing sweep: the gather report does not name the failed tasks"
  cat sweep-bad.txt
else
  pass "failing sweep: task 0 ok, tasks 1-3 failed and named by the gather step"
fi

# ---- a time limit: Slurm sends SIGTERM to the ranks, srun and the script, then SIGKILL;
# ringsim must keep the events it finished. The script's own --signal=TERM@120 (an
# early warning) is replaced by a harmless SIGURG, so that this is the bare time limit.
sed 's/steps = 10/steps = 300/' "$src/experiments/churn.toml" >"$tmp/long-churn.toml"
rc=0
id=$(timeout "$limit" sbatch --parsable --wait --time=1 --signal=23@1 --ntasks-per-node="$tpn" -o timelimit.out \
  "${job[@]}" "$tmp/long-churn.toml" --set keys.count=1000000 --set run.repetitions=1) || rc=$?
partial="$work/results/long-churn/$id/long-churn_job${id}_1x$tpn.partial.h5"
# The case is judged by what the job left, not by sbatch's exit code: sbatch --wait
# reads the job's state once it has ended, and a job record already purged makes it
# return 0. Slurm's job-completion log (JobCompType=jobcomp/filetxt) holds the final
# state for certain; scontrol is the fallback while the record is kept (MinJobAge).
state=$(sed -n "s/^JobId=$id .*JobState=\([A-Z_]*\).*/\1/p" "$tmp/slurm/jobcomp.log" 2>/dev/null | tail -n 1)
[ -n "$state" ] || state=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
if [ "$state" != "TIMEOUT" ]; then
  fail "time limit: job $id ended in state '${state:-unknown}' (sbatch exit code $rc), expected TIMEOUT"
  grep -v '^\[ringsim\]\|^ *[0-9]' timelimit.out
elif ! grep -q "DUE TO TIME LIMIT" timelimit.out ||
  ! grep -q "ringsim.sbatch: error: stopped early (SIGTERM): partial results in" timelimit.out; then
  fail "time limit: job $id (state $state) did not stop early at its time limit"
  grep -v '^\[ringsim\]\|^ *[0-9]' timelimit.out
elif [ -e "${partial%.partial.h5}.h5" ]; then
  fail "time limit: a complete-looking file was written"
elif ! msg=$(check partial "$partial" 2>&1); then
  fail "time limit: $partial: $msg"
else
  pass "time limit: job $id stopped at its limit (state $state), $msg"
fi

# ---- the bundled example sweep file reads ----------------------------------------------
if n=$("$python" "$src/slurm/ringsim_slurm.py" count "$src/experiments/sweeps/example.toml") && [ "$n" -gt 0 ]; then
  pass "experiments/sweeps/example.toml: $n tasks"
else
  fail "experiments/sweeps/example.toml does not read"
fi

echo "slurm test took $((SECONDS - t0)) s"
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
