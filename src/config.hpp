// Configuration structs that several stages read, apart from the stages
// themselves (so that experiment.hpp need not include any stage's header).
#pragma once

#include <cstdint>
#include <string>

namespace ringsim {

// [processing]: updates under the distributed locks between events.
struct ProcessingConfig {
  // Operations per rank per round; 0: no processing stage, except with keys
  // = "trace", where it caps the requests each rank replays per round and 0
  // replays all of the rank's share every round.
  std::uint64_t updates = 0;
  std::string lock = "mcs";  // one of lock_algorithms(), or none (lock-free increments)
  int stripes = 64;          // lock words per rank
  // Which keys the operations name (src/workload/request_dist.hpp):
  // uniform; zipf (exact Zipf over the key indices, index 0 hottest);
  // zipfian (YCSB's: exact Zipf of constant zipfian_constant, scrambled over
  // the key space); latest (zipfian over recency, the last indices hottest);
  // hotspot (hot_set_fraction of the keys get hot_opn_fraction of the
  // operations); hot (the first hot_keys keys, uniformly); trace (only with
  // keys.distribution = "file": the trace's own requests in order, each rank
  // its share, src/workload/trace_requests.hpp; get and gets are reads,
  // every other Twitter operation an update; a format without operations
  // gives updates, or reads drawn with probability `reads`).
  std::string keys = "uniform";
  double zipf_exponent = 1.1;           // keys = "zipf"
  double zipfian_constant = 0.99;       // keys = "zipfian" or "latest"
  double hot_set_fraction = 0.2;        // keys = "hotspot"
  double hot_opn_fraction = 0.8;        // keys = "hotspot"
  std::uint32_t hot_keys = 8;           // keys = "hot"
  double reads = 0.0;                   // share of operations that only read the value
  std::string transform = "increment";  // increment or double
  double work_inside_us = 0, work_outside_us = 0;
  double timeout_seconds = 30;
  // LockOptions for the lock set (used by the cohort lock): ranks per
  // artificial host (0: the real hosts) and the most consecutive hand-offs
  // of a global lock inside one host.
  int ranks_per_host = 0;
  int cohort_handoffs = 16;

  // Whether a processing stage runs between events.
  bool enabled() const { return updates > 0 || keys == "trace"; }
};

}  // namespace ringsim
