// How logical nodes are laid on ranks: balanced, deterministic, and (for the
// random layout) free of the node-id locality that hides modulo's traffic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/membership.hpp"
#include "error.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr NodeMapping kAll[] = {NodeMapping::kRandom, NodeMapping::kBlock, NodeMapping::kCyclic};

std::vector<int> table(const Membership& m) {
  std::vector<int> t(m.nodes());
  for (NodeId n = 0; n < m.nodes(); ++n) t[n] = m.rank_of(n);
  return t;
}

TEST(NodeMapping, NamesRoundTripAndUnknownNamesAreErrors) {
  for (NodeMapping m : kAll) EXPECT_EQ(parse_mapping(to_string(m)), m);
  EXPECT_STREQ(to_string(NodeMapping::kRandom), "random");
  EXPECT_STREQ(to_string(NodeMapping::kBlock), "block");
  EXPECT_STREQ(to_string(NodeMapping::kCyclic), "cyclic");
  try {
    parse_mapping("round-robin");
    FAIL() << "no error for an unknown mapping";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown node mapping 'round-robin' (expected random, block or cyclic)");
  }
  EXPECT_THROW(parse_mapping("Random"), Error);
  EXPECT_THROW(parse_mapping(""), Error);
}

TEST(NodeMapping, EveryMappingIsBalancedAndNodesOfRankAgreesWithRankOf) {
  const std::pair<std::uint32_t, int> shapes[] = {{1, 1},  {7, 1},   {4, 4},   {16, 4},
                                                  {17, 4}, {19, 4},  {3, 8},   {1000, 7},
                                                  {5, 2},  {64, 64}, {100, 3}, {4096, 6}};
  for (NodeMapping mapping : kAll)
    for (auto [nodes, ranks] : shapes) {
      SCOPED_TRACE(std::string(to_string(mapping)) + " nodes " + std::to_string(nodes) + " ranks " +
                   std::to_string(ranks));
      Membership m(nodes, ranks, {}, mapping, 42);
      std::vector<std::uint32_t> count(static_cast<std::size_t>(ranks), 0);
      for (NodeId n = 0; n < nodes; ++n) {
        ASSERT_GE(m.rank_of(n), 0);
        ASSERT_LT(m.rank_of(n), ranks);
        ++count[static_cast<std::size_t>(m.rank_of(n))];
      }
      const auto [lo, hi] = std::minmax_element(count.begin(), count.end());
      EXPECT_LE(*hi - *lo, 1u);
      EXPECT_EQ(*lo, nodes / static_cast<std::uint32_t>(ranks));
      std::uint32_t listed = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto mine = m.nodes_of_rank(r);
        EXPECT_EQ(mine.size(), count[static_cast<std::size_t>(r)]);
        EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
        for (NodeId n : mine) EXPECT_EQ(m.rank_of(n), r);
        listed += static_cast<std::uint32_t>(mine.size());
      }
      EXPECT_EQ(listed, nodes);
    }
}

TEST(NodeMapping, CyclicIsNodeModRanksAndTheOldConstructorIsCyclic) {
  Membership old(23, 5, {});
  Membership cyclic(23, 5, {}, NodeMapping::kCyclic, 99);
  EXPECT_EQ(old.mapping(), NodeMapping::kCyclic);
  for (NodeId n = 0; n < 23; ++n) {
    EXPECT_EQ(old.rank_of(n), static_cast<int>(n % 5));
    EXPECT_EQ(cyclic.rank_of(n), static_cast<int>(n % 5));
  }
}

TEST(NodeMapping, BlockIsContiguousRanges) {
  Membership m(10, 4, {}, NodeMapping::kBlock, 0);
  EXPECT_EQ(table(m), (std::vector<int>{0, 0, 0, 1, 1, 2, 2, 2, 3, 3}));
  Membership wide(3, 8, {}, NodeMapping::kBlock, 0);
  EXPECT_EQ(table(wide), (std::vector<int>{0, 2, 5}));
}

TEST(NodeMapping, RandomIsDeterministicFromTheSeedAndSeedsDiffer) {
  const Membership a(64, 4, {}, NodeMapping::kRandom, 7);
  const Membership b(64, 4, {}, NodeMapping::kRandom, 7);
  const Membership c(64, 4, {}, NodeMapping::kRandom, 8);
  EXPECT_EQ(table(a), table(b));
  EXPECT_NE(table(a), table(c));
  // A copy (the runner copies memberships to look ahead) keeps the layout.
  const Membership copy = a;
  EXPECT_EQ(table(copy), table(a));
  // The seed matters only for the random layout.
  EXPECT_EQ(table(Membership(64, 4, {}, NodeMapping::kBlock, 7)),
            table(Membership(64, 4, {}, NodeMapping::kBlock, 8)));
}

// The layout is pinned: a run reproduces it with any compiler and standard
// library (the generator and the shuffle are ringsim's own, not std::shuffle).
// The expected table comes from a separate Python model of the same
// splitmix64 Fisher-Yates, not from this code's output.
TEST(NodeMapping, RandomLayoutIsPinned) {
  Membership m(12, 3, {}, NodeMapping::kRandom, 1);
  EXPECT_EQ(table(m), (std::vector<int>{1, 2, 2, 2, 0, 0, 1, 0, 0, 1, 2, 1}));
}

TEST(NodeMapping, RandomBreaksTheNodeIdLocalityOfCyclic) {
  constexpr int kRanks = 4;
  constexpr std::uint32_t kNodes = 4 * kRanks;
  const Membership cyclic(kNodes, kRanks, {}, NodeMapping::kCyclic, 3);
  const Membership random(kNodes, kRanks, {}, NodeMapping::kRandom, 3);

  // Some consecutive nodes that cyclic keeps apart land elsewhere, and nodes
  // that cyclic puts on one rank (n, n + ranks) are split up.
  int differ = 0, split = 0;
  for (NodeId n = 0; n < kNodes; ++n) {
    differ += random.rank_of(n) != cyclic.rank_of(n);
    if (n + kRanks < kNodes) split += random.rank_of(n) != random.rank_of(n + kRanks);
  }
  EXPECT_GT(differ, 0);
  EXPECT_GT(split, 0);

  // modulo growing from 8 to 16 nodes: under cyclic every moved key stays on
  // its rank (nothing would cross the wire); under random most moves cross.
  std::uint64_t moved = 0, cross_cyclic = 0, cross_random = 0;
  for (std::uint64_t k = 0; k < 20000; ++k) {
    const std::uint64_t h = mix64(k);
    const auto from = static_cast<NodeId>(h % (kNodes / 2));
    const auto to = static_cast<NodeId>(h % kNodes);
    if (from == to) continue;
    ++moved;
    cross_cyclic += cyclic.rank_of(from) != cyclic.rank_of(to);
    cross_random += random.rank_of(from) != random.rank_of(to);
  }
  EXPECT_GT(moved, 5000u);
  EXPECT_EQ(cross_cyclic, 0u);
  EXPECT_GT(cross_random, moved / 2);
}

TEST(NodeMapping, AtLeastOneRankIsRequired) {
  EXPECT_THROW(Membership(4, 0, {}, NodeMapping::kRandom, 1), Error);
}

}  // namespace
}  // namespace ringsim
