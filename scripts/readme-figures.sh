#!/usr/bin/env bash
# Regenerates the figures README.md shows, from bundled experiments, into
# results/samples/ (and the full comparisons into results/compare/<name>/).
#
#   scripts/readme-figures.sh [ranks]     # default 4 ranks; needs build/ringsim
#
# Each experiment runs with the repetitions its file asks for, so the figures
# show medians and interquartile ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi-env.sh
ranks=${1:-4}
py=/usr/bin/python3
mkdir -p results/samples

run() { # name, then extra ringsim options
  local name=$1
  shift
  mpirun -q -np "$ranks" build/ringsim run "experiments/$name.toml" --force --quiet \
    -o "results/$name.h5" "$@"
  "$py" -m analysis compare "results/$name.h5" --out "results/compare/$name" >/dev/null
}

run scale-out
cp results/compare/scale-out/moved_fraction_vs_nodes.png results/samples/moved_fraction_scale_out.png
run default --set run.repetitions=5
cp results/compare/default/disruption_vs_nodes.png results/samples/disruption_default.png
cp results/compare/default/migration_time_vs_keys.png results/samples/migration_time_default.png
run weighted
cp results/compare/weighted/load_vs_weight.png results/samples/load_vs_weight.png
run failures-r2
cp results/compare/failures-r2/failures.png results/samples/failures_r2.png
run churn
cp results/compare/churn/timeline.png results/samples/timeline_churn.png
echo "readme-figures: results/samples/ regenerated with $ranks ranks"
ls -1 results/samples/
