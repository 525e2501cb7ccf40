// Lock benchmark: every rank acquires and releases locks of one RmaLockSet in
// a loop and times each acquire.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/histogram.hpp"

namespace ringsim {

// Workloads (what happens per acquisition):
//   empty          acquire, release: an empty critical section.
//   remote-access  inside: MPI_Get + flush, MPI_Put + flush of one 8-byte
//                  counter on the lock's owner (a read-modify-write; the
//                  counters are checked at the end).
//   work           inside: a local counter increment plus a random 1-4 us busy spin.
//   wait-after     empty critical section, then a random 1-10 us wait after release.
//   uncontended    each rank locks only its own lock (own rank, stripe 0):
//                  the cost of a lock nobody else wants (targets ignored).
struct LockBenchConfig {
  std::string algorithm = "mcs";
  std::string workload = "empty";
  // Fixed count per rank if > 0; otherwise every rank runs for duration_seconds.
  std::uint64_t acquisitions_per_rank = 1000;
  double duration_seconds = 0;
  int stripes = 1;
  // "hot": every rank takes lock (hot_owner, 0), maximum contention.
  // "random": each acquisition takes a uniformly random (owner, stripe).
  std::string target = "hot";
  int hot_owner = 0;
  double timeout_seconds = 30;
  std::uint64_t seed = 1;
};

struct LockBenchResult {
  std::string algorithm, workload, target;
  int ranks = 1;
  int stripes = 1;
  std::uint64_t acquisitions = 0;  // over all ranks
  double seconds = 0;              // max over ranks, from a common barrier
  double acquisitions_per_second = 0;
  // acquire() calls of all ranks: p50 and p99 by the rule of histogram.hpp
  // from `latency`, the maximum exact.
  double latency_p50_us = 0, latency_p99_us = 0, latency_max_us = 0;
  // The merged histogram of every acquire() call's latency in microseconds
  // (latency.counts(): LatencyHistogram::kBuckets counts in the layout of
  // histogram.hpp; latency.min(), latency.max() exact).
  LatencyHistogram latency;
  std::vector<std::uint64_t> per_rank_acquisitions;
  std::vector<double> per_rank_seconds;
  // Fixed count: (slowest - fastest rank's completion time) / slowest.
  // Fixed duration: max / min acquisitions over ranks.
  double fairness = 0;
  bool counters_ok = true;  // remote-access: sum of counters == acquisitions
};

// Collective over comm; every rank returns the same result. Throws
// ringsim::Error (on every rank) for a bad configuration.
LockBenchResult run_lock_benchmark(const LockBenchConfig& config, MPI_Comm comm);

// A human table, one row per result.
void print_lock_table(std::ostream& os, const std::vector<LockBenchResult>& results);

}  // namespace ringsim
