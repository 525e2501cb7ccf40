#!/usr/bin/env bash
# What a job's failures leave behind, as a user would meet them:
#  1. kill -9 of one rank mid-run: mpirun ends within 30 s, and the partial file
#     opens with h5py and holds every event that finished (rows = events_completed).
#  2. A key trace that only rank 0 can read, or that is of another size on rank 1:
#     one line naming the rank, exit 2, no file.
#  3. A full disk and a disk with zero bytes free (a small tmpfs, where this
#     test can mount one; skipped with a message otherwise): exit 3 within 60 s,
#     one line naming the file, nothing under the final name.
# Usage: test_failures.sh RINGSIM MPIEXEC SOURCE_DIR WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
src=$(realpath "$3")
work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
work=$(pwd)
py=/usr/bin/python3
passed=0 failed=0
ok() {
  echo "ok: $*"
  passed=$((passed + 1))
}
bad() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

# ---- 1. kill -9 of one rank -----------------------------------------------------------
sed 's/steps = 10/steps = 300/' "$src/experiments/churn.toml" >long.toml
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run long.toml --out killed.h5 --set keys.count=50000 --set run.repetitions=1 \
  --no-warmup >killed.out 2>killed.err &
launcher=$!
for _ in $(seq 600); do # until events are going by (progress lines after 1 s)
  grep -q "event [0-9]* of 600" killed.err && break
  sleep 0.1
done
sleep 2
victim=$(pgrep -P "$launcher" | tail -n 1)
t0=$SECONDS
kill -KILL "$victim"
wait "$launcher"
rc=$?
took=$((SECONDS - t0))
if [ "$rc" -ne 0 ] && [ "$took" -le 30 ]; then
  ok "kill -9 of rank process $victim: mpirun ended in $took s (exit $rc)"
else
  bad "kill -9: mpirun exit $rc after $took s"
fi
if out=$("$py" - <<'PY' 2>&1
import h5py
with h5py.File("killed.partial.h5", "r") as f:
    done = int(f.attrs["events_completed"])
    labels = list(f["strategies"]["order"].asstr()[:])
    # The events table is a group of columns: its rows are those of its
    # shortest column (a kill inside an append may leave the last ones short
    # by that row).
    lengths = [[len(c) for c in f["strategies"][l]["events"].values()] for l in labels]
    rows = sum(min(n) for n in lengths)
    loads = sum(f["strategies"][l]["loads"].shape[0] for l in labels)
    assert int(f.attrs["partial"]) == 1, "partial attribute"
    assert done >= 1, "no finished event"
    assert all(max(n) - min(n) <= 1 for n in lengths), lengths
    # The last flush may be a row behind the attribute or ahead of it by the
    # event being written; every row the file holds is whole.
    assert abs(rows - done) <= 1 and loads == rows, (done, rows, loads)
    print(done)
PY
) && [ ! -e killed.h5 ]; then
  ok "kill -9: the partial file opens and holds $out finished event(s)"
else
  bad "kill -9: partial file: $out $(ls killed*)"
fi

# ---- 2. a key trace only rank 0 can read --------------------------------------------
# MPMD: the same experiment, rank 0's copy of the trace is there, rank 1's is not
# (as on a cluster where the trace was staged onto one node's local disk).
mkdir -p r0 r1
head -n 2000 "$src/experiments/data/cache-trace.txt" >r0/trace.txt
printf '[keys]\ndistribution = "file"\nfile = "trace.txt"\n[[strategies]]\nname = "ring"\n[[events]]\nkind = "add"\n[cluster]\nnodes = 4\ninitial = 2\n' >trace.toml
t0=$SECONDS
timeout 60 "$mpiexec" -q --oversubscribe \
  -n 1 "$ringsim" run trace.toml --out trace.h5 --set keys.file="$work/r0/trace.txt" : \
  -n 1 "$ringsim" run trace.toml --out trace.h5 --set keys.file="$work/r1/trace.txt" >trace.out 2>trace.err
rc=$?
took=$((SECONDS - t0))
if [ "$rc" -eq 2 ] && grep -q "^ringsim: error: rank 1: .*keys.file: .*r1/trace.txt" trace.err &&
  [ "$(grep -c 'ringsim: error' trace.err)" -eq 1 ] && [ ! -e trace.h5 ] && [ ! -e trace.partial.h5 ]; then
  ok "a trace only rank 0 can read: exit 2 in $took s: $(grep 'ringsim: error' trace.err)"
else
  bad "trace on rank 0 only: exit $rc after $took s: $(cat trace.err)"
fi

# A stale copy on rank 1 (another size than rank 0's): refused the same way.
head -n 1000 "$src/experiments/data/cache-trace.txt" >r1/trace.txt
timeout 60 "$mpiexec" -q --oversubscribe \
  -n 1 "$ringsim" run trace.toml --out trace.h5 --set keys.file="$work/r0/trace.txt" : \
  -n 1 "$ringsim" run trace.toml --out trace.h5 --set keys.file="$work/r1/trace.txt" >trace.out 2>trace.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q "^ringsim: error: rank 1: .*keys.file: .*r1/trace.txt has [0-9]* bytes here but [0-9]* bytes on rank 0" trace.err &&
  [ "$(grep -c 'ringsim: error' trace.err)" -eq 1 ] && [ ! -e trace.h5 ] && [ ! -e trace.partial.h5 ]; then
  ok "a trace of another size on rank 1: exit 2: $(grep 'ringsim: error' trace.err)"
else
  bad "trace of another size on rank 1: exit $rc: $(cat trace.err)"
fi

# ---- 3. a full disk, and zero bytes free ---------------------------------------------
disk=$work/disk
mkdir -p "$disk"
# About 130 KB per event uncompressed (the loads row of 16,384 nodes): 2 MB fill in ~16 events.
printf '[keys]\ncount = 5000\n[cluster]\nnodes = 16384\ninitial = 10000\n[run]\ncompress = false\n[[strategies]]\nname = "ring"\n[[events]]\nkind = "churn"\nrate = 2\nsteps = 40\n' >disk.toml
if mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then
  trap 'umount "$disk" 2>/dev/null' EXIT
  for case in full zero; do
    rm -rf "${disk:?}"/*
    if [ "$case" = zero ]; then
      dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null # fills it
    fi
    t0=$SECONDS
    timeout 120 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run disk.toml \
      --out "$disk/out.h5" --quiet --no-warmup >"disk-$case.out" 2>"disk-$case.err"
    rc=$?
    took=$((SECONDS - t0))
    if [ "$rc" -eq 3 ] && [ ! -e "$disk/out.h5" ] && grep -q "ringsim: error on rank [0-9]*: cannot write result file $disk/out.partial.h5" "disk-$case.err"; then
      ok "$case disk: exit 3 in $took s, no final file: $(grep -m1 'ringsim: error' "disk-$case.err" | cut -c1-160)"
    else
      bad "$case disk: exit $rc after $took s, files: $(ls "$disk"), stderr: $(head -c 600 "disk-$case.err")"
    fi
  done
  umount "$disk"
  trap - EXIT
else
  echo "skip: cannot mount a tmpfs here (not root, or no mount permission): full-disk cases not run"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
