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

namespace {
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// 1 / (k + 1) for the first steps of the inversion from 0.
struct Reciprocals {
  double v[128];
  Reciprocals() {
    for (int k = 0; k < 128; ++k) v[k] = 1.0 / (k + 1);
  }
};
const Reciprocals kReciprocal;
}  // namespace

std::uint64_t binomial_draw(std::uint64_t n, double p, std::mt19937_64& rng) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial_draw(n, 1 - p, rng);
  const double nd = static_cast<double>(n), q = 1 - p, mean = nd * p;
  if (mean < 30) {
    // Inversion from 0: P(0) = q^n, then P(k+1) = P(k) (n-k) p / ((k+1) q);
    // about mean + 1 steps.
    double f = std::exp(nd * std::log1p(-p)), u = uniform01(rng);
    const double r = p / q;
    std::uint64_t k = 0;
    while (u >= f && k < n) {
      u -= f;
      f *= static_cast<double>(n - k) * r *
           (k < 128 ? kReciprocal.v[k] : 1.0 / static_cast<double>(k + 1));
      ++k;
      if (f <= 0) break;  // rounding left u beyond the tail: the last k reached
    }
    return k;
  }
  if (mean <= 1000) {
    // Inversion from the mode outwards (the pmf at the mode from lgamma,
    // then down and up alternately): about 1.6 standard deviations of steps.
    const auto m = static_cast<std::uint64_t>(std::floor((nd + 1) * p));
    const double md = static_cast<double>(m);
    const double fm =
        std::exp(std::lgamma(nd + 1) - std::lgamma(md + 1) - std::lgamma(nd - md + 1) +
                 md * std::log(p) + (nd - md) * std::log1p(-p));
    double u = uniform01(rng) - fm;
    if (u < 0) return m;
    const double r = p / q;
    std::uint64_t lo = m, hi = m;
    double flo = fm, fhi = fm;
    while (true) {
      const bool up = hi < n && fhi > 0, down = lo > 0 && flo > 0;
      if (!up && !down) return m;  // rounding: the mass ran out before u
      if (up) {
        fhi *= static_cast<double>(n - hi) / static_cast<double>(hi + 1) * r;
        ++hi;
        u -= fhi;
        if (u < 0) return hi;
      }
      if (down) {
        flo *= static_cast<double>(lo) / (static_cast<double>(n - lo + 1) * r);
        --lo;
        u -= flo;
        if (u < 0) return lo;
      }
    }
  }
  std::binomial_distribution<std::uint64_t> b(n, p);
  return b(rng);
}

namespace {

// What every draw of one (K, weights) shares: each node's probability given
// the nodes before it (w_i / the weight from i on; the last node's is 1) and
// the factor that turns its count into its ratio to the fair share.
struct Shares {
  std::vector<double> conditional, per_key;
  bool equal = false;
};

Shares shares_of(std::uint64_t keys, std::span<const double> weights) {
  Shares s;
  const std::size_t n = weights.size();
  s.equal = std::all_of(weights.begin(), weights.end(), [&](double w) { return w == weights[0]; });
  if (s.equal) return s;
  // Summed from the end, so the last node's conditional probability is exactly 1.
  std::vector<double> rest(n + 1, 0.0);
  for (std::size_t i = n; i-- > 0;) rest[i] = rest[i + 1] + weights[i];
  s.conditional.resize(n);
  s.per_key.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    s.conditional[i] = std::min(1.0, weights[i] / rest[i]);
    s.per_key[i] = rest[0] / (static_cast<double>(keys) * weights[i]);
  }
  return s;
}

double draw(std::uint64_t keys, std::size_t n, const Shares& s, std::uint64_t seed,
            std::uint32_t r) {
  if (keys == 0 || n == 0) return 1.0;
  std::mt19937_64 rng(mix64(seed ^ mix64(0x9e3779b97f4a7c15ull * (std::uint64_t{r} + 1))));
  std::uint64_t left = keys;
  if (s.equal) {
    // Equal shares: the ratios' mean is 1, so the figure is max X_i / (K/n).
    std::uint64_t most = 0;
    for (std::size_t i = 0; i + 1 < n && left > 0; ++i) {
      const std::uint64_t x = binomial_draw(left, 1.0 / static_cast<double>(n - i), rng);
      left -= x;
      most = std::max(most, x);
    }
    most = std::max(most, left);
    return static_cast<double>(most) * static_cast<double>(n) / static_cast<double>(keys);
  }
  double sum = 0, peak = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t x =
        i + 1 < n && left > 0 ? binomial_draw(left, s.conditional[i], rng) : left;
    left -= x;
    const double ratio = static_cast<double>(x) * s.per_key[i];
    sum += ratio;
    peak = std::max(peak, ratio);
  }
  return peak / (sum / static_cast<double>(n));
}

}  // namespace

double random_peak_draw(std::uint64_t keys, std::span<const double> weights, std::uint64_t seed,
                        std::uint32_t r) {
  return draw(keys, weights.size(), shares_of(keys, weights), seed, r);
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
  const Shares s = shares_of(keys, weights);
  for (std::uint32_t r = 0; r < replications; ++r)
    draws[r] = draw(keys, weights.size(), s, seed, r);
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
  const Shares s = shares_of(keys, weights);
  for (std::uint32_t r = static_cast<std::uint32_t>(rank); r < replications;
       r += static_cast<std::uint32_t>(size))
    draws[r] = draw(keys, weights.size(), s, seed, r);
  // Each entry is set by exactly one rank and 0 elsewhere: the sum is exact.
  if (size > 1 && replications > 0)
    MPI_Allreduce(MPI_IN_PLACE, draws.data(), static_cast<int>(replications), MPI_DOUBLE, MPI_SUM,
                  comm);
  return summarise(draws);
}

std::uint64_t RandomPeakCache::grid_keys(std::uint64_t keys) const {
  // Below this, one grid step would be less than a key: estimate at K itself.
  if (tolerance_ <= 0 || static_cast<double>(keys) * tolerance_ < 1.0) return keys;
  const double step = std::log1p(tolerance_);
  const double cell = std::round(std::log(static_cast<double>(keys)) / step);
  return static_cast<std::uint64_t>(std::llround(std::exp(cell * step)));
}

RandomPeak RandomPeakCache::get(std::uint64_t keys, std::span<const double> weights,
                                MPI_Comm comm) {
  // The estimate is made at the grid point K' nearest K and carried to K by
  // the 1/sqrt(K) law of the excess over 1, so that the figure is a function
  // of (K, weights) alone: the same whatever was estimated before (another
  // strategy, an earlier event, a run stopped and resumed).
  const std::uint64_t grid = grid_keys(keys);
  const double scale =
      keys == 0 ? 1.0 : std::sqrt(static_cast<double>(grid) / static_cast<double>(keys));
  auto carried = [&](const RandomPeak& f) {
    RandomPeak out = f;
    out.mean = 1.0 + (f.mean - 1.0) * scale;
    out.se = f.se * scale;
    return out;
  };
  const bool equal =
      std::all_of(weights.begin(), weights.end(), [&](double w) { return w == weights[0]; });
  if (equal) {
    const auto key = std::make_pair(std::uint64_t{weights.size()}, grid);
    auto it = equal_.find(key);
    if (it == equal_.end()) {
      // Equal weights of any value give the same draws as weight 1.
      const std::vector<double> ones(weights.size(), 1.0);
      it = equal_.emplace(key, random_peak_to_mean(grid, ones, replications_, seed_, comm)).first;
      ++computed_;
    }
    return carried(it->second);
  }
  if (!(have_last_ && grid == last_keys_ &&
        std::equal(weights.begin(), weights.end(), last_weights_.begin(), last_weights_.end()))) {
    last_ = random_peak_to_mean(grid, weights, replications_, seed_, comm);
    ++computed_;
    last_keys_ = grid;
    last_weights_.assign(weights.begin(), weights.end());
    have_last_ = true;
  }
  return carried(last_);
}

}  // namespace ringsim
