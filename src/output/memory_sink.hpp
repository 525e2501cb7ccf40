// A sink that keeps everything in memory: each strategy run with its loads,
// rank-to-rank bytes and node matrix per event. For tests and for programs
// that use ringsim_core as a library on small runs; the HDF5 stream is what
// the ringsim command uses.
#pragma once

#include <cstdint>
#include <vector>

#include "output/sink.hpp"

namespace ringsim {

struct CollectedStrategy : StrategyResult {
  std::vector<std::uint64_t> initial_loads;       // keys per node after the initial placement
  std::vector<std::vector<std::uint64_t>> loads;  // [event][node]
  // [event][rank]: bytes this rank sent to each rank (its row of the matrix).
  std::vector<std::vector<std::uint64_t>> bytes_to_rank;
  // [event][from * nodes + to]: keys moved between nodes, on rank 0 only and
  // only when nodes <= run.node_matrix_max.
  std::vector<std::vector<std::uint64_t>> node_moves;
};

class MemorySink : public ResultSink {
 public:
  void begin_run(const RunStart& s) override { start = s; }
  void begin_strategy(const StrategyStart& s) override {
    CollectedStrategy c;
    static_cast<StrategyResult&>(c) = *s.result;
    c.initial_loads = *s.initial_loads;
    strategies.push_back(std::move(c));
  }
  void event(const EventOutput& ev) override {
    CollectedStrategy& c = strategies.back();
    c.events.push_back(*ev.record);
    c.loads.push_back(*ev.loads);
    c.bytes_to_rank.push_back(*ev.bytes_to_rank);
    if (ev.node_moves) c.node_moves.push_back(*ev.node_moves);
  }
  void lock_result(const LockBenchResult& l) override { locks.push_back(l); }

  RunStart start;
  std::vector<CollectedStrategy> strategies;  // in the order they ran
  std::vector<LockBenchResult> locks;
};

}  // namespace ringsim
