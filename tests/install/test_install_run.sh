#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the INSTALLED ringsim from
# another folder: what is installed where, a bundled experiment run by name
# under mpiexec and its result file, experiments by name from
# $RINGSIM_EXPERIMENT_PATH, after the prefix is moved, and a wrong name.
# Usage: test_install_run.sh BUILD_DIR SOURCE_DIR MPIEXEC CMAKE
source "$(dirname "$0")/lib.sh"

# --- what is installed where ------------------------------------------------
exps=$prefix/share/ringsim/experiments
for f in bin/ringsim share/ringsim/experiments/scale-out.toml \
  share/ringsim/experiments/data/cache-trace.txt share/ringsim/experiments/sweeps/example.toml \
  include/ringsim/registry.hpp include/ringsim/engine/membership.hpp \
  include/ringsim/placement/crc32c.hpp share/modulefiles/ringsim/0.1.0.lua; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
for f in ringsimConfig.cmake ringsimConfigVersion.cmake ringsimTargets.cmake; do
  [ -e "$cmake_dir/$f" ] || fail "not installed: $cmake_dir/$f"
done
[ -e "$cmake_dir/../../libringsim_core.a" ] || fail "libringsim_core.a is not in the folder of $cmake_dir/../.."
# Every file of slurm/: the scripts source one another (fit.sh), so one left
# out breaks the installed sweep.sh and submit.sh.
for f in $(cd "$src/slurm" && ls *.sh *.sbatch *.py); do
  if [ ! -x "$prefix/share/ringsim/slurm/$f" ]; then
    fail "share/ringsim/slurm/$f missing or not executable"
  elif ! cmp -s "$src/slurm/$f" "$prefix/share/ringsim/slurm/$f"; then
    fail "share/ringsim/slurm/$f differs from slurm/$f"
  fi
done
cmp -s "$src/results/README.md" "$prefix/share/doc/ringsim/results-schema.md" ||
  fail "share/doc/ringsim/results-schema.md is not results/README.md"
for f in "$src"/results/*.schema.json; do
  [ -e "$f" ] || continue
  cmp -s "$f" "$prefix/share/doc/ringsim/$(basename "$f")" || fail "$(basename "$f") not installed"
done
n_src=$(ls "$src"/experiments/*.toml | wc -l)
n_inst=$(ls "$exps"/*.toml | wc -l)
[ "$n_src" -eq "$n_inst" ] || fail "$n_inst experiments installed, the source has $n_src"
[ "$failures" -eq 0 ] && pass "installed files: binary, $n_inst experiments, job scripts, docs, headers, package"

# --- a bundled experiment by name, from elsewhere, under mpiexec -------------
mkdir -p "$work/elsewhere"
cd "$work/elsewhere" || exit 1
unset RINGSIM_EXPERIMENT_PATH
run_mpi 2 "$prefix/bin/ringsim" run scale-out --quiet --set keys.count=20000 \
  --set run.repetitions=1 --out scale.h5
if [ "$rc" -ne 0 ]; then
  fail "installed ringsim run scale-out exited $rc: $err"
elif ! /usr/bin/python3 - "$exps/scale-out.toml" scale.h5 <<'PY'; then
import sys, h5py
want_source, path = sys.argv[1], sys.argv[2]
with h5py.File(path, "r") as f:
    a = f.attrs
    text = lambda k: a[k].decode() if isinstance(a[k], bytes) else str(a[k])
    problems = []
    if text("experiment_source") != want_source:
        problems.append(f"experiment_source {text('experiment_source')!r}, want {want_source!r}")
    if text("experiment_name") != "scale-out":
        problems.append(f"experiment_name {text('experiment_name')!r}")
    if int(a["partial"]) != 0:
        problems.append("partial is not 0")
    if int(a["keys_count"]) != 20000 or int(a["ranks"]) != 2:
        problems.append(f"keys_count {a['keys_count']}, ranks {a['ranks']}")
    labels = sorted(k for k, v in f["strategies"].items() if isinstance(v, h5py.Group))
    want = sorted(["modulo", "ring", "rendezvous", "maglev", "jump", "anchor", "memento", "binomial"])
    if labels != want:
        problems.append(f"strategies {labels}")
    for s in labels:
        ev = f[f"strategies/{s}/events"]  # a group of columns (schema 5)
        nodes_after = [int(x) for x in ev["nodes_after"][()]]
        if len(nodes_after) != 4:  # the four scale events of scale-out.toml
            problems.append(f"{s}: {len(nodes_after)} event rows, want 4")
        elif nodes_after != [20, 24, 28, 32]:
            problems.append(f"{s}: nodes after the events {nodes_after}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
PY
  fail "the result file of the installed run is not what scale-out.toml asks for"
else
  pass "installed ringsim runs scale-out by name from another folder: $(ls scale.h5)"
fi
[ -e "$work/elsewhere/results" ] && fail "the run by name left a results/ folder although --out was given"

# An experiment whose key trace is relative to the file: found by name, with ".toml".
run_mpi 1 "$prefix/bin/ringsim" run trace.toml --dry-run
if [ "$rc" -eq 0 ] && grep -qF "ringsim: ok: $exps/trace.toml" "$work/out.txt"; then
  pass "trace.toml by name reads its installed key trace (--dry-run)"
else
  fail "trace.toml by name, --dry-run: exit $rc: $out $err"
fi

# --- $RINGSIM_EXPERIMENT_PATH comes first ------------------------------------
mkdir -p "$work/mine" "$work/empty"
sed 's/^description = .*/description = "my scale-out"/' "$exps/scale-out.toml" >"$work/mine/scale-out.toml"
printf '[keys]\ncount = 1000\n[[strategies]]\nname = "ring"\n' >"$work/mine/tiny.toml"
export RINGSIM_EXPERIMENT_PATH=$work/empty:$work/mine
run_mpi 1 "$prefix/bin/ringsim" run scale-out --dry-run
grep -qF "ringsim: ok: $work/mine/scale-out.toml" "$work/out.txt" ||
  fail "RINGSIM_EXPERIMENT_PATH does not come before the installed experiments: $out $err"
run_mpi 2 "$prefix/bin/ringsim" run tiny --quiet
if [ "$rc" -eq 0 ] && [ -f results/tiny.h5 ]; then
  pass "RINGSIM_EXPERIMENT_PATH: its scale-out first, its own tiny runs (results/tiny.h5)"
else
  fail "run tiny from RINGSIM_EXPERIMENT_PATH: exit $rc: $err"
fi
unset RINGSIM_EXPERIMENT_PATH

# --- a wrong name: one line, where it looked, what there is -------------------
run_mpi 2 "$prefix/bin/ringsim" run scale-ot
lines=$(grep -c '^ringsim: error:' "$work/err.txt")
if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ]; then
  fail "wrong name: exit $rc, $lines error lines: $err"
elif ! grep -qF "no scale-ot.toml is in $exps (installed); experiments by name: " "$work/err.txt" ||
  ! grep -qE "experiments by name: .*churn, .*scale-out" "$work/err.txt"; then
  fail "wrong name: the error does not name the folder and the experiments: $err"
elif grep -qF "$src" "$work/err.txt"; then
  fail "wrong name: the installed binary looked in the source tree: $err"
else
  pass "wrong name: $err"
fi
[ -e results/scale-ot.h5 ] && fail "a wrong name left an output file"

# --- the installed tree moved elsewhere still finds its experiments ----------
mv "$prefix" "$work/moved"
run_mpi 1 "$work/moved/bin/ringsim" run churn --dry-run
if [ "$rc" -eq 0 ] && grep -qF "ringsim: ok: $work/moved/share/ringsim/experiments/churn.toml" "$work/out.txt"; then
  pass "a moved prefix finds its experiments (relocatable)"
else
  fail "moved prefix, run churn --dry-run: exit $rc: $out $err"
fi

finish
