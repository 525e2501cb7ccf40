#include "lock_suite.hpp"

#include <cstdio>

namespace ringsim {

std::vector<LockBenchResult> run_lock_suite(const Experiment& e, MPI_Comm comm,
                                            std::vector<int>* skipped) {
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
    for (const auto& algorithm : e.locks.algorithms) {
      for (const auto& workload : e.locks.workloads) {
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
          r = run_lock_benchmark(cfg, sub);
        }
        out.push_back(std::move(r));
      }
    }
    if (sub != MPI_COMM_NULL) MPI_Comm_free(&sub);
    MPI_Barrier(comm);  // ranks outside the sub-communicator wait here
  }
  return out;
}

}  // namespace ringsim
