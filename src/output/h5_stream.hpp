// The result file as a stream: one parallel HDF5 file per run, created when
// the run starts as `<out>.partial.h5` with the run's attributes, every
// event's row (with its loads and traffic) appended and flushed as soon as the
// event completes, the lock suite appended per configuration, and at the end
// marked complete and renamed to `<out>`. A file under its final name is thus
// always whole, and a run that dies (kill -9, out of memory, a node failure)
// leaves a partial file that holds every event that finished.
//
// Every HDF5 call is checked. A failure (a full disk included) is an error on
// the rank that sees it: it throws, nothing catches it, and the terminate
// handler prints one line naming the rank, the file and the cause, then
// aborts the job (exit 3) without unwinding through HDF5's collectives.
//
// The layout is documented in results/README.md; bump kSchemaVersion when it
// changes in a way a reader would notice.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "experiment.hpp"
#include "output/sink.hpp"

namespace ringsim {

inline constexpr int kSchemaVersion = 5;

// results/x.h5 -> results/x.partial.h5
std::string partial_name(const std::string& path);
// results/x.partial.h5 -> results/x.h5 (unchanged if not a partial name)
std::string complete_name(const std::string& path);

// What a partial file says about the run it holds (for --resume).
struct ResumeInfo {
  std::string experiment_text;
  std::string overrides;   // one --set per line
  std::string git_commit;  // the build that wrote it
  int ranks = 0;
  // (repetition, label) of every strategy run that completed all its events.
  std::vector<std::pair<std::uint32_t, std::string>> complete;
  std::uint64_t events_kept = 0;
};

// Collective (rank 0 reads, the result is broadcast). Throws ringsim::Error
// (on every rank) if the file is not a ringsim partial result.
ResumeInfo read_resume_info(const std::string& partial_path, MPI_Comm comm);

class H5Stream : public ResultSink {
 public:
  // Collective. Creates `partial_name(out)` (replacing a stale one), or with
  // `resume` opens it and drops the rows of the strategy runs that did not
  // complete.
  H5Stream(std::string out, const Experiment& e, const RunContext& ctx, MPI_Comm comm,
           bool resume = false);
  ~H5Stream() override;

  void begin_run(const RunStart&) override;
  void begin_strategy(const StrategyStart&) override;
  void event(const EventOutput&) override;
  void end_strategy(const StrategyResult&) override;
  void lock_result(const LockBenchResult&) override;
  void end_run(const RunEnd&) override;

  // The path of the file as it stands: the partial name until end_run of a
  // complete run renamed it.
  const std::string& path() const { return path_; }
  // Collective: closes and deletes the partial file (a run whose results
  // cannot be trusted, e.g. verification failed).
  void discard();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::string out_, path_;
};

}  // namespace ringsim
