#!/usr/bin/env bash
# A lock timeout during processing (--inject-fault lock-timeout: the last
# rank's first lock acquisition fails as a timeout does) must end the whole job
# at once: exit code 3, one line "ringsim: error on rank 1: ..." naming the
# lock, its owner and stripe, no complete-looking result file (x.h5), no hang.
# Then a real timeout, which must end the job the same way. For every lock.
# Usage: test_lock_timeout.sh RINGSIM MPIEXEC WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

cat >timeout.toml <<'TOML'
[keys]
count = 20000
[cluster]
nodes = 4
initial = 3
[processing]
updates = 2000
keys = "hot"
hot_keys = 4
timeout = 30      # a real timeout would take this long: the injected one must not
[[strategies]]
name = "ring"
[[events]]
kind = "add"
count = 1
TOML

failures=0
passes=0
for lock in mcs spin winlock; do
  rm -f x.h5 x.h5.tmp x.partial.h5
  start=$(date +%s%N)
  timeout 60 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run timeout.toml --out x.h5 \
    --inject-fault lock-timeout --quiet --set "processing.lock=$lock" >out.txt 2>err.txt
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  took="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  lines=$(grep -c '^ringsim: error' err.txt)
  line=$(grep '^ringsim: error' err.txt | head -n 1)
  problem=""
  if [ "$rc" -eq 124 ]; then
    problem="hung (killed by timeout 60 after ${took} s)"
  elif [ "$rc" -ne 3 ]; then
    problem="exit code $rc, expected 3"
  elif [ "$ms" -gt 30000 ]; then
    problem="took ${took} s, more than 30 s"
  elif [ "$lines" -ne 1 ]; then
    problem="expected one ringsim error line on stderr, got $lines"
  elif ! echo "$line" | grep -qE "^ringsim: error on rank 1: $lock lock \(owner rank [0-9]+, stripe [0-9]+\): rank 1 timed out after 30 s"; then
    problem="the error line does not name the $lock lock timeout on rank 1"
  elif [ -e x.h5 ]; then
    problem="wrote x.h5, a complete-looking result file"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL: $lock: $problem"
    echo "--- stderr:"
    cat err.txt
    echo "---"
    failures=$((failures + 1))
  else
    echo "ok: $lock: exit 3 after ${took} s: $line"
    passes=$((passes + 1))
  fi
done
# A real timeout (1 ms, with 5 ms of work inside the lock on one hot key)
# ends the job the same way. Both ranks may time out before the abort reaches
# them, so each error line, one per rank at most, must name a lock timeout.
for lock in mcs spin winlock; do
  rm -f x.h5 x.h5.tmp x.partial.h5
  start=$(date +%s%N)
  timeout 60 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run timeout.toml --out x.h5 --quiet \
    --set "processing.lock=$lock" --set processing.timeout=0.001 \
    --set processing.work_inside_us=5000 --set processing.hot_keys=1 >out.txt 2>err.txt
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  took="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  lines=$(grep -c '^ringsim: error' err.txt)
  named=$(grep -cE "^ringsim: error on rank ([01]): $lock lock \(owner rank [01], stripe [0-9]+\): rank \1 timed out after 0.001 s waiting to acquire it" err.txt)
  ranks=$(grep '^ringsim: error on rank' err.txt | cut -d: -f2 | sort | uniq -d)
  problem=""
  if [ "$rc" -eq 124 ]; then
    problem="hung (killed by timeout 60 after ${took} s)"
  elif [ "$rc" -ne 3 ]; then
    problem="exit code $rc, expected 3"
  elif [ "$ms" -gt 30000 ]; then
    problem="took ${took} s, more than 30 s"
  elif [ "$lines" -lt 1 ] || [ "$named" -ne "$lines" ]; then
    problem="$lines error line(s), $named of them naming a $lock lock timeout"
  elif [ -n "$ranks" ]; then
    problem="a rank printed more than one error line"
  elif [ -e x.h5 ]; then
    problem="wrote x.h5, a complete-looking result file"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL: real $lock timeout: $problem"
    echo "--- stderr:"
    cat err.txt
    echo "---"
    failures=$((failures + 1))
  else
    echo "ok: real $lock timeout: exit 3 after ${took} s: $(grep '^ringsim: error' err.txt | head -n 1)"
    passes=$((passes + 1))
  fi
done
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
