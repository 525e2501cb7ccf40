#!/usr/bin/env bash
# Signals, as a Slurm time limit or a user sends them, and --resume:
#  1. SIGTERM to every rank: ringsim stops after the event in progress, keeps
#     what completed in <out>.partial.h5 (partial = 1, events_completed), exit 4;
#     then `ringsim run --resume` completes it to <out>.h5 with every event row.
#  2. SIGTERM to mpirun during a 5 s event: the job ends within seconds and the
#     partial holds every event that finished before it.
#  3. A second signal stops at once (exit 4), the partial still readable.
#  4. A lock benchmark stopped by SIGTERM: exit 4, the message counts the lock
#     configurations that finished, and the partial holds exactly those rows.
# Usage: test_sigterm.sh RINGSIM MPIEXEC EXPERIMENT WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
experiment=$(realpath "$3")
work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
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

# rows FILE: events_completed and the event rows of every strategy, one line.
rows() {
  "$py" - "$1" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    labels = list(f["strategies"]["order"].asstr()[:])
    # The events table is a group of columns, each as long as the rows.
    rows = sum(min(len(c) for c in f["strategies"][l]["events"].values()) for l in labels)
    print(int(f.attrs["partial"]), int(f.attrs["events_completed"]), rows)
PY
}

# ---- 1. SIGTERM to the ranks, then --resume ------------------------------------------
# The first event of each strategy takes 5 s longer: the signal lands inside it.
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run "$experiment" --out run.h5 --quiet \
  --set keys.count=100000 --set run.repetitions=1 --inject-fault slow-event --no-warmup >out.txt 2>err.txt &
launcher=$!
for _ in $(seq 600); do # the stream exists: the run has started
  [ -e run.partial.h5 ] && break
  sleep 0.1
done
sleep 3
ranks=$(pgrep -P "$launcher")
if [ -z "$ranks" ]; then
  bad "no rank processes under launcher $launcher (the run ended too soon?)"
else
  kill -TERM $ranks
fi
wait "$launcher"
rc=$?
[ "$rc" -eq 4 ] && ok "SIGTERM to the ranks: exit 4" || bad "SIGTERM to the ranks: exit code $rc, expected 4"
grep -q "stopped by SIGTERM after" err.txt && ok "the stop is reported" || bad "no 'stopped by SIGTERM' line: $(cat err.txt)"
[ -e run.h5 ] && bad "a complete-looking run.h5 was written"
if [ -e run.partial.h5 ] && read -r partial done nrows < <(rows run.partial.h5); then
  if [ "$partial" -eq 1 ] && [ "$done" -eq 1 ] && [ "$done" -eq "$nrows" ]; then
    ok "partial file: the event in progress completed, and only it"
  else
    bad "partial file: partial=$partial events_completed=$done rows=$nrows"
  fi
else
  bad "run.partial.h5 missing or unreadable"
fi
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --resume run.partial.h5 --quiet >resume.txt 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  bad "--resume: exit code $rc: $(tail -3 resume.txt)"
elif [ -e run.partial.h5 ] || [ ! -e run.h5 ]; then
  bad "--resume: expected run.h5 and no run.partial.h5: $(ls)"
elif read -r partial done nrows < <(rows run.h5) && [ "$partial" -eq 0 ] && [ "$nrows" -eq 140 ]; then
  ok "--resume completed the run: 140 event rows ($(grep -o 'resumed: [0-9]* event' resume.txt))"
else
  bad "--resume: partial=$partial rows=$nrows, expected 0 and 140"
fi
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --resume run.h5 >again.txt 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "ringsim: error: --resume needs a partial result" again.txt &&
  ok "--resume of a complete file is refused" || bad "--resume run.h5: exit $rc: $(cat again.txt)"

# ---- 2. SIGTERM to mpirun during a 5 s event ---------------------------------------
# Open MPI 4.1's mpirun answers SIGTERM/SIGINT by sending SIGTERM to the ranks
# after odls_base_sigkill_timeout (1 s) and SIGKILL as long again: a rank in a
# 5 s event cannot finish it, but every event it finished is in the partial.
rm -f slow*.h5
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run "$experiment" --out slow.h5 --set keys.count=20000 --set run.repetitions=1 \
  --inject-fault slow-event --no-warmup >slow.out 2>slow.err &
launcher=$!
for _ in $(seq 600); do # the first strategy's first (5 s) event done
  grep -q "event [0-9]* of 20" slow.err && break
  sleep 0.1
done
sleep 2 # inside the second strategy's first event
t0=$SECONDS
kill -TERM "$launcher"
wait "$launcher"
rc=$?
took=$((SECONDS - t0))
if [ "$rc" -ne 0 ] && [ "$took" -le 30 ]; then
  ok "SIGTERM to mpirun mid-event: the job ended in $took s (mpirun exit $rc)"
else
  bad "SIGTERM to mpirun: exit $rc after $took s: $(cat slow.err)"
fi
if [ ! -e slow.h5 ] && read -r partial done nrows < <(rows slow.partial.h5) &&
  [ "$partial" -eq 1 ] && [ "$done" -ge 1 ] && [ "$done" -eq "$nrows" ] && [ "$done" -lt 140 ]; then
  ok "SIGTERM to mpirun: the partial holds the $done finished event(s)"
else
  bad "SIGTERM to mpirun: partial file: $(ls slow*) ${partial:-} ${done:-} ${nrows:-}"
fi

# ---- 3. a second signal stops at once ------------------------------------------------
rm -f twice*.h5
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run "$experiment" --out twice.h5 --set keys.count=20000 --set run.repetitions=1 \
  --inject-fault slow-event --no-warmup >twice.out 2>twice.err &
launcher=$!
sleep 2
ranks=$(pgrep -P "$launcher")
kill -TERM $ranks
sleep 0.5
t0=$SECONDS
kill -TERM $ranks 2>/dev/null
wait "$launcher"
rc=$?
took=$((SECONDS - t0))
if [ "$rc" -eq 4 ] && [ "$took" -le 2 ] && grep -q "second signal: stopping now" twice.err; then
  ok "a second signal stops at once (exit 4 in $took s)"
else
  bad "second signal: exit $rc after $took s: $(cat twice.err)"
fi
[ -e twice.h5 ] && bad "second signal: a complete file was written"
if "$py" -c 'import h5py,sys; h5py.File(sys.argv[1], "r").close()' twice.partial.h5 2>/dev/null; then
  ok "second signal: the partial file opens"
else
  bad "second signal: twice.partial.h5 does not open"
fi

# ---- 4. a lock benchmark stopped between configurations ------------------------------
rm -f lk*.h5
cat >locks.toml <<'TOML'
description = "sigterm during the lock benchmark"
[locks]
algorithms = ["winlock", "mcs"]
workloads = ["empty", "work"]
ranks = [2]
duration = 1.0
acquisitions = 0
[keys]
count = 100
TOML
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run locks.toml --out lk.h5 >lk.out 2>lk.err &
launcher=$!
for _ in $(seq 600); do # the stream exists: the suite has started
  [ -e lk.partial.h5 ] && break
  sleep 0.1
done
sleep 1.5 # inside the second of four 1 s configurations
ranks=$(pgrep -P "$launcher")
[ -n "$ranks" ] && kill -TERM $ranks
wait "$launcher"
rc=$?
stored=$("$py" -c 'import h5py,sys; f=h5py.File(sys.argv[1], "r"); print(len(f["locks/results/algorithm"]))' lk.partial.h5 2>/dev/null)
said=$(grep -o "and [0-9]* lock configuration(s)" lk.err | grep -o "[0-9]*")
if [ "$rc" -eq 4 ] && [ ! -e lk.h5 ] && [ -n "$said" ] && [ "$said" = "$stored" ] && [ "$said" -ge 1 ] &&
  [ "$said" -lt 4 ]; then
  ok "lock benchmark stopped: exit 4, $said of 4 configurations reported and kept"
else
  bad "lock benchmark stop: exit $rc, said '${said:-}', stored '${stored:-}': $(cat lk.err)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
