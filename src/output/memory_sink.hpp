// A sink that keeps everything in memory: each strategy run with its loads
// and this rank's traffic entries per event. For tests and for programs
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
  // [event]: this rank's entries of the rank-to-rank and node-to-node tables.
  std::vector<std::vector<TrafficRow>> rank_traffic, node_traffic;
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
    c.rank_traffic.push_back(*ev.rank_traffic);
    c.node_traffic.push_back(*ev.node_traffic);
  }
  void lock_result(const LockBenchResult& l) override { locks.push_back(l); }

  RunStart start;
  std::vector<CollectedStrategy> strategies;  // in the order they ran
  std::vector<LockBenchResult> locks;
};

}  // namespace ringsim
