// The strategies that let any node leave and restore every owner when the
// removed nodes come back in reverse order: AnchorHash (arXiv:1812.09674),
// DxHash (arXiv:2107.07930) and MementoHash (arXiv:2306.09783). Balance,
// arbitrary removal and restoration, membership errors, for each of them; the
// per-strategy files test parameters and what only one of them does.
//
// Balance bounds (Balance): each strategy is balanced in expectation, so the
// peak only shows the binomial noise of 10^6 keys: sigma/mean is 1% at N=100
// and 0.3% at N=10; the bounds sit above 5 sigma.
//  - anchor: each working bucket gets 1/|W| of the keys (the paper's balance
//    theorem).
//  - dx: every active slot is equally likely to be the first active one of a
//    uniform random sequence (the paper's balance argument).
//  - memento: with no removal it is jump hash, which gives each bucket 1/n of
//    the keys; after removals the paper proves the same for the working
//    buckets.
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

class ArbitraryRemovalPlacement : public ::testing::TestWithParam<std::string> {};

TEST_P(ArbitraryRemovalPlacement, Balance) {
  EXPECT_LT(peak_to_mean(*build(GetParam(), 10, 1024), 10, 1000000), 1.02);
  EXPECT_LT(peak_to_mean(*build(GetParam(), 100, 1024), 100, 1000000), 1.06);
}

TEST_P(ArbitraryRemovalPlacement, RemoveArbitraryThenReaddRestores) {
  auto p = build(GetParam(), 40, 64);
  remove_then_readd_restores(*p, {17, 3, 39, 0, 22, 5}, 100000);
}

TEST_P(ArbitraryRemovalPlacement, RejectsInvalidMembershipChanges) {
  auto p = build(GetParam(), 4, 4);
  expect_error([&] { p->add_node({2, 1.0}); }, "already active");
  expect_error([&] { p->add_node({4, 1.0}); }, "outside cluster.nodes");
  p->remove_node(1);
  expect_error([&] { p->remove_node(1); }, "not active");
}

INSTANTIATE_TEST_SUITE_P(AnyRemoval, ArbitraryRemovalPlacement,
                         ::testing::Values("anchor", "dx", "memento"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace ringsim
