// Bounded loads: the segment list that rebalance() computes from key counts
// must equal the paper's sequential process (each key, in the canonical order,
// takes the first point clockwise whose node is not full), simulated here
// directly, key by key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "hash.hpp"
#include "key_counter.hpp"
#include "placement/ring_points.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

// The strategy's point seed ("boundpts"), so that the simulation below walks
// the same ring.
constexpr std::uint64_t kPointSeed = 0x626f756e64707473ULL;

struct Case {
  std::vector<NodeSpec> nodes;
  std::int64_t vnodes;
  double epsilon;
  std::size_t keys;
};

std::vector<NodeId> sequential_owners(const Case& c, const std::vector<std::uint64_t>& hashes) {
  RingPoints ring;
  double total_weight = 0;
  std::vector<std::uint64_t> room(64, 0);
  for (const auto& n : c.nodes) {
    ring.add(n.id, std::max<std::int64_t>(std::llround(double(c.vnodes) * n.weight), 1),
             kPointSeed);
    total_weight += n.weight;
  }
  ring.sort();
  for (const auto& n : c.nodes)
    room[n.id] = static_cast<std::uint64_t>(
        std::ceil((1 + c.epsilon) * double(hashes.size()) * n.weight / total_weight));
  const std::uint64_t base = ring.positions().back() + 1;
  std::vector<std::size_t> order(hashes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return hashes[a] - base < hashes[b] - base; });
  std::vector<NodeId> owner(hashes.size());
  for (std::size_t k : order) {
    std::size_t p = ring.successor(hashes[k]);
    while (room[ring.owners()[p]] == 0) p = (p + 1) % ring.size();
    owner[k] = ring.owners()[p];
    --room[owner[k]];
  }
  return owner;
}

void expect_same_as_sequential(const Case& c) {
  StrategyParams params("bounded");
  params.set("vnodes", c.vnodes);
  params.set("epsilon", c.epsilon);
  auto p = make_placement(params);
  p->init(c.nodes, 64);
  std::vector<std::uint64_t> hashes(c.keys);
  for (std::size_t i = 0; i < hashes.size(); ++i) hashes[i] = hash_u64(i, 99);
  p->rebalance(SortedHashCounter(hashes));
  const auto want = sequential_owners(c, hashes);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) differ += p->lookup(hashes[i]) != want[i];
  EXPECT_EQ(differ, 0u);
}

TEST(BoundedLoads, MatchesTheSequentialProcessWithTightCapacity) {
  expect_same_as_sequential({{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}}, 4, 0.02, 40000});
}

TEST(BoundedLoads, MatchesTheSequentialProcessWithWeightsAndManyPoints) {
  expect_same_as_sequential({{{0, 1}, {2, 3}, {5, 0.5}, {9, 2}}, 30, 0.1, 30000});
}

TEST(BoundedLoads, MatchesTheSequentialProcessWithOnePointPerNode) {
  // One point per node makes arcs very uneven, so keys overflow far and wrap.
  expect_same_as_sequential(
      {{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}}, 1, 0.01, 20000});
}

TEST(BoundedLoads, PeakToMeanIsAtMostOnePlusEpsilon) {
  for (double eps : {0.01, 0.25}) {
    StrategyParams params("bounded");
    params.set("epsilon", eps);
    auto p = make_placement(params);
    std::vector<NodeSpec> nodes;
    for (NodeId n = 0; n < 50; ++n) nodes.push_back({n, 1.0});
    p->init(nodes, 64);
    std::vector<std::uint64_t> hashes(500000);
    for (std::size_t i = 0; i < hashes.size(); ++i) hashes[i] = hash_u64(i, 5);
    p->rebalance(SortedHashCounter(hashes));
    std::vector<std::uint64_t> loads(50, 0);
    for (auto h : hashes) ++loads[p->lookup(h)];
    const double mean = double(hashes.size()) / 50;
    const double peak = double(*std::max_element(loads.begin(), loads.end()));
    // The bound is the definition of the capacity: ceil((1 + eps) * K / N).
    EXPECT_LE(peak, std::ceil((1 + eps) * mean)) << "epsilon " << eps;
  }
}

TEST(BoundedLoads, InvalidParametersAreNamed) {
  auto error_of = [](const char* key, StrategyParams::Value v) {
    StrategyParams params("bounded");
    params.set(key, v);
    try {
      make_placement(params);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("epsilon", 0.0).find("parameter 'epsilon' must be > 0"), std::string::npos);
  EXPECT_NE(error_of("epsilon", -1.0).find("'epsilon'"), std::string::npos);
  EXPECT_NE(error_of("vnodes", std::int64_t{0}).find("parameter 'vnodes' must be in [1,"),
            std::string::npos);
  EXPECT_NE(error_of("bound", 1.0).find("unknown parameter 'bound'"), std::string::npos);
}

}  // namespace
}  // namespace ringsim
