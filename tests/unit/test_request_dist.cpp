// YCSB's request distributions (src/workload/request_dist): sampled Zipf
// frequencies against the exact probabilities (chi-square, a fixed seed and a
// p-value threshold of 1e-4, so that a correct sampler cannot fail it, while
// a wrong exponent is rejected), scrambling that spreads the hot ranks,
// latest favouring the newest keys, hotspot's fractions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "workload/request_dist.hpp"

namespace ringsim {
namespace {

// The uniform inputs of the tests: a fixed seed, as the processing stage's
// hash(seed, round, rank, j).
std::uint64_t input(std::uint64_t j) { return hash_pair(20260, j, 0x7465737473ULL); }

// Upper critical value of chi-square with `dof` degrees of freedom at p =
// 1e-4 (Wilson-Hilferty: within 1% of the exact quantile for dof >= 30).
double chi2_critical_1e4(double dof) {
  const double z = 3.7190;  // the standard normal's upper 1e-4 quantile
  const double a = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

// Exact Zipf probabilities of ranks 1..n with exponent s.
std::vector<double> zipf_probabilities(std::uint64_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  for (std::uint64_t k = 1; k <= n; ++k) sum += p[k - 1] = std::pow(static_cast<double>(k), -s);
  for (double& x : p) x /= sum;
  return p;
}

double chi2(const std::vector<std::uint64_t>& counts, const std::vector<double>& p,
            std::uint64_t draws) {
  double c = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double e = p[i] * static_cast<double>(draws);
    c += (static_cast<double>(counts[i]) - e) * (static_cast<double>(counts[i]) - e) / e;
  }
  return c;
}

std::vector<std::uint64_t> rank_counts(const ZipfRanks& z, std::uint64_t draws) {
  std::vector<std::uint64_t> counts(z.n(), 0);
  for (std::uint64_t j = 0; j < draws; ++j) {
    const std::uint64_t k = z.sample(input(j));
    EXPECT_GE(k, 1u);
    EXPECT_LE(k, z.n());
    ++counts[k - 1];
  }
  return counts;
}

TEST(RequestDist, ZipfFrequenciesMatchTheExactProbabilities) {
  const std::uint64_t n = 1000, draws = 300000;  // every expected count > 30
  for (double s : {0.99, 0.5, 1.0, 1.5}) {
    const ZipfRanks z(n, s);
    const std::vector<std::uint64_t> counts = rank_counts(z, draws);
    const double stat = chi2(counts, zipf_probabilities(n, s), draws);
    EXPECT_LT(stat, chi2_critical_1e4(static_cast<double>(n - 1))) << "s = " << s;
  }
}

TEST(RequestDist, ChiSquareRejectsADeliberatelyWrongExponent) {
  const std::uint64_t n = 1000, draws = 300000;
  const std::vector<std::uint64_t> counts = rank_counts(ZipfRanks(n, 0.99), draws);
  for (double wrong : {0.95, 1.03})
    EXPECT_GT(chi2(counts, zipf_probabilities(n, wrong), draws),
              chi2_critical_1e4(static_cast<double>(n - 1)))
        << "the samples of s = 0.99 pass as s = " << wrong;
}

TEST(RequestDist, SmallAndHugeItemCounts) {
  const ZipfRanks one(1, 0.99);
  for (std::uint64_t j = 0; j < 100; ++j) EXPECT_EQ(one.sample(input(j)), 1u);
  // n = 2: P(1) = 1 / (1 + 2^-s).
  const ZipfRanks two(2, 0.99);
  std::uint64_t ones = 0;
  const std::uint64_t draws = 200000;
  for (std::uint64_t j = 0; j < draws; ++j) ones += two.sample(input(j)) == 1 ? 1 : 0;
  const double p1 = 1.0 / (1.0 + std::pow(2.0, -0.99));
  const double sd = std::sqrt(p1 * (1 - p1) * static_cast<double>(draws));
  EXPECT_LT(std::fabs(static_cast<double>(ones) - p1 * static_cast<double>(draws)), 6 * sd);
  // n = 2^40: the most popular rank's share against H(n, s) by Euler-Maclaurin.
  const std::uint64_t n = kMaxRequestItems;
  const double s = 0.99, nd = static_cast<double>(n);
  const double h = (std::pow(nd, 1 - s) - 1) / (1 - s) + 0.5 * (1 + std::pow(nd, -s)) +
                   s / 12 * (1 - std::pow(nd, -s - 1));
  const ZipfRanks big(n, s);
  std::uint64_t top = 0, below = 0;
  for (std::uint64_t j = 0; j < draws; ++j) {
    const std::uint64_t k = big.sample(input(j));
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    top += k == 1 ? 1 : 0;
    below += k <= 1000 ? 1 : 0;
  }
  const double p = 1 / h, sdt = std::sqrt(p * (1 - p) * static_cast<double>(draws));
  EXPECT_LT(std::fabs(static_cast<double>(top) - p * static_cast<double>(draws)), 6 * sdt);
  EXPECT_LT(below, draws);  // ranks far beyond 1000 are drawn too
}

TEST(RequestDist, ScrambledZipfianSpreadsTheTopRanksOverTheKeySpace) {
  const std::uint64_t n = 100000;
  RequestDistParams p;
  p.name = "zipfian";
  const RequestDistribution scrambled = make_request_distribution(p, n);
  p.scrambled = false;
  const RequestDistribution plain = make_request_distribution(p, n);
  // The same input: index = perm(rank), a bijection.
  std::map<std::uint64_t, std::uint64_t> index_of_rank, rank_of_index;
  for (std::uint64_t j = 0; j < 100000; ++j) {
    const std::uint64_t r = plain.sample(input(j)), i = scrambled.sample(input(j));
    ASSERT_LT(i, n);
    const auto [a, fresh_a] = index_of_rank.emplace(r, i);
    const auto [b, fresh_b] = rank_of_index.emplace(i, r);
    EXPECT_EQ(a->second, i);
    EXPECT_EQ(b->second, r);
  }
  // The 100 hottest ranks are spread: not bunched at the start (where the
  // unscrambled ones are), in every tenth of the key space.
  std::set<std::uint64_t> tenths;
  std::uint64_t low = 0;
  for (std::uint64_t r = 0; r < 100; ++r) {
    if (!index_of_rank.count(r)) continue;
    tenths.insert(index_of_rank[r] * 10 / n);
    low += index_of_rank[r] < 1000 ? 1 : 0;
  }
  EXPECT_EQ(tenths.size(), 10u);
  EXPECT_LT(low, 10u);
  // Another seed, another permutation.
  RequestDistParams q;
  q.scramble_seed = 1;
  const RequestDistribution other = make_request_distribution(q, n);
  std::uint64_t same = 0;
  for (std::uint64_t j = 0; j < 1000; ++j)
    same += other.sample(input(j)) == scrambled.sample(input(j)) ? 1 : 0;
  EXPECT_LT(same, 100u);
}

TEST(RequestDist, IndexPermutationIsABijectionForAnyCount) {
  for (std::uint64_t n : {1ULL, 2ULL, 3ULL, 17ULL, 1000ULL, 4097ULL}) {
    const IndexPermutation perm(n, 5);
    std::set<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t y = perm(i);
      EXPECT_LT(y, n);
      seen.insert(y);
    }
    EXPECT_EQ(seen.size(), n);
  }
}

TEST(RequestDist, LatestFavoursTheNewestKeys) {
  const std::uint64_t n = 1000, draws = 300000;
  RequestDistParams p;
  p.name = "latest";
  const RequestDistribution d = make_request_distribution(p, n);
  std::vector<std::uint64_t> by_age(n, 0);  // by_age[a]: index n - 1 - a
  for (std::uint64_t j = 0; j < draws; ++j) {
    const std::uint64_t i = d.sample(input(j));
    ASSERT_LT(i, n);
    ++by_age[n - 1 - i];
  }
  EXPECT_EQ(std::max_element(by_age.begin(), by_age.end()) - by_age.begin(), 0);
  EXPECT_LT(chi2(by_age, zipf_probabilities(n, 0.99), draws),
            chi2_critical_1e4(static_cast<double>(n - 1)));
}

TEST(RequestDist, HotspotGivesTheHotSetItsFractionOfRequests) {
  const std::uint64_t n = 10000, draws = 200000;
  RequestDistParams p;
  p.name = "hotspot";
  p.hot_set_fraction = 0.2;
  p.hot_opn_fraction = 0.8;
  const RequestDistribution d = make_request_distribution(p, n);
  std::uint64_t hot = 0;
  std::vector<std::uint64_t> hot_tenths(10, 0), cold_tenths(10, 0);
  for (std::uint64_t j = 0; j < draws; ++j) {
    const std::uint64_t i = d.sample(input(j));
    ASSERT_LT(i, n);
    if (i < 2000) {
      ++hot;
      ++hot_tenths[i / 200];
    } else {
      ++cold_tenths[(i - 2000) / 800];
    }
  }
  const double sd = std::sqrt(0.8 * 0.2 * static_cast<double>(draws));
  EXPECT_LT(std::fabs(static_cast<double>(hot) - 0.8 * static_cast<double>(draws)), 6 * sd);
  // Uniform within each set (chi-square over tenths of it, 9 dof: 33.7 at 1e-4).
  const std::vector<double> tenth(10, 0.1);
  EXPECT_LT(chi2(hot_tenths, tenth, hot), 33.7);
  EXPECT_LT(chi2(cold_tenths, tenth, draws - hot), 33.7);
  // Edge fractions: everything hot, nothing hot.
  p.hot_set_fraction = 1.0;
  const RequestDistribution all = make_request_distribution(p, n);
  p.hot_set_fraction = 0.0;
  const RequestDistribution none = make_request_distribution(p, n);
  for (std::uint64_t j = 0; j < 1000; ++j) {
    EXPECT_LT(all.sample(input(j)), n);
    EXPECT_LT(none.sample(input(j)), n);
  }
}

TEST(RequestDist, UniformCoversEveryIndexAlike) {
  const std::uint64_t n = 100, draws = 100000;
  RequestDistParams p;
  p.name = "uniform";
  const RequestDistribution d = make_request_distribution(p, n);
  std::vector<std::uint64_t> counts(n, 0);
  for (std::uint64_t j = 0; j < draws; ++j) ++counts[d.sample(input(j))];
  EXPECT_LT(chi2(counts, std::vector<double>(n, 1.0 / n), draws), chi2_critical_1e4(99));
}

TEST(RequestDist, SampleIsAPureFunctionOfItsInput) {
  RequestDistParams p;
  const RequestDistribution a = make_request_distribution(p, 1u << 20);
  const RequestDistribution b = make_request_distribution(p, 1u << 20);
  for (std::uint64_t j = 0; j < 1000; ++j) EXPECT_EQ(a.sample(input(j)), b.sample(input(j)));
}

TEST(RequestDist, BadParametersAreNamed) {
  const auto error = [](RequestDistParams p, std::uint64_t n) {
    try {
      make_request_distribution(p, n);
    } catch (const Error& err) {
      return std::string(err.what());
    }
    return std::string();
  };
  RequestDistParams p;
  p.name = "pareto";
  EXPECT_EQ(error(p, 10),
            "request distribution: must be \"uniform\", \"zipfian\", \"latest\" or "
            "\"hotspot\", got \"pareto\"");
  p = {};
  p.zipfian_constant = 0;
  EXPECT_EQ(error(p, 10),
            "request distribution zipfian: zipfian_constant must be > 0 and <= 10, got 0.000000");
  p = {};
  EXPECT_EQ(error(p, 0),
            "request distribution zipfian: the item count must be in [1, 2^40], got 0");
  EXPECT_NE(error(p, kMaxRequestItems + 1).find("must be in [1, 2^40]"), std::string::npos);
  p.name = "hotspot";
  p.hot_opn_fraction = 1.5;
  EXPECT_EQ(error(p, 10),
            "request distribution hotspot: hot_opn_fraction must be in [0, 1], got 1.500000");
}

}  // namespace
}  // namespace ringsim
