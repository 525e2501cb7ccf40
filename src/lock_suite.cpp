#include "lock_suite.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/stop_token.hpp"

namespace ringsim {
namespace {

// Makes `r` on every rank of comm what it is on `root`.
void broadcast_result(LockBenchResult& r, int root, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string text;
  if (rank == root) text = r.algorithm + '\n' + r.workload + '\n' + r.target;
  std::uint64_t sizes[3] = {text.size(), r.per_rank_acquisitions.size(), r.per_rank_seconds.size()};
  MPI_Bcast(sizes, 3, MPI_UINT64_T, root, comm);
  text.resize(sizes[0]);
  r.per_rank_acquisitions.resize(sizes[1]);
  r.per_rank_seconds.resize(sizes[2]);
  MPI_Bcast(text.data(), static_cast<int>(sizes[0]), MPI_CHAR, root, comm);
  MPI_Bcast(r.per_rank_acquisitions.data(), static_cast<int>(sizes[1]), MPI_UINT64_T, root, comm);
  MPI_Bcast(r.per_rank_seconds.data(), static_cast<int>(sizes[2]), MPI_DOUBLE, root, comm);
  double reals[9] = {
      r.seconds,  r.acquisitions_per_second, r.latency_p50_us, r.latency_p99_us, r.latency_max_us,
      r.fairness, r.latency_p90_us,          r.fairness_cv,    r.reads};
  std::int64_t ints[8] = {r.ranks,
                          r.stripes,
                          static_cast<std::int64_t>(r.acquisitions),
                          r.counters_ok ? 1 : 0,
                          static_cast<std::int64_t>(r.read_acquisitions),
                          r.oversubscribed ? 1 : 0,
                          r.ranks_per_host,
                          r.cohort_handoffs};
  MPI_Bcast(reals, 9, MPI_DOUBLE, root, comm);
  MPI_Bcast(ints, 8, MPI_INT64_T, root, comm);
  // The latency histogram: its counts and exact min and max.
  std::vector<std::uint64_t> counts = r.latency.counts();
  double range[2] = {r.latency.min(), r.latency.max()};
  MPI_Bcast(counts.data(), static_cast<int>(counts.size()), MPI_UINT64_T, root, comm);
  MPI_Bcast(range, 2, MPI_DOUBLE, root, comm);
  if (rank != root) {
    const auto a = text.find('\n'), b = text.find('\n', a + 1);
    r.algorithm = text.substr(0, a);
    r.workload = text.substr(a + 1, b - a - 1);
    r.target = text.substr(b + 1);
    r.seconds = reals[0];
    r.acquisitions_per_second = reals[1];
    r.latency_p50_us = reals[2];
    r.latency_p99_us = reals[3];
    r.latency_max_us = reals[4];
    r.fairness = reals[5];
    r.latency_p90_us = reals[6];
    r.fairness_cv = reals[7];
    r.reads = reals[8];
    r.ranks = static_cast<int>(ints[0]);
    r.stripes = static_cast<int>(ints[1]);
    r.acquisitions = static_cast<std::uint64_t>(ints[2]);
    r.counters_ok = ints[3] != 0;
    r.read_acquisitions = static_cast<std::uint64_t>(ints[4]);
    r.write_acquisitions = r.acquisitions - r.read_acquisitions;
    r.oversubscribed = ints[5] != 0;
    r.ranks_per_host = static_cast<int>(ints[6]);
    r.cohort_handoffs = static_cast<int>(ints[7]);
    r.latency = LatencyHistogram::from_counts(std::move(counts), range[0], range[1]);
  }
}

}  // namespace

std::vector<LockBenchResult> run_lock_suite(const Experiment& e, MPI_Comm comm,
                                            std::vector<int>* skipped, StopToken* stop,
                                            std::function<void(const LockBenchResult&)> on_result) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<int> counts = e.locks.ranks.empty() ? std::vector<int>{size} : e.locks.ranks;
  std::vector<LockBenchResult> out;
  for (int k : counts) {
    if (k > size) {
      if (skipped) skipped->push_back(k);
      continue;
    }
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(comm, rank < k ? 0 : MPI_UNDEFINED, rank, &sub);
    bool stopping = false;
    for (const auto& algorithm : e.locks.algorithms) {
      for (const auto& workload : e.locks.workloads) {
        for (double reads : e.locks.reads) {
          if (!e.locks.runs_reads(workload, reads)) continue;
          // Between configurations (every rank of comm is here): a safe point.
          if (!out.empty() && stop && stop->requested()) {
            stopping = true;
            break;
          }
          LockBenchResult r;
          if (sub != MPI_COMM_NULL) {
            LockBenchConfig cfg;
            cfg.algorithm = algorithm;
            cfg.workload = workload;
            cfg.acquisitions_per_rank = e.locks.acquisitions;
            cfg.duration_seconds = e.locks.duration;
            cfg.stripes = e.locks.stripes;
            cfg.target = e.locks.target;
            cfg.timeout_seconds = e.locks.timeout;
            cfg.seed = e.keys.seed;
            cfg.reads = reads;
            cfg.ranks_per_host = e.locks.ranks_per_host;
            cfg.cohort_handoffs = e.locks.cohort_handoffs;
            r = run_lock_benchmark(cfg, sub);
          }
          // Ranks outside the sub-communicator wait here for rank 0's result.
          broadcast_result(r, 0, comm);
          if (on_result) on_result(r);
          out.push_back(std::move(r));
        }
        if (stopping) break;
      }
      if (stopping) break;
    }
    if (sub != MPI_COMM_NULL) MPI_Comm_free(&sub);
    if (stopping) break;
  }
  return out;
}

}  // namespace ringsim
