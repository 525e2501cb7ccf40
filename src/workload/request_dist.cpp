#include "workload/request_dist.hpp"

#include <cmath>

#include "error.hpp"
#include "hash.hpp"

namespace ringsim {

namespace {

constexpr std::uint64_t kRetrySalt = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kPermSalt = 0x7065726d75746521ULL;  // "permute!"
constexpr std::uint64_t kHotSalt = 0x686f7473706f7421ULL;   // "hotspot!"

// log1p(x) / x, continuous at 0.
double log1p_over(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double expm1_over(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

}  // namespace

std::uint64_t scale_to(std::uint64_t u, std::uint64_t m) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<u128>(u) * m) >> 64);
}

// --- Zipf ranks by rejection-inversion ---------------------------------------
//
// h(x) = x^-s is the density of the ranks; H(x) = (x^(1-s) - 1) / (1 - s) its
// integral from 1 (log x for s = 1). A point y uniform in (H(1.5) - h(1),
// H(n + 0.5)] is inverted, x = H^-1(y), and rounded to the rank k nearest x:
// k is accepted when y falls in the part of [H(k - 1/2), H(k + 1/2)] of
// width h(k) that rank k owns, which makes P(k) proportional to h(k)
// exactly. Most draws are accepted without evaluating H(k + 1/2): those
// with k - x <= squeeze (the paper's constant s), which always lie there.

ZipfRanks::ZipfRanks(std::uint64_t n, double s) : n_(n), s_(s) {
  h_x1_ = big_h(1.5) - 1.0;
  h_n_ = big_h(static_cast<double>(n) + 0.5);
  squeeze_ = 2.0 - big_h_inverse(big_h(2.5) - h(2.0));
}

double ZipfRanks::h(double x) const { return std::exp(-s_ * std::log(x)); }

double ZipfRanks::big_h(double x) const {
  const double lx = std::log(x);
  return expm1_over((1.0 - s_) * lx) * lx;
}

double ZipfRanks::big_h_inverse(double y) const {
  double t = y * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // rounding at the lower end
  return std::exp(log1p_over(t) * y);
}

std::uint64_t ZipfRanks::sample(std::uint64_t u) const {
  if (n_ == 1) return 1;
  const double top = static_cast<double>(n_);
  std::uint64_t k = 1;
  // Each try accepts with probability above 0.5 (in practice about 0.9 and
  // more): a thousand rejections in a row never happen.
  for (int tries = 0; tries < 1000; ++tries) {
    // y uniform in (h_x1_, h_n_]: 1 - unit_interval is in (0, 1].
    const double y = h_n_ + (1.0 - unit_interval(u)) * (h_x1_ - h_n_);
    const double x = big_h_inverse(y);
    double kd = std::floor(x + 0.5);
    if (kd < 1.0) kd = 1.0;
    if (kd > top) kd = top;
    k = static_cast<std::uint64_t>(kd);
    if (kd - x <= squeeze_ || y >= big_h(kd + 0.5) - h(kd)) return k;
    u = mix64(u + kRetrySalt);
  }
  return k;
}

// --- a permutation of [0, n) ---------------------------------------------------

IndexPermutation::IndexPermutation(std::uint64_t n, std::uint64_t seed) : n_(n) {
  unsigned bits = 1;
  while (bits < 64 && (std::uint64_t{1} << bits) < n) ++bits;
  half_ = (bits + 1) / 2;
  mask_ = (std::uint64_t{1} << half_) - 1;
  for (int i = 0; i < 4; ++i) keys_[i] = hash_pair(seed, static_cast<std::uint64_t>(i), kPermSalt);
}

std::uint64_t IndexPermutation::once(std::uint64_t x) const {
  std::uint64_t left = x >> half_, right = x & mask_;
  for (const std::uint64_t key : keys_) {
    const std::uint64_t f = mix64(right ^ key) & mask_;
    const std::uint64_t next = left ^ f;
    left = right;
    right = next;
  }
  return (left << half_) | right;
}

std::uint64_t IndexPermutation::operator()(std::uint64_t i) const {
  // The cycle of the permutation of [0, 2^(2 half)) through i < n comes back
  // into [0, n): walk it to the first member below n.
  std::uint64_t y = once(i);
  while (y >= n_) y = once(y);
  return y;
}

// --- the distributions ------------------------------------------------------------

RequestDistribution::RequestDistribution(RequestDistKind kind, std::uint64_t n,
                                         const RequestDistParams& p)
    : kind_(kind), n_(n) {
  if (kind == RequestDistKind::kZipfian || kind == RequestDistKind::kLatest)
    zipf_ = ZipfRanks(n, p.zipfian_constant);
  if (kind == RequestDistKind::kZipfian && p.scrambled) {
    scrambled_ = true;
    perm_ = IndexPermutation(n, p.scramble_seed);
  }
  if (kind == RequestDistKind::kHotspot) {
    hot_ = static_cast<std::uint64_t>(static_cast<double>(n) * p.hot_set_fraction);
    if (hot_ > n) hot_ = n;
    hot_ops_ = p.hot_opn_fraction;
  }
}

std::uint64_t RequestDistribution::sample(std::uint64_t u) const {
  switch (kind_) {
    case RequestDistKind::kUniform:
      return scale_to(u, n_);
    case RequestDistKind::kZipfian: {
      const std::uint64_t rank = zipf_.sample(u) - 1;
      return scrambled_ ? perm_(rank) : rank;
    }
    case RequestDistKind::kLatest:
      return n_ - zipf_.sample(u);
    case RequestDistKind::kHotspot: {
      const std::uint64_t v = mix64(u ^ kHotSalt);
      const bool hot = hot_ == n_ || (hot_ > 0 && unit_interval(u) < hot_ops_);
      return hot ? scale_to(v, hot_) : hot_ + scale_to(v, n_ - hot_);
    }
  }
  return 0;
}

RequestDistribution make_request_distribution(const RequestDistParams& p, std::uint64_t n) {
  const std::string at = "request distribution " + p.name + ": ";
  if (n < 1 || n > kMaxRequestItems)
    throw Error(at + "the item count must be in [1, 2^40], got " + std::to_string(n));
  const auto fraction = [&](double f, const char* what) {
    if (!(f >= 0.0 && f <= 1.0))
      throw Error(at + what + " must be in [0, 1], got " + std::to_string(f));
  };
  if (p.name == "uniform") return RequestDistribution(RequestDistKind::kUniform, n, p);
  if (p.name == "zipfian" || p.name == "latest") {
    if (!(p.zipfian_constant > 0.0 && p.zipfian_constant <= 10.0))
      throw Error(at + "zipfian_constant must be > 0 and <= 10, got " +
                  std::to_string(p.zipfian_constant));
    return RequestDistribution(
        p.name == "zipfian" ? RequestDistKind::kZipfian : RequestDistKind::kLatest, n, p);
  }
  if (p.name == "hotspot") {
    fraction(p.hot_set_fraction, "hot_set_fraction");
    fraction(p.hot_opn_fraction, "hot_opn_fraction");
    return RequestDistribution(RequestDistKind::kHotspot, n, p);
  }
  throw Error(
      "request distribution: must be \"uniform\", \"zipfian\", \"latest\" or \"hotspot\", "
      "got \"" +
      p.name + "\"");
}

}  // namespace ringsim
