// DxHash (arXiv:2107.07930): parameters, capacity rounding, owners as a
// function of the active set, few active slots. Balance, arbitrary removal
// with restoration and membership errors are in
// test_placement_arbitrary_removal.cpp.
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

}  // namespace
}  // namespace ringsim
