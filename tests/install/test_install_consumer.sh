#!/usr/bin/env bash
# A separate CMake project (tests/install/consumer) against the installed
# prefix: find_package(ringsim) finds the installed package, links
# ringsim::core (a static library: its MPI, Boost.MPI, HDF5, toml++ and xxHash
# come through the package's find_dependency calls) and runs under mpiexec.
# Usage: test_install_consumer.sh BUILD_DIR SOURCE_DIR MPIEXEC CMAKE CONSUMER_SOURCE
source "$(dirname "$0")/lib.sh"
consumer=$5

cb=$work/consumer-build
if ! "$cmake" -S "$consumer" -B "$cb" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1; then
  cat "$work/configure.log"
  fail "the consumer does not configure against $prefix"
  finish
fi
found=$(sed -n 's/^ringsim_DIR:PATH=//p' "$cb/CMakeCache.txt")
[ "$found" = "$cmake_dir" ] || fail "find_package(ringsim) used $found, not the installed $cmake_dir"
if ! "$cmake" --build "$cb" -j2 >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"
  fail "the consumer does not build against ringsim::core"
  finish
fi
# Nothing of the build or source tree on the consumer's compile or link lines.
if grep -rqF -e "$build" -e "$src/src" "$cb/CMakeFiles/consumer.dir/flags.make" \
  "$cb/CMakeFiles/consumer.dir/link.txt"; then
  fail "the consumer's compile or link line names the ringsim build or source tree"
fi
pass "the consumer configures and builds against $cmake_dir"

cd "$work" || exit 1
run_mpi 2 "$cb/consumer" "$work/consumer.h5"
if [ "$rc" -ne 0 ] || ! grep -qF "consumer: ok" "$work/out.txt"; then
  fail "the consumer under mpiexec -n 2 exited $rc: $out $err"
elif ! /usr/bin/python3 -c "
import sys, h5py
with h5py.File(sys.argv[1], 'r') as f:
    assert int(f.attrs['partial']) == 0 and int(f.attrs['keys_count']) == 5000, dict(f.attrs)
    assert 'ring' in f['strategies'], list(f['strategies'])
" "$work/consumer.h5"; then
  fail "the consumer's result file is not a complete ringsim result"
else
  pass "the consumer runs under mpiexec -n 2: $(grep 'consumer: ok' "$work/out.txt")"
fi

finish
