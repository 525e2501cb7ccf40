// Lookup cost, node add/remove cost and state size of every registered
// strategy, at several cluster sizes. `cmake --build <dir> --target bench`
// runs it with 5 repetitions and writes the medians to
// results/bench_placement.json; tests/bench/README.md describes the names.
//
// Benchmarks (N: initial active nodes; node ids are 0..N-1):
//   lookup/<variant>/<N>                  N = 10, 1000, 100000
//   lookup_removed/<variant>/<N>/<pct>    N initial nodes, pct % of them removed
//                                         (pseudo-random, fixed seed); only
//                                         strategies with Removal::kAny
//   lookup_nearly_empty/<variant>/<N>/<left>
//                                         N = 100000 initial nodes, all but 50
//                                         removed; memento, anchor, dx
//   add/<variant>/<N>, remove/<variant>/<N>, add_remove/<variant>/<N>
//                                         N = 10, 1000
//   event_join/<variant>/<batched|one_by_one>, event_leave/...
//                                         one event of 100 nodes at N = 100000
//                                         for ring, maglev, bounded, multiprobe,
//                                         anchor, memento, dx
// A variant is a registered strategy with its default parameters, or one of
// the extra parameter sets in kExtraVariants (e.g. ring with 100 vnodes).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "registry.hpp"

namespace {

using namespace ringsim;

// --- what is built --------------------------------------------------------

struct Variant {
  std::string label;     // benchmark name component
  std::string strategy;  // registry name
  std::vector<std::pair<std::string, std::int64_t>> params;
};

// Parameter sets measured besides every strategy's defaults.
const std::vector<Variant>& extra_variants() {
  static const std::vector<Variant> v{
      {"ring_vnodes100", "ring", {{"vnodes", 100}}},
  };
  return v;
}

bool is_prime(std::uint64_t x) {
  if (x < 2) return false;
  for (std::uint64_t d = 2; d * d <= x; ++d)
    if (x % d == 0) return false;
  return true;
}

// Parameters a strategy needs to serve `max_nodes` nodes when its default
// cannot, keyed by registry name. Only parameters the variant does not set.
const std::vector<std::pair<std::string, std::function<void(StrategyParams&, std::uint32_t)>>>&
overrides() {
  static const std::vector<
      std::pair<std::string, std::function<void(StrategyParams&, std::uint32_t)>>>
      o{
          // Default table_size 65537; the paper wants table_size >> N, we take
          // the smallest prime >= 2N once the default is smaller than that.
          {"maglev",
           [](StrategyParams& p, std::uint32_t max_nodes) {
             const std::uint64_t want = 2 * std::uint64_t{max_nodes};
             if (p.has("table_size") || want <= 65537) return;
             std::uint64_t m = want;
             while (!is_prime(m)) ++m;
             p.set("table_size", static_cast<std::int64_t>(m));
           }},
      };
  return o;
}

// Deterministic pseudo-random choice of `count` distinct ids below n (a
// Fisher-Yates prefix driven by splitmix64 with a fixed seed).
std::vector<NodeId> removal_order(std::uint32_t n, std::uint32_t count) {
  std::vector<NodeId> ids(n);
  for (NodeId i = 0; i < n; ++i) ids[i] = i;
  std::uint64_t s = 0x72656d6f76616cULL;  // "removal"
  for (std::uint32_t i = 0; i < count; ++i) {
    s = mix64(s + 0x9e3779b97f4a7c15ULL);
    const auto j = i + static_cast<std::uint32_t>(s % (n - i));
    std::swap(ids[i], ids[j]);
  }
  ids.resize(count);
  return ids;
}

// The variant on nodes 0..n-1 with `removed` of them removed again. Every id
// ever used is below max_nodes, so strategies with a capacity parameter (0:
// cluster.nodes) get capacity max_nodes and removed nodes stay within it.
std::unique_ptr<Placement> build(const Variant& v, std::uint32_t n, std::uint32_t removed,
                                 std::uint32_t max_nodes) {
  StrategyParams params(v.strategy);
  for (const auto& [key, value] : v.params) params.set(key, value);
  for (const auto& [name, apply] : overrides())
    if (name == v.strategy) apply(params, max_nodes);
  auto p = make_placement(params);
  std::vector<NodeSpec> nodes;
  for (NodeId i = 0; i < n; ++i) nodes.push_back({i, 1.0});
  p->init(nodes, max_nodes);
  for (NodeId id : removal_order(n, removed)) p->remove_node(id);
  return p;
}

// Google Benchmark calls a benchmark function several times (to find the
// iteration count, then once per repetition). Lookups do not change the state,
// so the last state built is reused: this keeps e.g. ring at N = 100000 (16M
// points) from being rebuilt a dozen times.
const Placement* cached_build(benchmark::State& state, const Variant& v, std::uint32_t n,
                              std::uint32_t removed) {
  static std::string key;
  static std::unique_ptr<Placement> cached;
  const std::string k = v.label + "/" + std::to_string(n) + "/" + std::to_string(removed);
  if (k != key || !cached) {
    cached.reset();
    key.clear();
    try {
      cached = build(v, n, removed, n);
      key = k;
    } catch (const Error& e) {
      state.SkipWithError(e.what());
      return nullptr;
    }
  }
  return cached.get();
}

// --- lookups --------------------------------------------------------------

// Key hashes: 2^14 x 8 bytes = 128 KiB, more than L1d (48 KiB per core here)
// so that the keys are not all cached next to the state, and a power of two
// so that the index wraps with a mask.
const std::vector<std::uint64_t>& key_hashes() {
  static const std::vector<std::uint64_t> h = [] {
    std::vector<std::uint64_t> out(std::size_t{1} << 14);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = hash_u64(i, 7);
    return out;
  }();
  return h;
}

// ns per lookup (throughput: consecutive lookups are independent, so the CPU
// may overlap them, as in any loop over keys). Each iteration is one batch of
// kLookupBatch lookups through lookup_many(), the path the simulator's plan phase
// takes (one virtual call per batch); the counter ns_per_lookup divides the
// batch time by kLookupBatch, and compare_reference.py reads it.
constexpr std::size_t kLookupBatch = 256;

void run_lookups(benchmark::State& state, const Placement& p) {
  const std::vector<std::uint64_t>& hashes = key_hashes();
  const std::size_t batches = hashes.size() / kLookupBatch;
  NodeId out[kLookupBatch];
  std::size_t b = 0;
  for (auto _ : state) {
    p.lookup_many({hashes.data() + b * kLookupBatch, kLookupBatch}, out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    b = b + 1 == batches ? 0 : b + 1;
  }
  state.counters["state_bytes"] = static_cast<double>(p.state_bytes());
  state.counters["ns_per_lookup"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kLookupBatch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Lookup(benchmark::State& state, const Variant& v) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  if (const Placement* p = cached_build(state, v, n, 0)) run_lookups(state, *p);
}

void BM_LookupRemoved(benchmark::State& state, const Variant& v) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const auto removed = static_cast<std::uint32_t>(std::uint64_t{n} * state.range(1) / 100);
  if (const Placement* p = cached_build(state, v, n, removed)) run_lookups(state, *p);
}

// Near-total removal: N initial nodes of which all but `remaining` are
// removed (pseudo-random order, fixed seed). MementoHash's replacement chains
// grow as nodes leave, so this is its worst case.
void BM_LookupNearlyEmpty(benchmark::State& state, const Variant& v) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const auto remaining = static_cast<std::uint32_t>(state.range(1));
  if (const Placement* p = cached_build(state, v, n, n - remaining)) run_lookups(state, *p);
}

// The lookup ring used before its bucket table (std::lower_bound over the
// sorted positions), on the same points as ring with vnodes = 100, so that
// every run shows the two side by side. Must match ring.cpp's point hashes.
class LowerBoundRing final : public PlacementBase<LowerBoundRing> {
 public:
  explicit LowerBoundRing(std::uint32_t n) {
    constexpr std::uint64_t kPointSeed = 0x72696e6770746e73ULL;  // ring.cpp's
    std::vector<std::pair<std::uint64_t, NodeId>> pts;
    for (NodeId id = 0; id < n; ++id)
      for (std::uint64_t r = 0; r < 100; ++r) pts.emplace_back(hash_pair(id, r, kPointSeed), id);
    std::sort(pts.begin(), pts.end());
    positions_.reserve(pts.size());
    owners_.reserve(pts.size());
    for (const auto& [pos, owner] : pts) {
      positions_.push_back(pos);
      owners_.push_back(owner);
    }
  }
  NodeId lookup(std::uint64_t key_hash) const override {
    auto it = std::lower_bound(positions_.begin(), positions_.end(), key_hash);
    const std::size_t i =
        it == positions_.end() ? 0 : static_cast<std::size_t>(it - positions_.begin());
    return owners_[i];
  }
  void add_node(const NodeSpec&) override {}
  void remove_node(NodeId) override {}
  std::size_t state_bytes() const override {
    return positions_.capacity() * sizeof(std::uint64_t) + owners_.capacity() * sizeof(NodeId);
  }
  PlacementTraits traits() const override { return {}; }

 private:
  std::vector<std::uint64_t> positions_;
  std::vector<NodeId> owners_;
};

void BM_LookupLowerBoundRing(benchmark::State& state) {
  static std::unique_ptr<Placement> p;  // built once, as in cached_build
  static std::uint32_t built_for = 0;
  const auto n = static_cast<std::uint32_t>(state.range(0));
  if (!p || built_for != n) {
    p = std::make_unique<LowerBoundRing>(n);
    built_for = n;
  }
  run_lookups(state, *p);
}

// --- membership changes ---------------------------------------------------
//
// Adding or removing a node changes the state, so one of them cannot be timed
// alone without undoing it. Three measurements:
//   add_remove: add node N and remove it again, both timed by the library's
//               own timer: the sum of the two, the least noisy figure.
//   add, remove: per iteration, kBatch nodes N..N+kBatch-1 are added and then
//               removed in reverse order (the last added first, so LIFO
//               strategies such as jump take part). Only the adds, or only
//               the removes, are timed, by one steady_clock pair around the
//               whole batch, reported as manual time: real_time is per batch
//               and the counter ns_per_op per operation. PauseTiming and
//               ResumeTiming around every operation would cost more than many
//               of the operations themselves; the clock pair costs ~20-40 ns
//               per batch, 1-3 ns per operation, the bias of ns_per_op.
constexpr std::uint32_t kBatch = 16;

std::unique_ptr<Placement> build_for_changes(benchmark::State& state, const Variant& v,
                                             std::uint32_t n) {
  try {
    return build(v, n, 0, n + kBatch);
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

void BM_AddRemove(benchmark::State& state, const Variant& v) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  auto p = build_for_changes(state, v, n);
  if (!p) return;
  for (auto _ : state) {
    p->add_node({n, 1.0});
    p->remove_node(n);
  }
  state.counters["state_bytes"] = static_cast<double>(p->state_bytes());
}

template <bool kTimeAdds>
void BM_AddOrRemove(benchmark::State& state, const Variant& v) {
  using Clock = std::chrono::steady_clock;
  const auto n = static_cast<std::uint32_t>(state.range(0));
  auto p = build_for_changes(state, v, n);
  if (!p) return;
  double total_ns = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (NodeId id = n; id < n + kBatch; ++id) p->add_node({id, 1.0});
    const auto t1 = Clock::now();
    for (NodeId id = n + kBatch; id-- > n;) p->remove_node(id);
    const auto t2 = Clock::now();
    const std::chrono::duration<double> timed = kTimeAdds ? t1 - t0 : t2 - t1;
    state.SetIterationTime(timed.count());
    total_ns += timed.count() * 1e9;
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(total_ns / kBatch, benchmark::Counter::kAvgIterations);
}

// --- one event at scale: batched vs one by one ----------------------------
//
// event_join/<variant>/<batched|one_by_one>, event_leave/...: the update of
// the strategy for one event of kEventNodes nodes at kEventN active nodes,
// the cost the simulator pays per event (Cluster::apply). The join adds
// nodes kEventN..kEventN+99 in ascending order, the leave removes them again
// most recently joined first (the runner's order). "batched" is one
// add_nodes / remove_nodes call, "one_by_one" the loop of add_node /
// remove_node the runner made before batches existed. Each iteration times
// only its half of the join-leave pair by one steady_clock pair (manual time)
// and undoes it with a batched call, which restores the state exactly, so
// the strategy is built once per variant and kept across repetitions. One
// iteration per repetition (a one-by-one maglev event takes tens of
// seconds); the medians over the repetitions are the figures.
constexpr std::uint32_t kEventN = 100000;
constexpr std::uint32_t kEventNodes = 100;
constexpr int kEventRepetitions = 5;
constexpr int kEventRepetitionsOneByOne = 3;

// The smallest prime above 10 x the node count (Maglev wants table_size >> N).
std::int64_t maglev_table_for(std::uint32_t max_nodes) {
  std::uint64_t m = 10 * std::uint64_t{max_nodes} + 1;
  while (!is_prime(m)) ++m;
  return static_cast<std::int64_t>(m);
}

const std::vector<Variant>& event_variants() {
  static const std::vector<Variant> v{
      {"ring_vnodes100", "ring", {{"vnodes", 100}}},
      {"maglev", "maglev", {{"table_size", maglev_table_for(kEventN + kEventNodes)}}},
      {"bounded", "bounded", {}},
      {"multiprobe", "multiprobe", {}},
      {"anchor", "anchor", {}},
      {"memento", "memento", {}},
      {"dx", "dx", {}},
  };
  return v;
}

// The variant on kEventN nodes, built once and kept (see above).
Placement* event_build(benchmark::State& state, const Variant& v) {
  static std::string key;
  static std::unique_ptr<Placement> cached;
  if (key != v.label || !cached) {
    cached.reset();
    key.clear();
    try {
      cached = build(v, kEventN, 0, kEventN + kEventNodes);
      key = v.label;
    } catch (const Error& e) {
      state.SkipWithError(e.what());
      return nullptr;
    }
  }
  return cached.get();
}

template <bool kJoin, bool kBatched>
void BM_Event(benchmark::State& state, const Variant& v) {
  using Clock = std::chrono::steady_clock;
  Placement* p = event_build(state, v);
  if (!p) return;
  std::vector<NodeSpec> joining;
  for (NodeId id = kEventN; id < kEventN + kEventNodes; ++id) joining.push_back({id, 1.0});
  std::vector<NodeId> leaving;
  for (NodeId id = kEventN + kEventNodes; id-- > kEventN;) leaving.push_back(id);
  for (auto _ : state) {
    Clock::time_point t0, t1;
    if (kJoin) {
      t0 = Clock::now();
      if (kBatched) {
        p->add_nodes(joining);
      } else {
        for (const auto& n : joining) p->add_node(n);
      }
      t1 = Clock::now();
      p->remove_nodes(leaving);
    } else {
      p->add_nodes(joining);
      t0 = Clock::now();
      if (kBatched) {
        p->remove_nodes(leaving);
      } else {
        for (NodeId n : leaving) p->remove_node(n);
      }
      t1 = Clock::now();
    }
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["state_bytes"] = static_cast<double>(p->state_bytes());
}

void register_event_benchmarks() {
  for (const Variant& v : event_variants()) {
    for (const bool join : {true, false}) {
      for (const bool batched : {true, false}) {
        const std::string name = std::string(join ? "event_join/" : "event_leave/") + v.label +
                                 (batched ? "/batched" : "/one_by_one");
        auto* fn = join ? (batched ? BM_Event<true, true> : BM_Event<true, false>)
                        : (batched ? BM_Event<false, true> : BM_Event<false, false>);
        benchmark::RegisterBenchmark(name.c_str(), fn, std::cref(v))
            ->Iterations(1)
            ->Repetitions(batched ? kEventRepetitions : kEventRepetitionsOneByOne)
            ->ReportAggregatesOnly(true)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

// --- registration ---------------------------------------------------------

// Every lookup case runs for at least this long per repetition. Slow
// strategies at N = 100000 (rendezvous is O(N) per key) then do a few hundred
// iterations, so even they stay within a second or two over 5 repetitions.
constexpr double kMinTime = 0.1;
// Membership changes: add and remove count only the timed half of each
// iteration (manual time), so they run at least twice as long as this.
constexpr double kMinTimeChanges = 0.05;

const bool registered = [] {
  static std::vector<Variant> variants;
  for (const auto& s : strategies())
    variants.push_back({std::string(s.name), std::string(s.name), {}});
  for (const auto& v : extra_variants()) variants.push_back(v);

  for (const Variant& v : variants) {
    benchmark::RegisterBenchmark(("lookup/" + v.label).c_str(), BM_Lookup, std::cref(v))
        ->Arg(10)
        ->Arg(1000)
        ->Arg(100000)
        ->MinTime(kMinTime);
  }
  benchmark::RegisterBenchmark("lookup/ring_vnodes100_lower_bound", BM_LookupLowerBoundRing)
      ->Arg(1000)
      ->MinTime(kMinTime);
  for (const Variant& v : variants) {
    // Only strategies where any node may leave; capacity 0 means max_nodes.
    bool any_removal = false;
    try {
      any_removal = build(v, 2, 0, 2)->traits().removal == Removal::kAny;
    } catch (const Error&) {
    }
    if (!any_removal) continue;
    // N = 2000 with half removed leaves the 1000 nodes of the N = 1000
    // lookups; for anchor (capacity = max_nodes = 2N) and memento this is the
    // "half removed" case of the reference figures.
    benchmark::RegisterBenchmark(("lookup_removed/" + v.label).c_str(), BM_LookupRemoved,
                                 std::cref(v))
        ->Args({1000, 10})
        ->Args({1000, 50})
        ->Args({2000, 50})
        ->MinTime(kMinTime);
  }
  // Strategies whose removals are O(1) each, so that removing 99,950 of
  // 100,000 nodes is quick to build: all but 0.05 % of the nodes removed.
  static const std::vector<Variant> nearly_empty{
      {"memento", "memento", {}}, {"anchor", "anchor", {}}, {"dx", "dx", {}}};
  for (const Variant& v : nearly_empty) {
    benchmark::RegisterBenchmark(("lookup_nearly_empty/" + v.label).c_str(), BM_LookupNearlyEmpty,
                                 std::cref(v))
        ->Args({100000, 50})
        ->MinTime(kMinTime);
  }
  for (const Variant& v : variants) {
    benchmark::RegisterBenchmark(("add/" + v.label).c_str(), BM_AddOrRemove<true>, std::cref(v))
        ->Arg(10)
        ->Arg(1000)
        ->UseManualTime()
        ->MinTime(kMinTimeChanges);
    benchmark::RegisterBenchmark(("remove/" + v.label).c_str(), BM_AddOrRemove<false>, std::cref(v))
        ->Arg(10)
        ->Arg(1000)
        ->UseManualTime()
        ->MinTime(kMinTimeChanges);
    benchmark::RegisterBenchmark(("add_remove/" + v.label).c_str(), BM_AddRemove, std::cref(v))
        ->Arg(10)
        ->Arg(1000)
        ->MinTime(kMinTimeChanges);
  }
  register_event_benchmarks();
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
