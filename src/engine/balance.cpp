#include "engine/balance.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <random>

#include "hash.hpp"

namespace ringsim {

double chi_square_upper_tail(double statistic, std::uint32_t dof) {
  if (dof == 0) return 1.0;
  if (!(statistic > 0)) return 1.0;
  if (std::isinf(statistic)) return 0.0;
  const boost::math::chi_squared_distribution<double> d(static_cast<double>(dof));
  return boost::math::cdf(boost::math::complement(d, statistic));
}

ChiSquare chi_square(std::span<const std::uint64_t> counts, std::span<const double> weights) {
  ChiSquare c;
  if (counts.empty()) return c;
  c.dof = static_cast<std::uint32_t>(counts.size() - 1);
  double keys = 0, total_weight = 0;
  for (auto x : counts) keys += static_cast<double>(x);
  for (double w : weights) total_weight += w;
  if (keys == 0 || c.dof == 0) return c;
  double stat = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double expected = keys * weights[i] / total_weight;
    const double d = static_cast<double>(counts[i]) - expected;
    stat += d * d / expected;
  }
  c.statistic = stat;
  c.p = chi_square_upper_tail(stat, c.dof);
  return c;
}

double random_peak_draw(std::uint64_t keys, std::span<const double> weights, std::uint64_t seed,
                        std::uint32_t r) {
  const std::size_t n = weights.size();
  if (keys == 0 || n == 0) return 1.0;
  // The weight still to come at each position (summed from the end, so
  // the last node's conditional probability is exactly 1).
  std::vector<double> rest(n + 1, 0.0);
  for (std::size_t i = n; i-- > 0;) rest[i] = rest[i + 1] + weights[i];
  const double total_weight = rest[0];
  std::mt19937_64 rng(mix64(seed ^ mix64(0x9e3779b97f4a7c15ull * (std::uint64_t{r} + 1))));
  std::uint64_t left = keys;
  double sum = 0, peak = 0;
  const double k = static_cast<double>(keys);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t x = left;
    if (i + 1 < n && left > 0) {
      const double p = std::min(1.0, weights[i] / rest[i]);
      std::binomial_distribution<std::uint64_t> b(left, p);
      x = b(rng);
    }
    left -= x;
    const double ratio = static_cast<double>(x) * total_weight / (k * weights[i]);
    sum += ratio;
    peak = std::max(peak, ratio);
  }
  return peak / (sum / static_cast<double>(n));
}

namespace {
RandomPeak summarise(const std::vector<double>& draws) {
  RandomPeak out;
  out.replications = static_cast<std::uint32_t>(draws.size());
  if (draws.empty()) return out;
  double s = 0;
  for (double x : draws) s += x;
  const double n = static_cast<double>(draws.size());
  out.mean = s / n;
  if (draws.size() > 1) {
    double ss = 0;
    for (double x : draws) ss += (x - out.mean) * (x - out.mean);
    out.se = std::sqrt(ss / (n - 1) / n);
  }
  return out;
}
}  // namespace

RandomPeak random_peak_to_mean(std::uint64_t keys, std::span<const double> weights,
                               std::uint32_t replications, std::uint64_t seed) {
  std::vector<double> draws(replications);
  for (std::uint32_t r = 0; r < replications; ++r)
    draws[r] = random_peak_draw(keys, weights, seed, r);
  return summarise(draws);
}

RandomPeak random_peak_to_mean(std::uint64_t keys, std::span<const double> weights,
                               std::uint32_t replications, std::uint64_t seed, MPI_Comm comm) {
  int rank = 0, size = 1;
  if (comm != MPI_COMM_NULL) {
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
  }
  std::vector<double> draws(replications, 0.0);
  for (std::uint32_t r = static_cast<std::uint32_t>(rank); r < replications;
       r += static_cast<std::uint32_t>(size))
    draws[r] = random_peak_draw(keys, weights, seed, r);
  // Each entry is set by exactly one rank and 0 elsewhere: the sum is exact.
  if (size > 1 && replications > 0)
    MPI_Allreduce(MPI_IN_PLACE, draws.data(), static_cast<int>(replications), MPI_DOUBLE, MPI_SUM,
                  comm);
  return summarise(draws);
}

RandomPeak RandomPeakCache::get(std::uint64_t keys, std::span<const double> weights,
                                MPI_Comm comm) {
  const bool equal =
      std::all_of(weights.begin(), weights.end(), [&](double w) { return w == weights[0]; });
  if (equal) {
    const auto key = std::make_pair(keys, std::uint64_t{weights.size()});
    auto it = equal_.find(key);
    if (it != equal_.end()) return it->second;
    // Equal weights of any value give the same draws as weight 1.
    const std::vector<double> ones(weights.size(), 1.0);
    const RandomPeak f = random_peak_to_mean(keys, ones, replications_, seed_, comm);
    ++computed_;
    equal_.emplace(key, f);
    return f;
  }
  if (have_last_ && keys == last_keys_ &&
      std::equal(weights.begin(), weights.end(), last_weights_.begin(), last_weights_.end()))
    return last_;
  last_ = random_peak_to_mean(keys, weights, replications_, seed_, comm);
  ++computed_;
  last_keys_ = keys;
  last_weights_.assign(weights.begin(), weights.end());
  have_last_ = true;
  return last_;
}

}  // namespace ringsim
