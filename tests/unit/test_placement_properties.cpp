// Properties every placement strategy must have, instantiated for each entry
// of the registry: a new strategy gets all of them by being listed there.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "hash.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

std::vector<NodeSpec> nodes(std::uint32_t n) {
  std::vector<NodeSpec> out;
  for (NodeId i = 0; i < n; ++i) out.push_back({i, 1.0});
  return out;
}

std::unique_ptr<Placement> build(std::string_view name, std::uint32_t n) {
  auto p = make_placement(StrategyParams(std::string(name)));
  p->init(nodes(n), 1024);
  return p;
}

std::uint64_t key_hash(std::uint64_t i) { return hash_u64(i, 0x1234); }

std::vector<NodeId> owners(const Placement& p, std::uint64_t keys) {
  std::vector<NodeId> out(keys);
  for (std::uint64_t i = 0; i < keys; ++i) out[i] = p.lookup(key_hash(i));
  return out;
}

class PlacementProperty : public ::testing::TestWithParam<std::string_view> {};

TEST_P(PlacementProperty, SameMembershipGivesSameOwners) {
  auto a = build(GetParam(), 17);
  auto b = build(GetParam(), 17);
  EXPECT_EQ(owners(*a, 20000), owners(*b, 20000));
}

TEST_P(PlacementProperty, EveryActiveNodeGetsKeysAndNoInactiveNodeDoes) {
  auto p = build(GetParam(), 12);
  if (p->traits().removal == Removal::kAny) p->remove_node(5);
  const bool removed = p->traits().removal == Removal::kAny;
  std::set<NodeId> seen;
  for (NodeId o : owners(*p, 50000)) {
    ASSERT_LT(o, 12u);
    if (removed) {
      ASSERT_NE(o, 5u) << "key placed on removed node 5";
    }
    seen.insert(o);
  }
  EXPECT_EQ(seen.size(), removed ? 11u : 12u);
}

TEST_P(PlacementProperty, AddingANodeMovesKeysOnlyOntoIt) {
  auto p = build(GetParam(), 10);
  if (!p->traits().minimal_disruption) GTEST_SKIP() << "strategy does not claim minimal disruption";
  const auto before = owners(*p, 100000);
  p->add_node({10, 1.0});
  const auto after = owners(*p, 100000);
  std::uint64_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] != after[i]) {
      ++moved;
      ASSERT_EQ(after[i], 10u) << "key " << i << " moved from " << before[i] << " to " << after[i];
    }
  }
  EXPECT_GT(moved, 0u);
}

TEST_P(PlacementProperty, RemovingANodeMovesOnlyItsKeys) {
  auto p = build(GetParam(), 10);
  if (!p->traits().minimal_disruption) GTEST_SKIP() << "strategy does not claim minimal disruption";
  const NodeId leaving = p->traits().removal == Removal::kAny ? 3 : 9;
  const auto before = owners(*p, 100000);
  p->remove_node(leaving);
  const auto after = owners(*p, 100000);
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] != leaving) {
      ASSERT_EQ(before[i], after[i]) << "key " << i << " moved off a staying node";
    } else {
      ASSERT_NE(after[i], leaving);
    }
  }
}

TEST_P(PlacementProperty, AddThenRemoveRestoresEveryOwner) {
  auto p = build(GetParam(), 10);
  if (!p->traits().minimal_disruption) GTEST_SKIP() << "strategy does not claim minimal disruption";
  const auto before = owners(*p, 50000);
  p->add_node({10, 1.0});
  p->remove_node(10);
  EXPECT_EQ(before, owners(*p, 50000));
}

TEST_P(PlacementProperty, StateBytesGrowWithNodes) {
  auto small = build(GetParam(), 4);
  auto large = build(GetParam(), 400);
  EXPECT_GT(small->state_bytes(), 0u);
  EXPECT_GE(large->state_bytes(), small->state_bytes());
}

std::vector<std::string_view> names() {
  std::vector<std::string_view> out;
  for (const auto& s : strategies()) out.push_back(s.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Registry, PlacementProperty, ::testing::ValuesIn(names()),
                         [](const auto& param_info) {
                           std::string n(param_info.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace ringsim
