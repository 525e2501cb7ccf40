// BinomialHash (Coluzzi et al., arXiv:2406.19836): parameters, balance, lifo and swap removal.
#include <cmath>
#include <set>

#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

TEST(BinomialPlacement, RejectsBadRemoval) {
  expect_error(
      [] {
        make_placement(params("binomial", {{"removal", std::string("fifo")}}));
      },
      "parameter 'removal' must be \"lifo\" or \"swap\", got \"fifo\"");
  expect_error(
      [] {
        make_placement(params("binomial", {{"removal", std::int64_t{1}}}));
      },
      "parameter 'removal' must be a string");
  expect_error(
      [] {
        make_placement(params("binomial", {{"capacity", std::int64_t{8}}}));
      },
      "capacity");
}

// BinomialHash is near-uniform: the bounded rehashing before the fallback to
// the minor tree leaves buckets 8 and 9 0.7% below the mean at N=10 (computed
// from the algorithm), on top of the binomial noise of 10^6 keys (sigma/mean
// 1% at N=100, 0.3% at N=10); the bounds sit above 5 sigma plus that bias.
TEST(BinomialPlacement, Balance) {
  EXPECT_LT(peak_to_mean(*build("binomial", 10, 1024), 10, 1000000), 1.02);
  EXPECT_LT(peak_to_mean(*build("binomial", 100, 1024), 100, 1000000), 1.06);
}

// Uniform over every n from 1 to 70 (crossing powers of two), 200000 keys.
TEST(BinomialPlacement, BalanceForManySizes) {
  for (std::uint32_t n = 1; n <= 70; ++n) {
    auto p = build("binomial", n, 128);
    std::vector<std::uint64_t> load(n, 0);
    for (std::uint64_t i = 0; i < 200000; ++i) ++load[p->lookup(key_hash(i))];
    const double mean = 200000.0 / n;
    for (std::uint32_t b = 0; b < n; ++b)
      ASSERT_NEAR(static_cast<double>(load[b]), mean, 6 * std::sqrt(mean) + 1)
          << "n=" << n << " bucket " << b;
  }
}

TEST(BinomialPlacement, LifoGrowAndShrinkIsMinimal) {
  auto p = build("binomial", 1, 128);
  auto before = owners(*p, 50000);
  for (NodeId n = 1; n < 70; ++n) {
    p->add_node({n, 1.0});
    const auto after = owners(*p, 50000);
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (after[i] != before[i]) {
        ASSERT_EQ(after[i], n) << "key " << i;
      }
    }
    before = after;
  }
  for (NodeId n = 69; n > 0; --n) {
    p->remove_node(n);
    const auto after = owners(*p, 50000);
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (before[i] != n) {
        ASSERT_EQ(after[i], before[i]) << "key " << i;
      }
    }
    before = after;
  }
}

TEST(BinomialPlacement, LifoRejectsOtherRemovals) {
  auto p = build("binomial", 10, 16);
  EXPECT_EQ(p->traits().removal, Removal::kLastAdded);
  EXPECT_TRUE(p->traits().minimal_disruption);
  expect_error([&] { p->remove_node(3); }, "only the most recently added node (9) may leave");
  expect_error([&] { p->remove_node(12); }, "not active");
  expect_error([&] { p->add_node({5, 1.0}); }, "already active");
}

TEST(BinomialPlacement, SwapRemovesAnyNode) {
  auto p = build("binomial", 20, 32, {{"removal", std::string("swap")}});
  EXPECT_EQ(p->traits().removal, Removal::kAny);
  EXPECT_FALSE(p->traits().minimal_disruption);
  std::vector<NodeId> gone;
  for (NodeId n : {4u, 0u, 13u, 19u, 7u}) {
    const auto before = owners(*p, 50000);
    p->remove_node(n);
    gone.push_back(n);
    const auto after = owners(*p, 50000);
    std::set<NodeId> seen;
    for (std::size_t i = 0; i < after.size(); ++i) {
      ASSERT_EQ(std::count(gone.begin(), gone.end(), after[i]), 0)
          << "key " << i << " on removed node " << after[i];
      seen.insert(after[i]);
    }
    EXPECT_EQ(seen.size(), 20 - gone.size());
  }
  p->add_node({4, 1.0});
  for (NodeId o : owners(*p, 50000)) ASSERT_NE(o, 0u);
}

// A swap removal moves the removed node's keys and the last bucket's keys only.
TEST(BinomialPlacement, SwapMovesOnlyTheRemovedAndTheLastBucketsKeys) {
  auto p = build("binomial", 20, 32, {{"removal", std::string("swap")}});
  const auto before = owners(*p, 50000);
  p->remove_node(4);  // node 19 (last bucket) takes bucket 4
  const auto after = owners(*p, 50000);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    ASSERT_TRUE(before[i] == 4u || before[i] == 19u) << "key " << i << " of node " << before[i];
  }
  EXPECT_GT(moved, 0u);
}

}  // namespace
}  // namespace ringsim
