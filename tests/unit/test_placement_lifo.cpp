// jumpback, binomial and fliphash: the membership guards of their bucket map
// in both removal modes, one change at a time and in batches (removing the
// last active node, removing a node that is not active, adding one that is),
// and that a rejected single change leaves every owner as it was.
#include <string>
#include <tuple>
#include <vector>

#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

// (strategy, removal mode)
class LifoGuards : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  std::unique_ptr<Placement> make(std::uint32_t n, std::uint32_t max_nodes) const {
    return build(std::get<0>(GetParam()), n, max_nodes, {{"removal", std::get<1>(GetParam())}});
  }
};

TEST_P(LifoGuards, RefusesToRemoveTheLastActiveNode) {
  auto p = make(1, 8);
  expect_error([&] { p->remove_node(0); }, "cannot remove the last active node");
  const std::vector<NodeId> only{0};
  expect_error([&] { p->remove_nodes(only); }, "cannot remove the last active node");
  auto q = make(3, 8);
  const std::vector<NodeId> all{2, 1, 0};
  expect_error([&] { q->remove_nodes(all); }, "cannot remove the last active node");
}

TEST_P(LifoGuards, RefusesToRemoveAnInactiveNode) {
  auto p = make(5, 8);
  expect_error([&] { p->remove_node(6); }, "node 6 is not active");
  expect_error([&] { p->remove_node(100); }, "node 100 is not active");
  const std::vector<NodeId> batch{4, 6};
  expect_error([&] { make(5, 8)->remove_nodes(batch); }, "node 6 is not active");
  const std::vector<NodeId> twice{4, 4};
  expect_error([&] { make(5, 8)->remove_nodes(twice); }, "node 4 is not active");
  p->remove_node(4);
  expect_error([&] { p->remove_node(4); }, "node 4 is not active");
}

TEST_P(LifoGuards, RefusesToAddAnActiveNode) {
  auto p = make(5, 8);
  expect_error([&] { p->add_node({2, 1.0}); }, "node 2 is already active");
  const std::vector<NodeSpec> batch{{5, 1.0}, {0, 1.0}};
  expect_error([&] { make(5, 8)->add_nodes(batch); }, "node 0 is already active");
  const std::vector<NodeSpec> twice{{6, 1.0}, {6, 1.0}};
  expect_error([&] { make(5, 8)->add_nodes(twice); }, "node 6 is already active");
  expect_error([&] { p->add_node({8, 1.0}); }, "outside cluster.nodes (8)");
}

TEST_P(LifoGuards, ARejectedChangeLeavesTheOwners) {
  auto p = make(6, 8);
  const auto before = owners(*p, 20000);
  EXPECT_THROW(p->add_node({3, 1.0}), Error);
  EXPECT_THROW(p->remove_node(7), Error);
  EXPECT_EQ(owners(*p, 20000), before);
  auto single = make(1, 8);
  const auto alone = owners(*single, 1000);
  EXPECT_THROW(single->remove_node(0), Error);
  EXPECT_EQ(owners(*single, 1000), alone);
  for (NodeId o : alone) ASSERT_EQ(o, 0u);
}

INSTANTIATE_TEST_SUITE_P(Strategies, LifoGuards,
                         ::testing::Combine(::testing::Values("jumpback", "binomial", "fliphash"),
                                            ::testing::Values("lifo", "swap")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace ringsim
