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

// Workloads (what happens per acquisition), the set of Schmid, Besta, Hoefler,
// "High-Performance Distributed RMA Locks" (HPDC 2016), sec. 6:
//   empty          acquire, release: an empty critical section (the paper's
//                  empty-critical-section benchmark, ECSB).
//   remote-access  inside: one access of an 8-byte counter on the lock's
//                  owner (the paper's single-operation benchmark, SOB): a
//                  write MPI_Gets it + flush, then MPI_Puts it + 1 + flush (a
//                  read-modify-write; the counters are checked at the end); a
//                  read only MPI_Gets it + flush.
//   work           inside: a local counter increment plus a random 1-4 us busy
//                  spin (the paper's workload-critical-section benchmark, WCSB).
//   wait-after     empty critical section, then a random 1-10 us wait after
//                  release (the paper's wait-after-release benchmark, WARB).
//   uncontended    each rank locks only its own lock (own rank, stripe 0): the
//                  cost of a lock nobody else wants (targets ignored; the
//                  paper's latency of an uncontended lock).
// Reader-writer mixes: each acquisition is a read (acquire_shared /
// release_shared) with probability `reads`, drawn per acquisition from the
// seed and the rank; otherwise a write (acquire / release). Under an exclusive
// algorithm (shares_readers() false) a read is as exclusive as a write.
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
  // Fraction of acquisitions taken in shared (read) mode, in [0, 1].
  double reads = 0;
  // LockOptions for make_lock_set (cohort: host grouping, hand-off bound).
  int ranks_per_host = 0;
  int cohort_handoffs = 16;
};

struct LockBenchResult {
  std::string algorithm, workload, target;
  int ranks = 1;
  int stripes = 1;
  double reads = 0;                              // the configured read fraction
  int ranks_per_host = 0, cohort_handoffs = 16;  // the LockOptions used
  std::uint64_t acquisitions = 0;                // over all ranks: reads + writes
  std::uint64_t read_acquisitions = 0;           // taken in shared mode
  std::uint64_t write_acquisitions = 0;
  double seconds = 0;                  // max over ranks, from a common barrier
  double acquisitions_per_second = 0;  // acquisitions / seconds
  // acquire() and acquire_shared() calls of all ranks: percentiles by the rule
  // of histogram.hpp from `latency`, the maximum exact.
  double latency_p50_us = 0, latency_p90_us = 0, latency_p99_us = 0, latency_max_us = 0;
  // The merged histogram of every acquire call's latency in microseconds
  // (latency.counts(): LatencyHistogram::kBuckets counts in the layout of
  // histogram.hpp; latency.min(), latency.max() exact).
  LatencyHistogram latency;
  std::vector<std::uint64_t> per_rank_acquisitions;
  std::vector<double> per_rank_seconds;
  // Fairness from the per-rank acquisition rates, rate_i = acquisitions_i /
  // seconds_i (the same meaning for fixed-count and fixed-duration runs):
  //   fairness     max / min of the rates (1 = perfectly fair; infinite if
  //                some rank completed nothing);
  //   fairness_cv  coefficient of variation of the rates, population standard
  //                deviation / mean (0 = perfectly fair).
  double fairness = 0, fairness_cv = 0;
  // Some host of the benchmark's communicator had more ranks than hardware
  // threads (host_info.hpp): the figures are not per-core figures.
  bool oversubscribed = false;
  bool counters_ok = true;  // remote-access: sum of counters == write acquisitions
};

// The fairness figures above from per-rank counts and seconds (same length).
void lock_fairness(const std::vector<std::uint64_t>& acquisitions,
                   const std::vector<double>& seconds, double& max_over_min, double& cv);

// Collective over comm; every rank returns the same result. Throws
// ringsim::Error (on every rank) for a bad configuration.
LockBenchResult run_lock_benchmark(const LockBenchConfig& config, MPI_Comm comm);

// A human table, one row per result.
void print_lock_table(std::ostream& os, const std::vector<LockBenchResult>& results);

}  // namespace ringsim
