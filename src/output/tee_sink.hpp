// Several sinks as one: every call goes to each, in the order given (all are
// collective, so every rank calls them in the same order).
#pragma once

#include <initializer_list>
#include <vector>

#include "output/sink.hpp"

namespace ringsim {

class TeeSink : public ResultSink {
 public:
  TeeSink(std::initializer_list<ResultSink*> sinks) {
    for (ResultSink* s : sinks)
      if (s) sinks_.push_back(s);
  }
  void begin_run(const RunStart& s) override {
    for (auto* k : sinks_) k->begin_run(s);
  }
  void begin_strategy(const StrategyStart& s) override {
    for (auto* k : sinks_) k->begin_strategy(s);
  }
  void event(const EventOutput& e) override {
    for (auto* k : sinks_) k->event(e);
  }
  void end_strategy(const StrategyResult& r) override {
    for (auto* k : sinks_) k->end_strategy(r);
  }
  void lock_result(const LockBenchResult& l) override {
    for (auto* k : sinks_) k->lock_result(l);
  }
  void end_run(const RunEnd& e) override {
    for (auto* k : sinks_) k->end_run(e);
  }

 private:
  std::vector<ResultSink*> sinks_;
};

}  // namespace ringsim
