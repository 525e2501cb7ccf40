#!/usr/bin/env bash
# Command 2 of the README: install what is missing, build, and run every test:
# unit tests, MPI tests at 1, 2 and 4 ranks, the command-line tests, then the
# unit tests again in an AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRINGSIM_SANITIZE=ON \
  -DRINGSIM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target ringsim_unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs"
