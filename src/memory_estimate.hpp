// How much memory a run needs per rank, worked out from the experiment alone,
// so that a run too big for its hosts is refused before anything is
// allocated, rather than ending in std::bad_alloc (or the OOM killer) on
// every rank after a queue wait.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "experiment.hpp"

namespace ringsim {

// The peak resident memory of the busiest rank, and what it is made of. The
// parts add up to per_rank_bytes; of phases that do not overlap in time (the
// initial placement, an event's exchange, a processing round, the start-up
// calibration, reading a key trace) only the largest counts.
struct MemoryEstimate {
  std::uint64_t per_rank_bytes = 0;

  // Shard columns for the largest share of records the rank holds at any
  // point of the timeline (by weight, as the run reserves them):
  std::uint64_t keys = 0;            // key and owner (and, load-aware, primary) of one copy
  std::uint64_t values = 0;          // value_bytes of one copy
  std::uint64_t replicas = 0;        // the other replicas - 1 copies, and the replica index
  std::uint64_t shard_headroom = 0;  // the 10% the run reserves beyond the largest share
  // The largest transient phase: send and receive buffers with the per-record
  // plan of the largest event, or the batches of the initial placement.
  std::uint64_t exchange_buffers = 0;
  std::uint64_t processing = 0;  // [processing]: the window store, beyond the exchange
  // An event's arrays on their way to the result file (loads and traffic
  // sums per node, counts per rank; no term in nodes or ranks squared: the
  // traffic is stored sparse), and the event rows every rank keeps to the end.
  std::uint64_t loads_matrices = 0;
  std::uint64_t strategy_state = 0;  // the largest strategy's lookup state
  // [run] order_dependence: the shadow placement (the largest such strategy's
  // state and a membership) and the comparison's lookup batch.
  std::uint64_t order_shadow = 0;
  std::uint64_t key_trace = 0;  // keys.file: this rank's share of the distinct keys
  std::uint64_t runtime = 0;    // MPI, HDF5, the program, the start-up calibration

  std::uint64_t rank0_extra = 0;    // of loads_matrices, what rank 0 alone holds (none now)
  std::uint64_t largest_share = 0;  // records on the busiest rank at its fullest

  // "keys 1.2 GiB, values 2.3 GiB, ...": the parts that are not 0, largest first.
  std::string describe() const;
};

// `e` must have passed validate_experiment() (cluster.nodes, the timeline and
// the strategies' traits are taken from it). Any positive `ranks` may be
// asked, so as to see how the need shrinks with more ranks.
MemoryEstimate estimate_memory(const Experiment& e, int ranks);

// The memory this process may use on its host: MemTotal from /proc/meminfo,
// or the cgroup limit if smaller (cgroup v2 memory.max of this process's
// cgroup and its ancestors, e.g. a Slurm job's; or v1
// memory.limit_in_bytes). 0 if none can be read. The overload reads the
// files below `root` instead of / (for tests).
std::uint64_t host_memory_bytes();
std::uint64_t host_memory_bytes(const std::filesystem::path& root);

// The share of a host's memory a run may plan to use; the rest is left to the
// system and the MPI daemons.
inline constexpr double kUsableHostShare = 0.9;

// nullopt if `ranks_on_this_host` ranks of the run fit in kUsableHostShare of
// host_bytes (or host_bytes is 0: unknown); otherwise the one-line refusal:
// what is needed per rank and on this host, what the host has, and how many
// ranks (and hosts of this size) the run would need to fit. The same inputs
// give the same answer on every rank; hosts may differ, so reduce the verdict
// over ranks before acting on it.
std::optional<std::string> check_memory(const Experiment& e, int ranks, int ranks_on_this_host,
                                        std::uint64_t host_bytes);

// 1536 -> "1.5 KiB", 3 << 30 -> "3.0 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace ringsim
