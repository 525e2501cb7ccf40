// AnchorHash (arXiv:1812.09674): parameters, balance after removals, re-adding
// in another order. Balance, arbitrary removal with restoration and membership
// errors are in test_placement_arbitrary_removal.cpp.
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

TEST(AnchorPlacement, RejectsBadCapacity) {
  expect_error(
      [] {
        make_placement(params("anchor", {{"capacity", std::int64_t{-1}}}));
      },
      "parameter 'capacity' must be in [0, 67108864], got -1");
  expect_error(
      [] {
        make_placement(params("anchor", {{"capacity", std::int64_t{1} << 27}}));
      },
      "parameter 'capacity' must be in [0, 67108864]");
  expect_error(
      [] {
        make_placement(params("anchor", {{"capacity", std::string("big")}}));
      },
      "parameter 'capacity' must be an integer");
  expect_error(
      [] {
        build("anchor", 10, 100, {{"capacity", std::int64_t{50}}});
      },
      "capacity (50) must be >= cluster.nodes (100)");
  expect_error([] { make_placement(params("anchor", {{"capacty", std::int64_t{5}}})); }, "capacty");
}

TEST(AnchorPlacement, ExplicitCapacityWorks) {
  auto p = build("anchor", 10, 16, {{"capacity", std::int64_t{64}}});
  remove_then_readd_restores(*p, {3, 7, 0}, 50000);
}

TEST(AnchorPlacement, BalanceAfterRemovals) {
  auto p = build("anchor", 100, 128);
  for (NodeId n = 100; n < 128; ++n) p->add_node({n, 1.0});
  for (NodeId n = 0; n < 28; ++n) p->remove_node(n * 4 + 1);  // leaves 100 active nodes
  const auto load = load_counts(*p, 128, 1000000);
  for (NodeId n = 0; n < 28; ++n) EXPECT_EQ(load[n * 4 + 1], 0u);
  EXPECT_LT(peak_over_mean(load, 100, 1000000), 1.06);
}

TEST(AnchorPlacement, ReaddInOtherOrderIsStillMinimal) {
  auto p = build("anchor", 20, 32);
  p->remove_node(4);
  p->remove_node(9);
  const auto before = owners(*p, 50000);
  p->add_node({4, 1.0});  // gets bucket of 9 (the paper restores the latest removal)
  const auto after = owners(*p, 50000);
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_NE(after[i], 9u);
    if (after[i] != before[i]) {
      ASSERT_EQ(after[i], 4u);
    }
  }
  p->add_node({25, 1.0});  // a node that never was there
  p->remove_node(25);
  EXPECT_EQ(owners(*p, 50000), after);
}

}  // namespace
}  // namespace ringsim
