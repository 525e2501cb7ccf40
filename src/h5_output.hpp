// The result file: one parallel HDF5 file per run, written collectively.
// Its layout is documented in results/README.md; bump kSchemaVersion when it
// changes in a way a reader would notice.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "experiment.hpp"
#include "locks/lock_bench.hpp"
#include "runner.hpp"

namespace ringsim {

inline constexpr int kSchemaVersion = 1;

// Facts about the run that go into the root attributes.
struct RunContext {
  std::string command_line;
  std::string start_time;          // ISO 8601, UTC
  std::vector<std::string> hosts;  // one per rank
  std::string mpi_version;
};

// Collective. Writes `path` + ".tmp" and renames it to `path` only when the
// file is complete, so a failed run never leaves a partial result.
void write_result_file(const std::string& path, const Experiment& e, const RunResult& r,
                       const RunContext& ctx, MPI_Comm comm,
                       const std::vector<LockBenchResult>& locks = {});

}  // namespace ringsim
