// MementoHash (arXiv:2306.09783): parameters, balance, arbitrary removal and
// restoration by re-adding in reverse order, the replacement table under load.
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

// With no removal MementoHash is jump hash, which gives each bucket 1/n of the
// keys; after removals the paper proves the same for the working buckets. The
// peak only shows the binomial noise of 10^6 keys: sigma/mean is 1% at N=100
// and 0.3% at N=10, the bounds sit above 5 sigma.
TEST(MementoPlacement, Balance) {
  EXPECT_LT(peak_to_mean(*build("memento", 10, 1024), 10, 1000000), 1.02);
  EXPECT_LT(peak_to_mean(*build("memento", 100, 1024), 100, 1000000), 1.06);
}

TEST(MementoPlacement, BalanceAfterArbitraryRemovals) {
  auto p = build("memento", 130, 130);
  for (NodeId n = 0; n < 30; ++n) p->remove_node((n * 37 + 11) % 130);
  std::vector<std::uint64_t> load(130, 0);
  for (std::uint64_t i = 0; i < 1000000; ++i) ++load[p->lookup(key_hash(i))];
  for (NodeId n = 0; n < 30; ++n) EXPECT_EQ(load[(n * 37 + 11) % 130], 0u);
  EXPECT_LT(static_cast<double>(*std::max_element(load.begin(), load.end())) * 100 / 1e6, 1.06);
}

TEST(MementoPlacement, RemoveArbitraryThenReaddRestores) {
  auto p = build("memento", 40, 64);
  remove_then_readd_restores(*p, {17, 3, 39, 0, 22, 5}, 100000);
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

TEST(MementoPlacement, RejectsInvalidMembershipChanges) {
  auto p = build("memento", 4, 4);
  expect_error([&] { p->add_node({2, 1.0}); }, "already active");
  expect_error([&] { p->add_node({4, 1.0}); }, "outside cluster.nodes");
  p->remove_node(1);
  expect_error([&] { p->remove_node(1); }, "not active");
}

}  // namespace
}  // namespace ringsim
