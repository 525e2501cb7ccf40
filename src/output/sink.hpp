// Where a run's results go as they are made: the HDF5 stream, and anything
// else that wants them (tests). Every call is collective: each rank calls it
// at the same point with its own view (the rank-local arrays are its own, the
// global ones are the same everywhere).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/event_metrics.hpp"
#include "engine/host_info.hpp"
#include "engine/provenance.hpp"
#include "locks/lock_bench.hpp"
#include "runner.hpp"

namespace ringsim {

// Facts about the run that go into the root attributes.
struct RunContext {
  std::string command_line;
  std::string launcher;            // the mpirun/srun line, as far as the environment tells
  std::string start_time;          // ISO 8601, UTC
  std::vector<std::string> hosts;  // one per rank (the file keeps one per host)
  std::string mpi_version;
  Provenance provenance;  // the build, libraries, OS, hosts, environment
};

// What is known before the first strategy runs.
struct RunStart {
  const Experiment* experiment = nullptr;
  RunContext context;
  Calibration calibration;
  HostInfo host;
  // [repetition][k]: index into experiment->strategies of the k-th to run.
  std::vector<std::vector<std::uint32_t>> order;
  // The value bytes of all keys (one copy each): value_bytes x keys.count
  // for fixed sizes, else the sum of every key's size.
  std::uint64_t value_bytes_total = 0;
};

// After a strategy's initial placement.
struct StrategyStart {
  const StrategyResult* result = nullptr;  // label, params, t_initial, lookup_ns, state bytes
  const std::vector<std::uint64_t>* initial_loads = nullptr;  // keys per node, global
};

// After an event (its processing stage included).
struct EventOutput {
  const std::string* label = nullptr;
  const EventRecord* record = nullptr;
  const std::vector<std::uint64_t>* loads = nullptr;  // keys per node, global
  // This rank's entries of the sparse traffic tables (records that changed
  // rank, from this rank; records that changed node, from nodes it hosts).
  const std::vector<TrafficRow>* rank_traffic = nullptr;
  const std::vector<TrafficRow>* node_traffic = nullptr;
};

struct RunEnd {
  const RunResult* result = nullptr;
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void begin_run(const RunStart&) {}
  virtual void begin_strategy(const StrategyStart&) {}
  virtual void event(const EventOutput&) {}
  // The strategy's repetition completed all its events.
  virtual void end_strategy(const StrategyResult&) {}
  virtual void lock_result(const LockBenchResult&) {}
  virtual void end_run(const RunEnd&) {}
};

}  // namespace ringsim
