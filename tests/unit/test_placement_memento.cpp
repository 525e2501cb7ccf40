// MementoHash (arXiv:2306.09783): parameters, balance after arbitrary
// removals, mixed last and arbitrary removals, the replacement table under
// load. Balance, arbitrary removal with restoration and membership errors are
// in test_placement_arbitrary_removal.cpp.
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

TEST(MementoPlacement, HasNoParameters) {
  expect_error(
      [] {
        make_placement(params("memento", {{"capacity", std::int64_t{8}}}));
      },
      "capacity");
}

TEST(MementoPlacement, BalanceAfterArbitraryRemovals) {
  auto p = build("memento", 130, 130);
  for (NodeId n = 0; n < 30; ++n) p->remove_node((n * 37 + 11) % 130);
  const auto load = load_counts(*p, 130, 1000000);
  for (NodeId n = 0; n < 30; ++n) EXPECT_EQ(load[(n * 37 + 11) % 130], 0u);
  EXPECT_LT(peak_over_mean(load, 100, 1000000), 1.06);
}

TEST(MementoPlacement, MixedLastAndArbitraryRemovalsRestore) {
  auto p = build("memento", 30, 64);
  p->add_node({30, 1.0});
  p->add_node({31, 1.0});
  // 31 is the last bucket (jump hash case), then arbitrary ones, then the
  // current last bucket again while the replacement set is not empty.
  remove_then_readd_restores(*p, {31, 30, 4, 29, 12, 28}, 100000);
}

TEST(MementoPlacement, ManyRemovalsGrowAndShrinkTheTable) {
  auto p = build("memento", 400, 1024);
  const auto original = owners(*p, 20000);
  const std::size_t bytes0 = p->state_bytes();
  std::vector<NodeId> leaving;
  for (NodeId i = 0; i < 300; ++i) leaving.push_back((i * 131 + 7) % 400);
  for (NodeId n : leaving) p->remove_node(n);
  EXPECT_GT(p->state_bytes(), bytes0);
  for (NodeId o : owners(*p, 20000))
    ASSERT_EQ(std::count(leaving.begin(), leaving.end(), o), 0) << "key on removed node " << o;
  for (auto it = leaving.rbegin(); it != leaving.rend(); ++it) p->add_node({*it, 1.0});
  EXPECT_EQ(owners(*p, 20000), original);
  EXPECT_EQ(p->state_bytes(), bytes0);
}

}  // namespace
}  // namespace ringsim
