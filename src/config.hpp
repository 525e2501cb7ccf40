// Configuration structs that several stages read, apart from the stages
// themselves (so that experiment.hpp need not include any stage's header).
#pragma once

#include <cstdint>
#include <string>

namespace ringsim {

// [processing]: updates under the distributed locks between events.
struct ProcessingConfig {
  std::uint64_t updates = 0;            // per rank per round; 0: no processing stage
  std::string lock = "mcs";             // one of lock_algorithms(), or none (lock-free increments)
  int stripes = 64;                     // lock words per rank
  std::string keys = "uniform";         // uniform, zipf or hot
  double zipf_exponent = 1.1;           // keys = "zipf"
  std::uint32_t hot_keys = 8;           // keys = "hot"
  double reads = 0.0;                   // share of updates that only read the value
  std::string transform = "increment";  // increment or double
  double work_inside_us = 0, work_outside_us = 0;
  double timeout_seconds = 30;
  // LockOptions for the lock set (used by the cohort lock): ranks per
  // artificial host (0: the real hosts) and the most consecutive hand-offs
  // of a global lock inside one host.
  int ranks_per_host = 0;
  int cohort_handoffs = 16;
};

}  // namespace ringsim
