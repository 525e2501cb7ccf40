#!/usr/bin/env bash
# The bundled trace experiments as a user runs them, one per trace format
# (trace.toml: lines, trace-twitter.toml: Twitter CSV through zstd,
# trace-oracle.toml: oracleGeneral binary), at 1, 2 and 4 ranks: each exits 0,
# verifies after every event, names the trace's format and request counts in
# its header, and moves the same keys whatever the rank count;
# trace-twitter-ops.toml replays the trace's requests as the processing
# stage's operations: every request in every round (7515 reads, 2485 updates
# after the first event), the same request load per node whatever the rank
# count, and an injected lost update is caught. value-sizes.toml (lognormal
# value sizes) moves the same bytes at 1 and 4 ranks. Then a trace
# with a malformed line stops the job with one line naming file, line and
# problem (exit 2, no result file).
# Usage: test_trace_experiments.sh RINGSIM MPIEXEC SOURCE_DIR WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
src=$(realpath "$3")
work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
ok() {
  echo "ok: $*"
  passed=$((passed + 1))
}
bad() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

declare -A header=(
  [trace]="trace: lines format, 30000 requests"
  [trace-twitter]="trace: twitter format, zstd, 10000 requests (7515 get/gets, 2485 other operations)"
  [trace-oracle]="trace: oracle format, 10000 requests"
  [trace-twitter-ops]="trace: twitter format, zstd, 10000 requests (7515 get/gets, 2485 other operations)"
)
for e in trace trace-twitter trace-oracle trace-twitter-ops; do
  first=""
  first_ops=""
  for np in 1 2 4; do
    out="$e-np$np.txt"
    timeout 300 "$mpiexec" --oversubscribe -n "$np" "$ringsim" run "$src/experiments/$e.toml" \
      --set run.repetitions=1 -o "$work/$e-np$np.h5" >"$out" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
      bad "$e at $np ranks: exit $rc"
      tail -5 "$out"
      continue
    fi
    grep -q "verification passed after every event" "$out" && ok "$e at $np ranks verifies" ||
      bad "$e at $np ranks: no 'verification passed'"
    grep -qF "${header[$e]}" "$out" && ok "$e at $np ranks: header names the trace" ||
      bad "$e at $np ranks: no '${header[$e]}' in $(grep '^trace:' "$out")"
    # The comparison table's keys_moved column, strategy by strategy.
    moved=$(sed -n '/^== comparison/,/^$/p' "$out" | awk 'NR > 2 && NF > 2 {print $1, $2}')
    if [ -z "$first" ]; then
      first=$moved
      [ -n "$moved" ] && ok "$e: keys moved per strategy" || bad "$e: no comparison table"
    elif [ "$moved" = "$first" ]; then
      ok "$e at $np ranks moves the same keys as at 1 rank"
    else
      bad "$e at $np ranks moves other keys: $moved vs $first"
    fi
    [ "$e" = trace-twitter-ops ] || continue
    # The trace's requests, every one, after the first event of every strategy.
    n=$(grep -c "after event 0: 2485 updates + 7515 reads in" "$out")
    [ "$n" -eq 5 ] && ok "$e at $np ranks replays every request of the trace" ||
      bad "$e at $np ranks: $n of 5 strategies replayed 2485 updates + 7515 reads"
    ops=$(grep -o "ops per node peak/mean [0-9.]* (cv [0-9.]*)" "$out")
    if [ -z "$first_ops" ]; then
      first_ops=$ops
      [ -n "$ops" ] && ok "$e: request load per node" || bad "$e: no 'ops per node' figures"
    elif [ "$ops" = "$first_ops" ]; then
      ok "$e at $np ranks: the same request load per node as at 1 rank"
    else
      bad "$e at $np ranks: request load $ops vs $first_ops"
    fi
  done
done

# A lost update in the trace's replay is caught: exit 1 (verification failed), no
# result file.
timeout 120 "$mpiexec" --oversubscribe -n 2 "$ringsim" run "$src/experiments/trace-twitter-ops.toml" \
  --set run.repetitions=1 --inject-fault lost-update -o "$work/lost.h5" >lost.txt 2>&1
rc=$?
[ $rc -eq 1 ] && ok "trace replay lost update: exit 1 (verification)" ||
  bad "trace replay lost update: exit $rc"
grep -qF "processing after event 0: 1 value(s) differ" lost.txt &&
  ok "trace replay lost update: caught" || bad "trace replay lost update: $(grep error lost.txt)"
[ ! -e lost.h5 ] && ok "trace replay lost update: no result file" ||
  bad "trace replay lost update: lost.h5 written"

# value-sizes.toml (lognormal values, smaller here) at 1 and 4 ranks: it
# verifies, its header names the distribution, and every event moves the same
# MiB (the per-event tables' last column) at both rank counts.
first_mib=""
for np in 1 4; do
  out="value-sizes-np$np.txt"
  timeout 300 "$mpiexec" --oversubscribe -n "$np" "$ringsim" run "$src/experiments/value-sizes.toml" \
    --set run.repetitions=1 --set keys.count=20000 -o "$work/value-sizes-np$np.h5" >"$out" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    bad "value-sizes at $np ranks: exit $rc"
    tail -5 "$out"
    continue
  fi
  grep -q "verification passed after every event" "$out" && ok "value-sizes at $np ranks verifies" ||
    bad "value-sizes at $np ranks: no 'verification passed'"
  grep -qF "keys of 8 bytes and lognormal values (mean 1024 B, sigma 2.00" "$out" &&
    ok "value-sizes at $np ranks: header names the value sizes" ||
    bad "value-sizes at $np ranks: header $(grep 'MPI ranks' "$out")"
  mib=$(awk '$1 ~ /^[0-9]+$/ && NF > 10 {print $NF}' "$out")
  if [ -z "$first_mib" ]; then
    first_mib=$mib
    [ -n "$mib" ] && ok "value-sizes: MiB moved per event" || bad "value-sizes: no event table"
  elif [ "$mib" = "$first_mib" ]; then
    ok "value-sizes at $np ranks moves the same bytes as at 1 rank"
  else
    bad "value-sizes at $np ranks moves other bytes: $(echo $mib) vs $(echo $first_mib)"
  fi
done

# A malformed Twitter line, 3 lines in: exit 2, one line, no result file.
{
  echo "1,nz:a,4,10,1,get,0"
  echo "1,nz:b,4,10,1,set,60"
  echo "1,nz:c,4,10,1,fetch,0"
} >bad.csv
cat >bad.toml <<TOML
# bad: a trace with an unknown operation
[keys]
distribution = "file"
file = "bad.csv"
format = "twitter"
[[strategies]]
name = "ring"
TOML
timeout 120 "$mpiexec" --oversubscribe -n 2 "$ringsim" run bad.toml -o "$work/bad.h5" >bad.txt 2>&1
rc=$?
# Line 3 starts in rank 1's half of the file: rank 1 saw it first.
want='ringsim: error: rank 1: bad.toml: keys.file: bad.csv: line 3: operation "fetch" is not one of get, gets'
[ $rc -eq 2 ] && ok "malformed trace: exit 2" || bad "malformed trace: exit $rc"
grep -qF "$want" bad.txt && ok "malformed trace: names file, line and problem" ||
  bad "malformed trace: no '$want' in: $(head -3 bad.txt)"
[ "$(grep -c 'ringsim: error' bad.txt)" -eq 1 ] && ok "malformed trace: one error line" ||
  bad "malformed trace: $(grep -c 'ringsim: error' bad.txt) error lines"
[ ! -e bad.h5 ] && ok "malformed trace: no result file" || bad "malformed trace: bad.h5 written"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
