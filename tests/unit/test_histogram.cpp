// The latency histogram (src/engine/histogram.hpp): bucket layout, the
// nearest-rank percentile rule, merging, and the relative error bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/histogram.hpp"

namespace ringsim {
namespace {

using H = LatencyHistogram;

// The fixed sample list of tests/analysis/test_stats.py
// (test_percentiles_agree_with_cpp): the same expected numbers there, so that
// C++ and Python apply one rule.
const std::vector<double> kShared = {0.3, 5.0, 1.25, 2.0, 9.5, 4.0, 7.0, 3.5, 0.8, 6.0};
const std::vector<double> kQs = {0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0};
// Nearest rank: sorted 0.3 0.8 1.25 2 3.5 4 5 6 7 9.5; k = 1 1 3 5 9 10 10.
const std::vector<double> kExact = {0.3, 0.3, 1.25, 3.5, 7.0, 9.5, 9.5};
// From the histogram: the midpoint of the bucket of the k-th value, clamped to
// [0.3, 9.5]. 0.3 lies in [2^-2 (1 + 12/64), 2^-2 (1 + 13/64)), midpoint
// 0.298828125, below the minimum: 0.3. 1.25 in [1 + 16/64, 1 + 17/64): 1.2578125.
// 3.5 = 2 (1 + 48/64): 2 (1 + 48.5/64) = 3.515625. 7 = 4 (1 + 48/64): 7.03125.
// 9.5 = 8 (1 + 12/64): 8 (1 + 12.5/64) = 9.5625, above the maximum: 9.5.
const std::vector<double> kFromHistogram = {0.3, 0.3, 1.2578125, 3.515625, 7.03125, 9.5, 9.5};

TEST(Histogram, NearestRankRuleOnTheSharedList) {
  H h;
  for (double v : kShared) h.add(v);
  ASSERT_EQ(h.count(), kShared.size());
  EXPECT_EQ(h.min(), 0.3);
  EXPECT_EQ(h.max(), 9.5);
  for (std::size_t i = 0; i < kQs.size(); ++i) {
    EXPECT_EQ(percentile_of(kShared, kQs[i]), kExact[i]) << "q = " << kQs[i];
    EXPECT_EQ(h.percentile(kQs[i]), kFromHistogram[i]) << "q = " << kQs[i];
  }
}

TEST(Histogram, RankIsCeilOfQnWithoutBinaryRoundingSurprises) {
  EXPECT_EQ(nearest_rank(0.5, 0), 0u);
  EXPECT_EQ(nearest_rank(0.0, 10), 1u);
  EXPECT_EQ(nearest_rank(1.0, 10), 10u);
  EXPECT_EQ(nearest_rank(0.5, 3), 2u);     // ceil(1.5)
  EXPECT_EQ(nearest_rank(0.99, 10), 10u);  // ceil(9.9)
  EXPECT_EQ(nearest_rank(0.99, 100), 99u);
  // 0.07 * 100 is 7.000000000000001 in doubles; the rule takes it as 7.
  ASSERT_GT(0.07 * 100, 7.0);
  EXPECT_EQ(nearest_rank(0.07, 100), 7u);
  EXPECT_EQ(nearest_rank(0.999, 1000000000), 999000000u);
  EXPECT_EQ(nearest_rank(0.5, 1000000001), 500000001u);
  EXPECT_EQ(nearest_rank(2.0, 5), 5u);
  EXPECT_EQ(nearest_rank(-1.0, 5), 1u);
}

TEST(Histogram, BucketEdgesAndClamping) {
  EXPECT_EQ(H::kBuckets, 3200u);
  for (std::size_t i = 0; i < H::kBuckets; ++i) {
    ASSERT_EQ(H::bucket_of(H::bucket_lower(i)), i);
    ASSERT_EQ(H::bucket_of(std::nextafter(H::bucket_upper(i), 0.0)), i);
    ASSERT_LT(H::bucket_lower(i), H::bucket_value(i));
    ASSERT_LT(H::bucket_value(i), H::bucket_upper(i));
    if (i + 1 < H::kBuckets) {
      ASSERT_EQ(H::bucket_upper(i), H::bucket_lower(i + 1));
    }
  }
  EXPECT_EQ(H::bucket_lower(0), std::ldexp(1.0, -10));
  EXPECT_EQ(H::bucket_upper(H::kBuckets - 1), std::ldexp(1.0, 40));
  EXPECT_EQ(H::bucket_of(0.0), 0u);
  EXPECT_EQ(H::bucket_of(-5.0), 0u);
  EXPECT_EQ(H::bucket_of(std::nan("")), 0u);
  EXPECT_EQ(H::bucket_of(1e300), H::kBuckets - 1);
  // Values outside the layout count in the end buckets and are reported as
  // those buckets' midpoints; min and max stay exact.
  H h;
  h.add(1e-6);
  h.add(1e15);
  EXPECT_EQ(h.min(), 1e-6);
  EXPECT_EQ(h.max(), 1e15);
  EXPECT_EQ(h.percentile(0), H::bucket_value(0));
  EXPECT_EQ(h.percentile(1), std::ldexp(1.0 + 63.5 / 64, 39));
}

TEST(Histogram, EmptyIsZero) {
  H h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0.0);
  EXPECT_EQ(h.min(), 0.0);
  EXPECT_EQ(h.max(), 0.0);
  EXPECT_EQ(percentile_of(std::vector<double>{}, 0.5), 0.0);
  H other;
  other.add(3);
  h.merge(H());
  EXPECT_EQ(h.count(), 0u);
  h.merge(other);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.min(), 3.0);
  EXPECT_EQ(h.max(), 3.0);
}

std::vector<double> log_uniform(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  std::vector<double> v(n);
  for (auto& x : v) x = std::exp(u(rng));
  return v;
}

TEST(Histogram, MergeIsTheHistogramOfTheUnion) {
  const auto a = log_uniform(5000, 0.05, 2e4, 1);
  const auto b = log_uniform(3000, 1.0, 5e6, 2);
  H ha, hb, all;
  for (double v : a) ha.add(v), all.add(v);
  for (double v : b) hb.add(v), all.add(v);
  H merged = ha;
  merged.merge(hb);
  EXPECT_EQ(merged.counts(), all.counts());
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (double q : {0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0})
    EXPECT_EQ(merged.percentile(q), all.percentile(q)) << q;
  // The other order and a round trip through stored counts agree too.
  H rev = hb;
  rev.merge(ha);
  EXPECT_EQ(rev.counts(), all.counts());
  const H back = H::from_counts(merged.counts(), merged.min(), merged.max());
  EXPECT_EQ(back.count(), all.count());
  EXPECT_EQ(back.percentile(0.99), all.percentile(0.99));
  EXPECT_THROW(H::from_counts(std::vector<std::uint64_t>(10), 0, 1), std::exception);
}

TEST(Histogram, RelativeErrorIsAtMostOneIn128AgainstTheExactNearestRank) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto v = log_uniform(20000, 1e-2, 1e8, seed);
    H h;
    for (double x : v) h.add(x);
    std::sort(v.begin(), v.end());
    double worst = 0;
    for (int i = 0; i <= 1000; ++i) {
      const double q = i / 1000.0;
      const double exact = v[nearest_rank(q, v.size()) - 1];
      ASSERT_EQ(percentile_of(v, q), exact);
      worst = std::max(worst, std::abs(h.percentile(q) - exact) / exact);
    }
    EXPECT_LE(worst, 1.0 / 128) << "seed " << seed;
    EXPECT_GT(worst, 0.0) << "seed " << seed;  // the histogram does round
  }
}

}  // namespace
}  // namespace ringsim
