// Tests of the ring strategy's lookup (bucket table over the sorted points)
// against the definition: the owner of the first point >= the key hash by
// std::lower_bound over the same points, wrapping to the first point, ties
// broken by the smaller node id.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hash.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

// ring.cpp's point salt: pinned here, so that a change of the point layout
// (which would move keys between releases) fails this test.
constexpr std::uint64_t kPointSeed = 0x72696e6770746e73ULL;  // "ringptns"

struct Reference {
  std::vector<std::uint64_t> positions;  // sorted by (position, owner)
  std::vector<NodeId> owners;

  NodeId lookup(std::uint64_t h) const {
    auto it = std::lower_bound(positions.begin(), positions.end(), h);
    return owners[it == positions.end() ? 0 : static_cast<std::size_t>(it - positions.begin())];
  }
};

Reference reference(const std::vector<NodeSpec>& nodes, std::int64_t vnodes) {
  std::vector<std::pair<std::uint64_t, NodeId>> pts;
  for (const auto& n : nodes) {
    const auto count = std::max<std::int64_t>(std::llround(static_cast<double>(vnodes) * n.weight),
                                              std::int64_t{1});
    for (std::int64_t r = 0; r < count; ++r)
      pts.emplace_back(hash_pair(n.id, static_cast<std::uint64_t>(r), kPointSeed), n.id);
  }
  std::sort(pts.begin(), pts.end());
  Reference ref;
  for (const auto& [pos, owner] : pts) {
    ref.positions.push_back(pos);
    ref.owners.push_back(owner);
  }
  return ref;
}

std::unique_ptr<Placement> ring(std::int64_t vnodes) {
  StrategyParams params("ring");
  params.set("vnodes", vnodes);
  return make_placement(params);
}

// 10^5 random hashes, every point position and its neighbours, and the ends.
std::vector<std::uint64_t> probe_hashes(const Reference& ref, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> hs;
  for (int i = 0; i < 100000; ++i) hs.push_back(rng());
  for (std::uint64_t p : ref.positions)
    for (std::uint64_t d : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}}) {
      hs.push_back(p + d);
      hs.push_back(p - d);
    }
  for (std::uint64_t h : {std::uint64_t{0}, std::uint64_t{1}, UINT64_MAX, UINT64_MAX - 1,
                          std::uint64_t{1} << 63, (std::uint64_t{1} << 63) - 1})
    hs.push_back(h);
  return hs;
}

void expect_same(const Placement& p, const Reference& ref, const std::string& what) {
  std::size_t mismatches = 0;
  std::uint64_t first_bad = 0;
  for (std::uint64_t h : probe_hashes(ref, ref.positions.size())) {
    if (p.lookup(h) != ref.lookup(h) && mismatches++ == 0) first_bad = h;
  }
  EXPECT_EQ(mismatches, 0u) << what << ": first mismatch at hash " << first_bad;
}

std::vector<NodeSpec> nodes(std::uint32_t n) {
  std::vector<NodeSpec> out;
  for (NodeId i = 0; i < n; ++i) out.push_back({i, 1.0});
  return out;
}

class RingLookup : public ::testing::TestWithParam<std::tuple<std::int64_t, std::uint32_t>> {};

TEST_P(RingLookup, MatchesLowerBoundOverTheSamePoints) {
  const auto [vnodes, n] = GetParam();
  auto members = nodes(n);
  auto p = ring(vnodes);
  p->init(members, n + 2);
  expect_same(*p, reference(members, vnodes), "init");
}

TEST_P(RingLookup, MatchesLowerBoundAfterAddsAndRemoves) {
  const auto [vnodes, n] = GetParam();
  auto members = nodes(n);
  auto p = ring(vnodes);
  p->init(members, n + 2);

  members.push_back({n, 2.5});  // weighted: more points than the others
  p->add_node(members.back());
  expect_same(*p, reference(members, vnodes), "after adding a weighted node");

  members.push_back({n + 1, 1.0});
  p->add_node(members.back());
  expect_same(*p, reference(members, vnodes), "after adding a second node");

  members.erase(members.begin());
  p->remove_node(0);
  expect_same(*p, reference(members, vnodes), "after removing node 0");

  // Down to a single node, which then owns every key.
  while (members.size() > 1) {
    p->remove_node(members.back().id);
    members.pop_back();
  }
  expect_same(*p, reference(members, vnodes), "with one node left");
  EXPECT_EQ(p->lookup(0), members[0].id);
  EXPECT_EQ(p->lookup(UINT64_MAX), members[0].id);
}

INSTANTIATE_TEST_SUITE_P(VnodesAndNodes, RingLookup,
                         ::testing::Combine(::testing::Values(std::int64_t{1}, std::int64_t{7},
                                                              std::int64_t{160}),
                                            ::testing::Values(1u, 3u, 50u)),
                         [](const auto& param_info) {
                           return "vnodes" + std::to_string(std::get<0>(param_info.param)) + "_n" +
                                  std::to_string(std::get<1>(param_info.param));
                         });

TEST(Ring, StateBytesCountTheBucketTable) {
  auto p = ring(100);
  p->init(nodes(1000), 1000);
  // 100000 points: 8-byte positions, 4-byte owners and a 4-byte table entry
  // per bucket, 2^17 buckets.
  const std::size_t least = 100000u * 12 + (std::size_t{1} << 17) * 4;
  EXPECT_GE(p->state_bytes(), least);
  EXPECT_LE(p->state_bytes(), least + least / 4);
}

}  // namespace
}  // namespace ringsim
