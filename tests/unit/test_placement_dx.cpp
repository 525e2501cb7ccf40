// DxHash (arXiv:2107.07930): parameters, balance, arbitrary removal and
// restoration by re-adding in reverse order.
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

TEST(DxPlacement, RejectsBadCapacity) {
  expect_error(
      [] {
        make_placement(params("dx", {{"capacity", std::int64_t{-3}}}));
      },
      "parameter 'capacity' must be in [0, 67108864], got -3");
  expect_error(
      [] {
        make_placement(params("dx", {{"capacity", 2.5}}));
      },
      "parameter 'capacity' must be an integer");
  expect_error(
      [] {
        build("dx", 10, 100, {{"capacity", std::int64_t{99}}});
      },
      "capacity (99) must be >= cluster.nodes (100)");
  expect_error([] { make_placement(params("dx", {{"size", std::int64_t{5}}})); }, "size");
}

TEST(DxPlacement, CapacityIsRoundedUpToAPowerOfTwo) {
  auto p = build("dx", 10, 100, {{"capacity", std::int64_t{100}}});
  EXPECT_EQ(p->state_bytes(), 2 * sizeof(std::uint64_t));  // 128 slots, one bit each
  remove_then_readd_restores(*p, {9, 2, 5}, 50000);
}

// Every active slot is equally likely to be the first active one of a uniform
// random sequence, so DxHash is balanced in expectation (the paper's balance
// argument); the peak only shows the binomial noise of 10^6 keys: sigma/mean
// is 1% at N=100 and 0.3% at N=10, the bounds sit above 5 sigma.
TEST(DxPlacement, Balance) {
  EXPECT_LT(peak_to_mean(*build("dx", 10, 1024), 10, 1000000), 1.02);
  EXPECT_LT(peak_to_mean(*build("dx", 100, 1024), 100, 1000000), 1.06);
}

TEST(DxPlacement, RemoveArbitraryThenReaddRestores) {
  auto p = build("dx", 40, 64);
  remove_then_readd_restores(*p, {17, 3, 39, 0, 22, 5}, 100000);
}

TEST(DxPlacement, OwnersDependOnlyOnTheActiveSet) {
  auto a = build("dx", 20, 32);
  auto b = build("dx", 20, 32);
  a->remove_node(3);
  a->remove_node(11);
  b->remove_node(11);
  b->remove_node(3);
  EXPECT_EQ(owners(*a, 50000), owners(*b, 50000));
}

TEST(DxPlacement, FewActiveSlotsStillWork) {
  auto p = build("dx", 2, 4096);
  p->remove_node(0);
  for (NodeId o : owners(*p, 2000)) ASSERT_EQ(o, 1u);
}

TEST(DxPlacement, RejectsInvalidMembershipChanges) {
  auto p = build("dx", 4, 4);
  expect_error([&] { p->add_node({2, 1.0}); }, "already active");
  expect_error([&] { p->add_node({4, 1.0}); }, "outside cluster.nodes");
  p->remove_node(1);
  expect_error([&] { p->remove_node(1); }, "not active");
}

}  // namespace
}  // namespace ringsim
