#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build in Release, and run
# the default experiment on 4 MPI ranks. Writes results/default.h5.
# Extra arguments go to `ringsim run`, e.g. scripts/quickstart.sh experiments/other.toml
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target ringsim
source scripts/mpi-env.sh

experiment=${1:-experiments/default.toml}
shift $(( $# > 0 ? 1 : 0 ))
mpirun -q -np "${RINGSIM_NP:-4}" build/ringsim run "$experiment" --force "$@"
