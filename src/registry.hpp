// The single table of placement strategies.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "placement.hpp"

namespace ringsim {

struct StrategyInfo {
  std::string_view name;
  std::string_view summary;     // one line, with the paper it follows
  std::string_view parameters;  // one line: name=default (meaning), ...
  PlacementFactory make;
};

std::span<const StrategyInfo> strategies();
const StrategyInfo* find_strategy(std::string_view name);

// Builds a strategy from its parameters; throws ringsim::Error for an unknown
// name, a bad value or a parameter the strategy does not know.
std::unique_ptr<Placement> make_placement(StrategyParams params);

}  // namespace ringsim
