#!/usr/bin/env bash
# What a job's output and the machine-readable outputs look like to a user:
#  1. stdout and stderr captured into one file (as Slurm and `mpirun ... >log 2>&1`
#     do): the run header comes before the first progress line, under mpiexec and
#     as a singleton.
#  2. --version on every subcommand prints what `ringsim --version` prints.
#  3. --json with a bad path: one error line, exit 2, no JSON and no result file.
#  4. --json - : stdout is one JSON document and nothing else.
#  5. A run stopped by SIGTERM writes its JSON with "partial": true, whole.
# Usage: test_output.sh RINGSIM MPIEXEC WORKDIR
set -u
ringsim=$(realpath "$1")
mpiexec=$2
work=$3
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

# header_first FILE WHAT: the header line comes before the first progress line.
header_first() {
  local header progress
  header=$(grep -n '^ringsim .* | experiment ' "$1" | head -n 1 | cut -d: -f1)
  progress=$(grep -n '^\[ringsim\] ' "$1" | head -n 1 | cut -d: -f1)
  if [ -z "$header" ] || [ -z "$progress" ]; then
    bad "$2: no header ($header) or no progress line ($progress) in: $(head -c 600 "$1")"
  elif [ "$header" -lt "$progress" ]; then
    ok "$2: header (line $header) before the first progress line (line $progress)"
  else
    bad "$2: the first progress line (line $progress) comes before the header (line $header)"
  fi
}

# ---- 1. header before progress, both streams in one file ---------------------------
# A run of a few seconds; RINGSIM_PROGRESS_SECONDS=0 prints a progress line
# after every step, so the check does not depend on how fast the machine is.
export RINGSIM_PROGRESS_SECONDS=0
timeout 300 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --out mpi.h5 \
  --set keys.count=200000 --set run.repetitions=1 >job.txt 2>&1
rc=$?
[ "$rc" -eq 0 ] || bad "mpiexec run: exit $rc: $(tail -n 5 job.txt)"
header_first job.txt "mpiexec, 2>&1 into one file"
timeout 300 "$ringsim" run --out single.h5 --set keys.count=200000 --set run.repetitions=1 \
  >single.txt 2>&1
rc=$?
[ "$rc" -eq 0 ] || bad "singleton run: exit $rc: $(tail -n 5 single.txt)"
header_first single.txt "singleton, 2>&1 into one file"
unset RINGSIM_PROGRESS_SECONDS

# ---- 2. --version everywhere --------------------------------------------------------
top=$("$ringsim" --version 2>&1)
if [ -z "$top" ]; then
  bad "ringsim --version printed nothing"
else
  for sub in run list; do
    got=$("$ringsim" "$sub" --version 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && [ "$got" = "$top" ] && ok "ringsim $sub --version: $got" ||
      bad "ringsim $sub --version: exit $rc, '$got', expected '$top'"
  done
fi

# ---- 3. --json with a bad path -------------------------------------------------------
# expect_bad NAME TEXT JSONPATH [ARGS...]
expect_bad() {
  local name=$1 text=$2 json=$3
  shift 3
  rm -f bad.h5
  timeout 120 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --out bad.h5 --quiet \
    --set keys.count=2000 --json "$json" "$@" >out.txt 2>err.txt
  local rc=$? lines
  lines=$(grep -c '^ringsim: error:' err.txt)
  if [ "$rc" -ne 2 ]; then
    bad "$name: exit $rc, expected 2 ($(cat err.txt))"
  elif [ "$lines" -ne 1 ] || ! grep -q -- "$text" err.txt; then
    bad "$name: expected one error line with '$text', got: $(cat err.txt)"
  elif [ -e bad.h5 ] || [ -e bad.partial.h5 ]; then
    bad "$name: a result file was written"
  else
    ok "$name: $(cat err.txt)"
  fi
}
expect_bad "--json into a missing folder" "folder nope does not exist" nope/x.json
expect_bad "--json naming a folder" "is a directory" .
echo old >old.json
expect_bad "--json onto an existing file" "exists; pass --force" old.json
[ "$(cat old.json)" = old ] || bad "old.json was changed"
expect_bad "--json naming the result file" "is the result file itself" bad.h5
expect_bad "--json empty" "--json is empty" ""

# ---- 4. --json - : pure JSON on stdout ----------------------------------------------
timeout 120 "$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --out stdout.h5 \
  --set keys.count=2000 --set run.repetitions=1 --json - >stdout.json 2>stderr.txt
rc=$?
if [ "$rc" -ne 0 ]; then
  bad "--json -: exit $rc: $(cat stderr.txt)"
elif "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["format"] == "ringsim-run" and d["strategies"]' stdout.json; then
  ok "--json -: stdout is one JSON document"
else
  bad "--json -: stdout is not pure JSON: $(head -c 300 stdout.json)"
fi
grep -q '^ringsim .* | experiment ' stderr.txt && ok "--json -: the header went to stderr" ||
  bad "--json -: no header on stderr: $(head -c 300 stderr.txt)"

# ---- 5. SIGTERM: the JSON of what completed, partial ---------------------------------
"$mpiexec" -q -n 2 --oversubscribe "$ringsim" run --out stop.h5 --quiet --json stop.json \
  --set keys.count=20000 --set run.repetitions=1 --inject-fault slow-event --no-warmup \
  >stop.txt 2>&1 &
launcher=$!
for _ in $(seq 600); do
  [ -e stop.partial.h5 ] && break
  sleep 0.1
done
sleep 3 # inside the first event (made 5 s longer), or before it on a loaded machine
ranks=$(pgrep -P "$launcher")
[ -n "$ranks" ] && kill -TERM $ranks
wait "$launcher"
rc=$?
[ "$rc" -eq 4 ] || bad "SIGTERM: exit $rc, expected 4: $(tail -n 3 stop.txt)"
if "$py" - stop.json <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["partial"] is True, d["partial"]
assert d["context"]["result_file"].endswith("stop.partial.h5"), d["context"]["result_file"]
rows = sum(len(s["events"]) for s in d["strategies"])
assert rows == d["run"]["events_completed"] <= 1, (rows, d["run"]["events_completed"])
PY
  ok "SIGTERM: stop.json says partial, with the events completed before the stop"
else
  bad "SIGTERM: stop.json missing or wrong"
fi
ls -a | grep -q '\.tmp\.' && bad "a temporary JSON file was left: $(ls -a)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
