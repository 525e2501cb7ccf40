// Tests of the multiprobe strategy (Appleton & O'Reilly, arXiv:1505.00062).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

std::vector<NodeSpec> nodes(std::uint32_t n) {
  std::vector<NodeSpec> out;
  for (NodeId i = 0; i < n; ++i) out.push_back({i, 1.0});
  return out;
}

std::unique_ptr<Placement> build(std::uint32_t n, std::int64_t probes = -1) {
  StrategyParams params("multiprobe");
  if (probes >= 0) params.set("probes", probes);
  auto p = make_placement(params);
  p->init(nodes(n), 1024);
  return p;
}

std::uint64_t key_hash(std::uint64_t i) { return hash_u64(i, 0x6d706368); }

constexpr std::uint64_t kKeys = 1000000;

double peak_to_mean(const Placement& p, std::uint32_t n) {
  std::vector<std::uint64_t> count(n, 0);
  for (std::uint64_t i = 0; i < kKeys; ++i) ++count[p.lookup(key_hash(i))];
  return static_cast<double>(*std::max_element(count.begin(), count.end())) * n / kKeys;
}

TEST(MultiProbe, Traits) {
  const auto t = build(3)->traits();
  EXPECT_FALSE(t.weighted);
  EXPECT_EQ(t.removal, Removal::kAny);
  EXPECT_TRUE(t.minimal_disruption);
}

TEST(MultiProbe, InvalidParameters) {
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-3}, std::int64_t{1} << 20}) {
    StrategyParams p("multiprobe");
    p.set("probes", bad);
    EXPECT_THROW(make_placement(p), Error) << bad;
  }
  StrategyParams fractional("multiprobe");
  fractional.set("probes", 2.5);
  EXPECT_THROW(make_placement(fractional), Error);
  StrategyParams text("multiprobe");
  text.set("probes", std::string("many"));
  EXPECT_THROW(make_placement(text), Error);
  StrategyParams unknown("multiprobe");
  unknown.set("probe", std::int64_t{5});
  EXPECT_THROW(make_placement(unknown), Error);
  EXPECT_THROW(build(4)->remove_node(9), Error);
}

TEST(MultiProbe, OneProbeIsPlainConsistentHashing) {
  // With k = 1 and one point per node it is Karger's ring without virtual
  // nodes: still minimal, but badly balanced (peak-to-mean of order ln N).
  auto p = build(100, 1);
  EXPECT_GT(peak_to_mean(*p, 100), 2.0);
}

// Peak-to-mean. The paper gives 1 + epsilon with 1 + 1/epsilon probes, i.e.
// about 1.05 for k = 21, for the expected share of the hash space; the counts
// of 10^6 sampled keys add the multinomial noise (1% of the mean at N=100).
// Measured: 1.0091 at N=10 and 1.0696 at N=100; the bounds leave a margin.
TEST(MultiProbe, Balance) {
  const double pmr10 = peak_to_mean(*build(10), 10);
  const double pmr100 = peak_to_mean(*build(100), 100);
  std::printf("multiprobe peak-to-mean: N=10 %.4f, N=100 %.4f\n", pmr10, pmr100);
  EXPECT_LT(pmr10, 1.10);
  EXPECT_LT(pmr100, 1.15);
  // More probes balance better, as the paper's bound says.
  EXPECT_LT(pmr100, peak_to_mean(*build(100, 2), 100));
}

}  // namespace
}  // namespace ringsim
