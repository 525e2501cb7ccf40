// The lock benchmark of an experiment's [locks] table: every algorithm x
// workload x rank count, each on a sub-communicator of the first k ranks.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "experiment.hpp"
#include "locks/lock_bench.hpp"

namespace ringsim {

// Collective over comm. Rank counts above the job's size are skipped and named
// in `skipped`. The results are complete on rank 0 (the first rank of every
// sub-communicator); other ranks get the same list with their own view.
std::vector<LockBenchResult> run_lock_suite(const Experiment& e, MPI_Comm comm,
                                            std::vector<int>* skipped = nullptr);

}  // namespace ringsim
