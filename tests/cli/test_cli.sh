#!/usr/bin/env bash
# The ringsim command as a user runs it under mpiexec: the default job writes a
# readable HDF5 file; every bad input gets one clear error line from rank 0, a
# non-zero exit and no output file; injected faults are caught.
# Usage: test_cli.sh RINGSIM MPIEXEC WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

failures=0
passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }

run() {  # run NP ARGS...; sets rc, out, err
  local np=$1
  shift
  timeout 120 "$mpiexec" -q -n "$np" --oversubscribe "$ringsim" "$@" >out.txt 2>err.txt
  rc=$?
  out=$(cat out.txt)
  err=$(cat err.txt)
}

# expect_error NAME NP EXPECTED_TEXT OUTFILE ARGS...: non-zero exit (the code in
# want_rc when set), exactly one error line naming the problem, no OUTFILE and
# no partial file beside it.
want_rc=2
expect_error() {
  local name=$1 np=$2 text=$3 outfile=$4
  shift 4
  run "$np" "$@"
  local lines
  lines=$(grep -c '^ringsim: error:' err.txt)
  if [ "$rc" -eq 0 ]; then
    fail "$name: exit code 0"
  elif [ "$rc" -eq 124 ]; then
    fail "$name: hung (timeout)"
  elif [ "$lines" -ne 1 ]; then
    fail "$name: expected one error line, got $lines: $err"
  elif ! grep -qF -- "$text" err.txt; then
    fail "$name: error does not mention '$text': $err"
  elif [ -n "$want_rc" ] && [ "$rc" -ne "$want_rc" ]; then
    fail "$name: exit code $rc, expected $want_rc: $err"
  elif [ -n "$outfile" ] && { [ -e "$outfile" ] || [ -e "${outfile%.h5}.partial.h5" ]; }; then
    fail "$name: left an output file behind"
  else
    pass "$name (exit $rc): $(grep '^ringsim: error:' err.txt)"
  fi
}

# --- the default job ------------------------------------------------------
run 4 run --set keys.count=100000
if [ "$rc" -ne 0 ]; then
  fail "default run exited $rc: $err"
else
  pass "default run at 4 ranks"
  for want in "== modulo" "== ring" "moved%" "disruption" "verification passed" "results: results/default.h5"; do
    grep -qF -- "$want" out.txt || fail "default run output lacks '$want'"
  done
  [ -f results/default.h5 ] || fail "results/default.h5 missing"
  h5dump -H results/default.h5 >/dev/null 2>&1 || fail "h5dump cannot read results/default.h5"
  if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    /usr/bin/python3 - <<'PY' || fail "h5py cannot read the events table"
import h5py
with h5py.File("results/default.h5", "r") as f:
    assert f.attrs["schema_version"] == 5 and f.attrs["partial"] == 0
    ev = f["strategies/ring/events"]  # a group of columns
    assert len(ev["keys_total"]) == 4 and ev["keys_total"][0] == 100000, ev["keys_total"][:]
    assert ev["keys_total"].attrs["units"] == "keys" and list(ev["kind"].asstr()[:2]) == ["add", "remove"]
    assert f["strategies/ring/loads"].shape == (4, 4)
PY
  fi
  [ -z "$(ls results/*.tmp results/*.partial.h5 2>/dev/null)" ] || fail "temporary or partial file left in results/"
fi

# Only rank 0 prints: at 4 ranks the header appears once.
[ "$(grep -c '^ringsim ' out.txt)" -eq 1 ] || fail "header printed more than once"

# --- bad input --------------------------------------------------------------
printf '[[strategies]]\nname = "chord"\n' >unknown.toml
expect_error "unknown strategy" 2 "unknown strategy 'chord'" results/unknown.h5 run unknown.toml

printf '[keys]\ncount = "lots"\n[[strategies]]\nname = "ring"\n' >nonnumeric.toml
expect_error "non-numeric count" 2 "nonnumeric.toml:2: keys.count: must be a number" results/nonnumeric.h5 run nonnumeric.toml

printf '[keys]\ncount = -10\n[[strategies]]\nname = "ring"\n' >negative.toml
expect_error "negative count" 2 "keys.count: must be in [1," results/negative.h5 run negative.toml

printf '[cluster]\ninitial = 3\n[[strategies]]\nname = "ring"\n' >toomany.toml
expect_error "more active nodes than ranks" 2 "more than the 2 nodes (one per rank" results/toomany.h5 run toomany.toml

expect_error "missing file" 2 "experiment file nope.toml does not exist" results/nope.h5 run nope.toml

printf '[keys\ncount = 3\n' >malformed.toml
expect_error "malformed file" 2 "malformed.toml:1:" results/malformed.h5 run malformed.toml

expect_error "unwritable folder" 2 "output folder /nonexistent/dir does not exist" "" run --out /nonexistent/dir/x.h5

mkdir -p ro && chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then  # root can write anywhere; the check is then moot
  expect_error "read-only folder" 2 "is not writable" ro/x.h5 run --out ro/x.h5
fi

echo "old" >exists.h5
expect_error "existing output without --force" 2 "exists; pass --force" "" run --out exists.h5
[ "$(cat exists.h5)" = "old" ] || fail "existing file was changed without --force"

expect_error "bad --set" 2 "expected KEY.PATH=VALUE" results/default.h5.none run --set keys.count --out none.h5
[ -e none.h5 ] && fail "bad --set left none.h5"

# Command-line mistakes: the ringsim: prefix and exit 2, like every bad input.
expect_error "unknown flag" 2 "was not expected: --bogus" "" run --bogus
expect_error "empty --out" 2 "--out is empty" "" run --out ''
printf 'name = "../../tmp/evil"\n[[strategies]]\nname = "ring"\n' >evil.toml
expect_error "a run name with .." 2 "name" "" run evil.toml
[ -e ../../tmp/evil.h5 ] && fail "a run name wrote outside results/"
printf '[cluster]\nnodes = 4\nweights = [1, 1, 1, 1e6]\n[[strategies]]\nname = "ring"\n' >heavy.toml
expect_error "a weight out of range" 2 "weights" results/heavy.h5 run heavy.toml
expect_error "more memory than the host has" 2 "--force-memory" "" run --set keys.count=1e10 --out huge.h5
expect_error "--resume of a file that is not there" 2 "--resume: nope.partial.h5 does not exist" "" run --resume nope.partial.h5
expect_error "--out naming a partial file" 2 "ends in .partial.h5" "" run --out x.partial.h5

# --dry-run: validation alone, for a rank count of the user's choice.
run 1 run --dry-run --ranks 64 --set cluster.nodes=128 --out dry.h5
{ [ "$rc" -eq 0 ] && grep -q "^ringsim: ok: .* on 64 ranks" out.txt && [ ! -e dry.h5 ] && [ ! -e dry.partial.h5 ]; } &&
  pass "--dry-run --ranks 64" || fail "--dry-run: exit $rc: $out $err"

# --- verification catches corruption ------------------------------------------
want_rc=1
for fault in drop-key corrupt-value misplace-key; do
  expect_error "fault $fault" 2 "verification failed after event 0" "fault-$fault.h5" \
    run --set keys.count=20000 --inject-fault "$fault" --out "fault-$fault.h5"
done

expect_error "lost update in processing" 2 "processing after event 0" "fault-lost.h5" \
  run --set keys.count=5000 --set processing.updates=30 --set processing.keys=hot \
  --inject-fault lost-update --out fault-lost.h5

want_rc=2
printf '[processing]\nupdates = 10\nlock = "ticket"\n[[strategies]]\nname = "ring"\n' >badlock.toml
expect_error "unknown lock algorithm" 2 "processing.lock: must be one of winlock, spin, mcs" results/badlock.h5 run badlock.toml
printf '[processing]\nupdates = 10\nstripes = 0\n[[strategies]]\nname = "ring"\n' >zerostripes.toml
expect_error "zero stripes" 2 "processing.stripes: must be in [1," results/zerostripes.h5 run zerostripes.toml
printf '[processing]\nupdates = -5\n[[strategies]]\nname = "ring"\n' >negupdates.toml
expect_error "negative update count" 2 "processing.updates: must be in [0," results/negupdates.h5 run negupdates.toml
printf '[processing]\nupdates = 10\ncohort_handoffs = 0\n[[strategies]]\nname = "ring"\n' >zerohandoffs.toml
expect_error "zero cohort hand-offs" 2 "processing.cohort_handoffs: must be in [1," results/zerohandoffs.h5 run zerohandoffs.toml

# --- --force replaces atomically; help and list ----------------------------------
run 2 run --set keys.count=10000 --out exists.h5 --force
{ [ "$rc" -eq 0 ] && h5dump -H exists.h5 >/dev/null 2>&1; } && pass "--force replaces the file" || fail "--force: $err"

run 1 --help
{ [ "$rc" -eq 0 ] && grep -q "run" out.txt && grep -q "list" out.txt; } && pass "--help" || fail "--help: $out"
run 1 run --help
for opt in --out --force --set --quiet --no-verify --inject-fault; do
  grep -qF -- "$opt" out.txt || fail "run --help does not explain $opt"
done
run 1 list
{ [ "$rc" -eq 0 ] && grep -q "^ring" out.txt && grep -q "^modulo" out.txt; } && pass "list" || fail "list: $out"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
