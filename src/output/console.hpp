// Human-readable tables for rank 0's stdout.
#pragma once

#include <iosfwd>

#include "experiment.hpp"
#include "runner.hpp"

namespace ringsim {

void print_header(std::ostream& os, const Experiment& e, int ranks);
// One table per strategy (a row per event), then a comparison of strategies.
void print_report(std::ostream& os, const Experiment& e, const RunResult& r);

}  // namespace ringsim
