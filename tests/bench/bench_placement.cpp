// Lookup cost, node add/remove cost and state size of every registered
// strategy, at several cluster sizes. Run:
//   build/tests/bench/ringsim_bench_placement --benchmark_out=results/bench_placement.json
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "registry.hpp"

namespace {

using namespace ringsim;

// The strategy on n nodes, or nullptr with the benchmark marked skipped when
// its parameters cannot serve n nodes (e.g. a Maglev table smaller than n).
std::unique_ptr<Placement> build(benchmark::State& state, std::string_view name, std::uint32_t n) {
  try {
    auto p = make_placement(StrategyParams(std::string(name)));
    std::vector<NodeSpec> nodes;
    for (NodeId i = 0; i < n; ++i) nodes.push_back({i, 1.0});
    p->init(nodes, n + 1);
    return p;
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

// ns per lookup over a fixed set of key hashes larger than L1.
void BM_Lookup(benchmark::State& state, std::string_view name) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  auto p = build(state, name, n);
  if (!p) return;
  std::vector<std::uint64_t> hashes(1 << 14);
  for (std::size_t i = 0; i < hashes.size(); ++i) hashes[i] = hash_u64(i, 7);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p->lookup(hashes[i]));
    i = (i + 1) & (hashes.size() - 1);
  }
  state.counters["state_bytes"] = static_cast<double>(p->state_bytes());
}

// Time to add one node to a cluster of n and remove it again.
void BM_AddRemove(benchmark::State& state, std::string_view name) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  auto p = build(state, name, n);
  if (!p) return;
  for (auto _ : state) {
    p->add_node({n, 1.0});
    p->remove_node(n);
  }
}

const bool registered = [] {
  for (const auto& s : strategies()) {
    benchmark::RegisterBenchmark(("lookup/" + std::string(s.name)).c_str(), BM_Lookup, s.name)
        ->Arg(10)
        ->Arg(1000)
        ->Arg(100000);
    benchmark::RegisterBenchmark(("add_remove/" + std::string(s.name)).c_str(), BM_AddRemove,
                                 s.name)
        ->Arg(10)
        ->Arg(1000);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
