// `ringsim run --json FILE` (or `-` for stdout): one JSON document per run
// with the context (date, hosts, build, library versions, launcher, the
// experiment, the result file) and a summary per strategy and event (the
// figures of the console tables), the lock suite's rows, and whether the run
// was stopped early. results/run.schema.json describes it.
//
// Only rank 0 writes, at end_run: a file goes to a temporary name in the same
// folder and is renamed, so it appears under its final name whole. Non-finite
// numbers (an infinite disruption ratio, the NaN of a figure not measured)
// are written as null. `ringsim list --json` (list_json) is described by
// results/list.schema.json.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "experiment.hpp"
#include "output/sink.hpp"

namespace ringsim {

inline constexpr int kJsonFormatVersion = 1;

// Rank 0, before any work: throws ringsim::Error with a one-line message if
// `path` cannot be written (its folder missing or not writable, a folder,
// an existing file without `force`, or the same path as `result_path`).
// "-" (stdout) always passes.
void check_json_path(const std::string& path, bool force, const std::string& result_path);

class JsonSink : public ResultSink {
 public:
  // `result_file` is asked at end_run (after the HDF5 stream renamed its file)
  // for the path to record.
  JsonSink(std::string path, const Experiment& e, const RunContext& ctx, MPI_Comm comm,
           std::function<std::string()> result_file);
  void begin_run(const RunStart&) override;
  void lock_result(const LockBenchResult&) override;
  void end_run(const RunEnd&) override;

 private:
  std::string path_;
  const Experiment* e_;
  RunContext ctx_;
  int rank_ = 0;
  std::function<std::string()> result_file_;
  HostInfo host_;
  std::vector<LockBenchResult> locks_;
};

// One parameter of a strategy, from the registry's description
// ("name=default (meaning), ...").
struct ParameterInfo {
  std::string name, type, default_value, meaning;  // type: integer, number or string
};
std::vector<ParameterInfo> parse_parameters(std::string_view description);

// The `ringsim list --json` document.
std::string list_json();

}  // namespace ringsim
