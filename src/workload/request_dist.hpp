// Request distributions as YCSB defines them (Cooper et al., "Benchmarking
// Cloud Serving Systems with YCSB", SoCC 2010, and YCSB's generators): which
// key index in [0, n) a request names. Each is a small value set up in O(1)
// (no table per key, valid up to n = 2^40) whose sample() is a pure function
// of one 64-bit uniform input, so that every rank draws the same request for
// the same input (the processing stage's hash(seed, round, rank, j)).
//
//   uniform   every index alike.
//   zipfian   index ranks Zipf-distributed, rank k (from 1) with probability
//             k^-s / H(n, s), s = zipfian_constant (0.99 by default, as YCSB).
//             Sampled exactly by rejection-inversion (Hoermann and Derflinger,
//             "Rejection-inversion to generate variates from monotone
//             discrete distributions", ACM TOMACS 1996): no approximation of
//             the probabilities, about 1.1 uniforms a sample. Scrambled by
//             default, as YCSB's zipfian: rank k is index perm(k - 1) for a
//             seeded permutation of [0, n), so that the hot keys are spread
//             over the key space instead of being its first indices;
//             scrambled = false gives index k - 1.
//   latest    zipfian over recency: index n - k, the newest (largest) index
//             the most requested, as YCSB's latest over the inserted keys.
//   hotspot   a fraction hot_set_fraction of the indices (the first ones)
//             gets hot_opn_fraction of the requests, uniformly within the hot
//             set and within the rest (YCSB's defaults 0.2 and 0.8).
//
// Use (for the processing stage):
//   RequestDistParams p;            // or set name, zipfian_constant, ...
//   p.name = "zipfian";
//   const RequestDistribution d = make_request_distribution(p, keys.count);
//   std::uint64_t index = d.sample(hash_pair(seed, round * ranks + rank, j));
// make_request_distribution throws ringsim::Error naming a bad parameter
// ("request distribution: zipfian_constant must be > 0 and <= 10, got 0").
#pragma once

#include <cstdint>
#include <string>

namespace ringsim {

enum class RequestDistKind { kUniform, kZipfian, kLatest, kHotspot };

struct RequestDistParams {
  std::string name = "zipfian";  // uniform | zipfian | latest | hotspot
  double zipfian_constant = 0.99;
  bool scrambled = true;            // zipfian only
  std::uint64_t scramble_seed = 0;  // zipfian only: which permutation
  double hot_set_fraction = 0.2;    // hotspot
  double hot_opn_fraction = 0.8;    // hotspot
};

// The largest item count the distributions are made for.
constexpr std::uint64_t kMaxRequestItems = std::uint64_t{1} << 40;

// Zipf ranks 1..n with probability k^-s / H(n, s), by rejection-inversion.
class ZipfRanks {
 public:
  ZipfRanks() = default;
  ZipfRanks(std::uint64_t n, double s);
  // A rank in [1, n] from the uniform 64-bit input `u` (and, on rejection,
  // inputs derived from it by mixing).
  std::uint64_t sample(std::uint64_t u) const;
  std::uint64_t n() const { return n_; }
  double exponent() const { return s_; }

 private:
  double big_h(double x) const;  // the integral of h from 1 to x
  double big_h_inverse(double y) const;
  double h(double x) const;  // x^-s
  std::uint64_t n_ = 1;
  double s_ = 0.99;
  double h_x1_ = 0, h_n_ = 0, squeeze_ = 0;
};

// A seeded permutation of [0, n): a 4-round Feistel network on the smallest
// even bit width that holds n, cycle-walked into [0, n) (fewer than 4 steps
// on average).
class IndexPermutation {
 public:
  IndexPermutation() = default;
  IndexPermutation(std::uint64_t n, std::uint64_t seed);
  std::uint64_t operator()(std::uint64_t i) const;

 private:
  std::uint64_t once(std::uint64_t x) const;
  std::uint64_t n_ = 1, keys_[4] = {0, 0, 0, 0};
  unsigned half_ = 1;
  std::uint64_t mask_ = 1;
};

class RequestDistribution {
 public:
  RequestDistribution(RequestDistKind kind, std::uint64_t n, const RequestDistParams& p);
  // The key index, in [0, n), that the request with uniform input `u` names.
  std::uint64_t sample(std::uint64_t u) const;
  RequestDistKind kind() const { return kind_; }
  std::uint64_t n() const { return n_; }

 private:
  RequestDistKind kind_;
  std::uint64_t n_;
  bool scrambled_ = false;
  ZipfRanks zipf_;
  IndexPermutation perm_;
  std::uint64_t hot_ = 0;
  double hot_ops_ = 0;
};

// From a name and parameters, for n items (1 <= n <= kMaxRequestItems).
RequestDistribution make_request_distribution(const RequestDistParams& p, std::uint64_t n);

// A uniform double in [0, 1) from the top 53 bits of `u`.
inline double unit_interval(std::uint64_t u) { return static_cast<double>(u >> 11) * 0x1.0p-53; }

// floor(u * m / 2^64): a uniform integer in [0, m) from a uniform 64-bit u.
std::uint64_t scale_to(std::uint64_t u, std::uint64_t m);

}  // namespace ringsim
