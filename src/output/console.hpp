// Human-readable tables for rank 0's stdout.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "runner.hpp"

namespace ringsim {

// The comparison of strategies (medians over repetitions), one row per
// strategy that ran, in the experiment's order: the console's comparison
// table and the --json summary.
struct ComparisonRow {
  std::string label;
  double keys_moved = 0;          // summed over the events
  double moved_over_min = 0;      // keys_moved / the sum of keys_min
  double worst_disruption = 0;    // max over events of moved / min
  double worst_peak_to_mean = 0;  // max over events of load_peak_to_mean
  double migrate_seconds = 0;     // t_migrate summed over events
  std::uint64_t state_bytes = 0;  // strategy state after the last event
};
std::vector<ComparisonRow> comparison_rows(const Experiment& e, const RunResult& r);

void print_header(std::ostream& os, const Experiment& e, int ranks);
// One table per strategy (a row per event), then a comparison of strategies.
void print_report(std::ostream& os, const Experiment& e, const RunResult& r);

}  // namespace ringsim
