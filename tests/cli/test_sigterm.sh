#!/usr/bin/env bash
# SIGTERM (what Slurm sends at a time limit) to every rank of a running job:
# ringsim must stop after the event in progress, write what completed to
# <out>.partial.h5 with partial = 1 and events_completed, and exit 4.
# Usage: test_sigterm.sh RINGSIM MPIEXEC EXPERIMENT WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
experiment=$(realpath "$3")
work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run "$experiment" --out run.h5 --quiet \
  --set keys.count=300000 >out.txt 2>err.txt &
launcher=$!
sleep 3
ranks=$(pgrep -P "$launcher")
if [ -z "$ranks" ]; then
  echo "FAIL: no rank processes under launcher $launcher (the run ended too soon?)"
  exit 1
fi
kill -TERM $ranks
wait "$launcher"
rc=$?

fail=0
[ "$rc" -eq 4 ] || { echo "FAIL: exit code $rc, expected 4"; fail=1; }
grep -q "stopped by SIGTERM" err.txt || { echo "FAIL: no 'stopped by SIGTERM' line: $(cat err.txt)"; fail=1; }
[ -e run.h5 ] && { echo "FAIL: a complete-looking run.h5 was written"; fail=1; }
[ -e run.partial.h5 ] || { echo "FAIL: run.partial.h5 missing"; fail=1; }
if [ -e run.partial.h5 ]; then
  /usr/bin/python3 - <<'PY' || fail=1
import h5py
with h5py.File("run.partial.h5", "r") as f:
    assert f.attrs["partial"] == 1, "partial attribute"
    done = int(f.attrs["events_completed"])
    rows = sum(len(f["strategies"][l.decode()]["events"]) for l in f["strategies"].attrs["order"])
    assert 1 <= done == rows, (done, rows)
    assert done < 7 * 20, "the run was not stopped early"
    print(f"ok: partial file with {done} completed events")
PY
fi
[ "$fail" -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$fail"
