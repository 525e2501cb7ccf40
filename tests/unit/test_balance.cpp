// Balance statistics: the chi-square test against the ideal shares and the
// balls-into-bins expectation of the peak-to-mean.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/balance.hpp"

namespace ringsim {
namespace {

TEST(ChiSquare, ByHandEqualWeights) {
  // K = 60 over 3 nodes: expected 20 each; (10-20)^2/20 + 0 + (30-20)^2/20 = 10.
  const std::vector<std::uint64_t> counts{10, 20, 30};
  const std::vector<double> w{1, 1, 1};
  const ChiSquare c = chi_square(counts, w);
  EXPECT_DOUBLE_EQ(c.statistic, 10.0);
  EXPECT_EQ(c.dof, 2u);
  // With 2 degrees of freedom the upper tail is exp(-x/2).
  EXPECT_NEAR(c.p, std::exp(-5.0), 1e-12);
}

TEST(ChiSquare, ByHandWeighted) {
  // Shares 1:2 of 60 keys: expected 20 and 40; 100/20 + 100/40 = 7.5, dof 1.
  const std::vector<std::uint64_t> counts{30, 30};
  const std::vector<double> w{1, 2};
  const ChiSquare c = chi_square(counts, w);
  EXPECT_DOUBLE_EQ(c.statistic, 7.5);
  EXPECT_EQ(c.dof, 1u);
  EXPECT_NEAR(c.p, std::erfc(std::sqrt(7.5 / 2)), 1e-12);  // chi2(1) tail = erfc(sqrt(x/2))
}

TEST(ChiSquare, PerfectFitAndOneNode) {
  const std::vector<std::uint64_t> even{25, 25, 25, 25};
  const std::vector<double> w(4, 1.0);
  EXPECT_EQ(chi_square(even, w).statistic, 0.0);
  EXPECT_EQ(chi_square(even, w).p, 1.0);
  const std::vector<std::uint64_t> one{1000};
  const std::vector<double> w1{3.0};
  const ChiSquare c = chi_square(one, w1);
  EXPECT_EQ(c.dof, 0u);
  EXPECT_EQ(c.statistic, 0.0);
  EXPECT_EQ(c.p, 1.0);
}

TEST(ChiSquare, UpperTailAtKnownQuantiles) {
  // Upper 5% and 1% points of chi2(dof) from the standard tables.
  EXPECT_NEAR(chi_square_upper_tail(3.841, 1), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_upper_tail(18.307, 10), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_upper_tail(23.209, 10), 0.01, 1e-4);
  EXPECT_NEAR(chi_square_upper_tail(124.342, 100), 0.05, 1e-4);
  EXPECT_EQ(chi_square_upper_tail(0.0, 10), 1.0);
  EXPECT_EQ(chi_square_upper_tail(5.0, 0), 1.0);
  EXPECT_LT(chi_square_upper_tail(1e6, 10), 1e-300);
}

// Goodness of fit of binomial_draw against the exact pmf: cells with an
// expected count of at least 20, the tails pooled into the end cells.
double binomial_fit_p(std::uint64_t n, double p, int draws, double* mean, double* var) {
  std::mt19937_64 rng(99);
  std::vector<std::uint64_t> x(static_cast<std::size_t>(draws));
  double s = 0, ss = 0;
  for (auto& v : x) {
    v = binomial_draw(n, p, rng);
    s += double(v);
    ss += double(v) * double(v);
  }
  *mean = s / draws;
  *var = ss / draws - *mean * *mean;
  auto pmf = [&](double k) {
    const double nd = double(n);
    return std::exp(std::lgamma(nd + 1) - std::lgamma(k + 1) - std::lgamma(nd - k + 1) +
                    k * std::log(p) + (nd - k) * std::log1p(-p));
  };
  // Cells: [0, lo], lo+1 .. hi-1, [hi, n].
  const double mu = double(n) * p, sd = std::sqrt(mu * (1 - p));
  auto lo = static_cast<std::int64_t>(std::max(0.0, std::floor(mu - 6 * sd)));
  auto hi = static_cast<std::int64_t>(std::min(double(n), std::ceil(mu + 6 * sd)));
  while (lo < hi && pmf(double(lo)) * draws < 20) ++lo;
  while (hi > lo && pmf(double(hi)) * draws < 20) --hi;
  std::vector<double> expected;
  std::vector<std::uint64_t> observed;
  double below = 0;
  for (std::int64_t k = 0; k <= lo; ++k) below += pmf(double(k));
  expected.push_back(below);
  for (std::int64_t k = lo + 1; k < hi; ++k) expected.push_back(pmf(double(k)));
  double rest = 1;
  for (double e : expected) rest -= e;
  expected.push_back(std::max(rest, 0.0));
  observed.assign(expected.size(), 0);
  for (auto v : x) {
    const auto k = static_cast<std::int64_t>(v);
    observed[k <= lo ? 0 : k >= hi ? expected.size() - 1 : static_cast<std::size_t>(k - lo)]++;
  }
  return chi_square(observed, expected).p;
}

TEST(Binomial, DrawsFollowTheBinomialInEveryRegime) {
  // (n, p): inversion from 0 (means 0.5, 6, 29), from the mode (100, 500,
  // 900), p above one half, and the library's sampler (mean 10^5).
  const std::vector<std::pair<std::uint64_t, double>> cases = {
      {50, 0.01},          {20, 0.3},   {290, 0.1}, {1000, 0.1},
      {1'000'000, 0.0005}, {3000, 0.3}, {50, 0.8},  {10'000'000, 0.01}};
  for (const auto& [n, p] : cases) {
    double mean = 0, var = 0;
    const double fit = binomial_fit_p(n, p, 200'000, &mean, &var);
    const double mu = double(n) * p, v = mu * (1 - p);
    EXPECT_NEAR(mean, mu, 5 * std::sqrt(v / 200'000)) << n << " " << p;
    EXPECT_NEAR(var, v, 0.02 * v + 1e-9) << n << " " << p;
    EXPECT_GT(fit, 1e-4) << n << " " << p;
  }
  std::mt19937_64 rng(1);
  EXPECT_EQ(binomial_draw(0, 0.5, rng), 0u);
  EXPECT_EQ(binomial_draw(10, 0.0, rng), 0u);
  EXPECT_EQ(binomial_draw(10, 1.0, rng), 10u);
}

TEST(RandomPeak, OneKeyIsAlwaysNodesTimesMean) {
  // One key: one node holds K = 1, its ratio W / w_i; the others 0. The
  // mean ratio is then W / (n w_i) and peak / mean = n, whatever the weights.
  const std::vector<double> w{1, 3, 0.5};
  const RandomPeak r = random_peak_to_mean(1, w, 32);
  EXPECT_NEAR(r.mean, 3.0, 1e-12);
  EXPECT_NEAR(r.se, 0.0, 1e-12);
  EXPECT_EQ(r.replications, 32u);
}

TEST(RandomPeak, ExactSmallCases) {
  // 2 keys in 2 bins: max 2 with probability 1/2, else 1: E = 1.5.
  // 3 keys in 3 bins: max 3 (3/27), 2 (18/27), 1 (6/27): E = 51/27.
  const std::vector<double> w2(2, 1.0), w3(3, 1.0);
  const RandomPeak a = random_peak_to_mean(2, w2, 8192);
  EXPECT_NEAR(a.mean, 1.5, 4 * a.se);
  EXPECT_NEAR(a.se, 0.5 / std::sqrt(8192.0), 0.001);
  const RandomPeak b = random_peak_to_mean(3, w3, 8192);
  EXPECT_NEAR(b.mean, 51.0 / 27.0, 4 * b.se);
}

// Keys thrown one by one, each to node i with probability w_i / W.
double brute_force(std::uint64_t keys, const std::vector<double>& w, int reps, double* se) {
  std::mt19937_64 rng(12345);
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  double total = 0;
  for (double x : w) total += x;
  std::vector<double> draws;
  for (int r = 0; r < reps; ++r) {
    std::vector<std::uint64_t> c(w.size(), 0);
    for (std::uint64_t k = 0; k < keys; ++k) ++c[pick(rng)];
    double sum = 0, peak = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double ratio = double(c[i]) * total / (double(keys) * w[i]);
      sum += ratio;
      peak = std::max(peak, ratio);
    }
    draws.push_back(peak / (sum / double(w.size())));
  }
  double m = 0, ss = 0;
  for (double x : draws) m += x;
  m /= reps;
  for (double x : draws) ss += (x - m) * (x - m);
  *se = std::sqrt(ss / (reps - 1) / reps);
  return m;
}

TEST(RandomPeak, MatchesBruteForceEqualAndWeighted) {
  for (const std::vector<double>& w :
       {std::vector<double>(40, 1.0), std::vector<double>{1, 2, 3, 4, 0.5, 0.5, 8, 1, 1, 2}}) {
    double se = 0;
    const double brute = brute_force(2000, w, 1500, &se);
    const RandomPeak r = random_peak_to_mean(2000, w, 1500);
    // Two independent estimates of the same mean: within 4 combined standard errors.
    EXPECT_NEAR(r.mean, brute, 4 * std::hypot(se, r.se)) << "nodes " << w.size();
  }
}

TEST(RandomPeak, ManyKeysPerNodeFollowsTheGaussianMaximum) {
  // K >> n log n: X_i ~ lambda + sqrt(lambda) Z_i, so the peak-to-mean is
  // 1 + E[max of n normals] / sqrt(lambda), which the first-order formula
  // 1 + sqrt(2 ln n / lambda) overstates somewhat at finite n (E[max of 100
  // standard normals] = 2.5076 against sqrt(2 ln 100) = 3.035).
  const std::uint32_t n = 100;
  const std::uint64_t keys = 10'000'000;
  const double lambda = double(keys) / n;
  const std::vector<double> w(n, 1.0);
  const RandomPeak r = random_peak_to_mean(keys, w, 512);
  const double excess = (r.mean - 1) * std::sqrt(lambda);
  EXPECT_NEAR(excess, 2.5076, 4 * r.se * std::sqrt(lambda) + 0.02);
  const double first_order = std::sqrt(2 * std::log(double(n)) / lambda);
  EXPECT_GT(r.mean - 1, 0.7 * first_order);
  EXPECT_LT(r.mean - 1, 1.0 * first_order);
}

TEST(RandomPeak, OneKeyPerNodeGrowsLikeLogOverLogLog) {
  // K = n: the fullest of n bins holds about ln n / ln ln n keys (Gonnet
  // 1981: Gamma^-1(n) - 3/2 + o(1), which is 1.4 to 1.7 times the leading
  // term at these n); the peak-to-mean is that count, as the mean is 1.
  for (std::uint32_t n : {1000u, 10000u, 100000u}) {
    const std::vector<double> w(n, 1.0);
    const RandomPeak r = random_peak_to_mean(n, w, 64);
    const double lead = std::log(double(n)) / std::log(std::log(double(n)));
    EXPECT_GT(r.mean / lead, 1.2) << n;
    EXPECT_LT(r.mean / lead, 2.0) << n;
    // Gamma^-1(n) by bisection on lgamma.
    double lo = 1, hi = 50;
    for (int i = 0; i < 100; ++i) {
      const double mid = (lo + hi) / 2;
      (std::lgamma(mid) < std::log(double(n)) ? lo : hi) = mid;
    }
    EXPECT_NEAR(r.mean, lo - 1.5, 0.6) << n;
  }
}

TEST(RandomPeak, DeterministicAndIndependentOfWhoComputesEachDraw) {
  const std::vector<double> w{1, 1, 2, 2, 3};
  const RandomPeak a = random_peak_to_mean(12345, w, 64);
  const RandomPeak b = random_peak_to_mean(12345, w, 64);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.se, b.se);
  // Each draw depends on (seed, replication) alone: computing them in
  // another order (as ranks do) gives the same figures.
  double sum = 0;
  for (std::uint32_t r = 64; r-- > 0;) sum += random_peak_draw(12345, w, kRandomPeakSeed, r);
  EXPECT_NEAR(sum / 64, a.mean, 1e-12);
  const RandomPeak other = random_peak_to_mean(12345, w, 64, kRandomPeakSeed + 1);
  EXPECT_NE(other.mean, a.mean);
}

TEST(RandomPeak, CacheReusesEqualWeightsByKeysAndNodeCount) {
  RandomPeakCache cache(16, kRandomPeakSeed, 0.0);  // exact K only
  const std::vector<double> a(10, 1.0), b(10, 2.0), c(11, 1.0);
  const RandomPeak x = cache.get(5000, a, MPI_COMM_NULL);
  EXPECT_EQ(cache.computed(), 1u);
  const RandomPeak y = cache.get(5000, b, MPI_COMM_NULL);  // equal weights of another value
  EXPECT_EQ(cache.computed(), 1u);
  EXPECT_EQ(x.mean, y.mean);
  cache.get(5000, c, MPI_COMM_NULL);
  cache.get(5001, a, MPI_COMM_NULL);
  EXPECT_EQ(cache.computed(), 3u);
  cache.get(5000, a, MPI_COMM_NULL);  // back to a size seen before
  EXPECT_EQ(cache.computed(), 3u);
  const std::vector<double> u{1, 2, 3};
  const RandomPeak p = cache.get(600, u, MPI_COMM_NULL);
  const RandomPeak q = cache.get(600, u, MPI_COMM_NULL);
  EXPECT_EQ(cache.computed(), 4u);
  EXPECT_EQ(p.mean, q.mean);
  EXPECT_EQ(p.mean, random_peak_to_mean(600, u, 16).mean);
}

// The runner's cache: estimates at the grid point nearest K, carried to K.
// The figure is a function of (K, weights) alone (a resumed run or another
// strategy order gives the same), K in one grid cell reuses the estimate, and
// the carried figure agrees with a fresh estimate at K within its standard
// error.
TEST(RandomPeak, CacheFigureDependsOnKeysAloneAndAgreesWithAFreshEstimate) {
  const std::vector<double> w(1000, 1.0);
  RandomPeakCache a;                // 64 replications, 1% grid
  a.get(990000, w, MPI_COMM_NULL);  // history a fresh cache does not have
  a.get(1030000, w, MPI_COMM_NULL);
  RandomPeakCache fresh;
  for (std::uint64_t k : {1000000ull, 1003000ull, 995000ull, 1020000ull}) {
    const RandomPeak x = a.get(k, w, MPI_COMM_NULL);
    const RandomPeak y = fresh.get(k, w, MPI_COMM_NULL);
    EXPECT_EQ(x.mean, y.mean) << k;
    EXPECT_EQ(x.se, y.se) << k;
    const RandomPeak exact = random_peak_to_mean(k, w);
    EXPECT_NEAR(x.mean, exact.mean, 3 * std::hypot(x.se, exact.se)) << k;
    EXPECT_GT(x.mean, 1.0);
  }
  // Keys in one grid cell share one estimate.
  RandomPeakCache c;
  const std::uint64_t g = c.grid_keys(1000000);
  EXPECT_NEAR(static_cast<double>(g), 1e6, 0.006 * 1e6);
  c.get(g, w, MPI_COMM_NULL);
  c.get(g + 1000, w, MPI_COMM_NULL);
  c.get(g - 1000, w, MPI_COMM_NULL);
  EXPECT_EQ(c.computed(), 1u);
  c.get(g * 103 / 100, w, MPI_COMM_NULL);  // 3% away: another cell
  EXPECT_EQ(c.computed(), 2u);
  // A step below one key: K itself.
  EXPECT_EQ(c.grid_keys(57), 57u);
  EXPECT_EQ(c.grid_keys(0), 0u);
  const std::vector<double> u{1, 2, 3, 4};
  c.get(10000, u, MPI_COMM_NULL);
  c.get(10030, u, MPI_COMM_NULL);
  EXPECT_LE(c.computed(), 4u);
}

}  // namespace
}  // namespace ringsim
