// The lock benchmark of an experiment's [locks] table: every algorithm x
// workload x read fraction x rank count (read fractions other than 0 only on
// locks.reads_workloads, when given), each on a sub-communicator of the first
// k ranks.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "locks/lock_bench.hpp"

namespace ringsim {

class StopToken;

// Collective over comm. Rank counts above the job's size are skipped and named
// in `skipped`. Every rank gets the same results (each is broadcast from rank
// 0, the first rank of every sub-communicator, after its configuration), in
// the order algorithm x workload x reads within each rank count.
// `on_result`, if set, is called on every rank, collectively, right after each
// configuration completes, with that configuration's result (so that it can
// be streamed out before the next one starts).
// `stop` (may be null) is asked, collectively, between configurations; once
// it says stop the suite returns what completed (stop->stopped() tells).
std::vector<LockBenchResult> run_lock_suite(
    const Experiment& e, MPI_Comm comm, std::vector<int>* skipped = nullptr,
    StopToken* stop = nullptr, std::function<void(const LockBenchResult&)> on_result = {});

}  // namespace ringsim
