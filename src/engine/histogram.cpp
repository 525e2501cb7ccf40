// The latency histogram and the nearest-rank percentile rule (histogram.hpp).
#include "engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "error.hpp"

namespace ringsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

std::uint64_t nearest_rank(double q, std::uint64_t n) {
  if (n == 0) return 0;
  const double x = q * static_cast<double>(n);
  const double k = std::ceil(x - x * 1e-12);
  if (!(k >= 1)) return 1;  // also NaN
  if (k >= static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(k);
}

double percentile_of(std::span<const double> values, double q) {
  if (values.empty()) return 0;
  std::vector<double> v(values.begin(), values.end());
  const auto k = static_cast<std::ptrdiff_t>(nearest_rank(q, v.size()) - 1);
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[static_cast<std::size_t>(k)];
}

std::size_t LatencyHistogram::bucket_of(double us) {
  constexpr double kLowest = 0x1p-10, kHighest = 0x1p40;
  static_assert(kMinExponent == -10 && kMaxExponent == 40 && kSubBuckets == 64);
  if (!(us >= kLowest)) return 0;  // also negative and NaN
  if (us >= kHighest) return kBuckets - 1;
  // us = (1 + f) 2^e, a normal double here: e is the biased exponent field
  // less 1023, and the top 6 bits of the fraction f are the sub-bucket j.
  const auto bits = std::bit_cast<std::uint64_t>(us);
  const auto e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
  const auto j = static_cast<std::size_t>((bits >> 46) & 0x3F);
  return static_cast<std::size_t>(e - kMinExponent) * kSubBuckets + j;
}

double LatencyHistogram::bucket_lower(std::size_t i) {
  const int e = static_cast<int>(i / kSubBuckets) + kMinExponent;
  const double j = static_cast<double>(i % kSubBuckets);
  return std::ldexp(1.0 + j / kSubBuckets, e);
}

double LatencyHistogram::bucket_upper(std::size_t i) {
  const int e = static_cast<int>(i / kSubBuckets) + kMinExponent;
  const double j = static_cast<double>(i % kSubBuckets);
  return std::ldexp(1.0 + (j + 1) / kSubBuckets, e);
}

double LatencyHistogram::bucket_value(std::size_t i) {
  const int e = static_cast<int>(i / kSubBuckets) + kMinExponent;
  const double j = static_cast<double>(i % kSubBuckets);
  return std::ldexp(1.0 + (j + 0.5) / kSubBuckets, e);
}

void LatencyHistogram::add(double us) {
  ++counts_[bucket_of(us)];
  if (count_ == 0) {
    min_ = max_ = us;
  } else {
    min_ = std::min(min_, us);
    max_ = std::max(max_, us);
  }
  ++count_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
}

double LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const std::uint64_t k = nearest_rank(q, count_);
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= k) break;
  }
  return std::clamp(bucket_value(std::min(i, kBuckets - 1)), min_, max_);
}

LatencyHistogram LatencyHistogram::from_counts(std::vector<std::uint64_t> counts, double min_us,
                                               double max_us) {
  if (counts.size() != kBuckets)
    throw Error("latency histogram: " + std::to_string(counts.size()) + " bucket counts, not " +
                std::to_string(kBuckets));
  LatencyHistogram h;
  h.counts_ = std::move(counts);
  for (auto c : h.counts_) h.count_ += c;
  h.min_ = min_us;
  h.max_ = max_us;
  return h;
}

void LatencyHistogram::reduce(int root, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const double lo = count_ ? min_ : kInf, hi = count_ ? max_ : -kInf;
  double gmin = kInf, gmax = -kInf;
  std::vector<std::uint64_t> sum(rank == root ? kBuckets : 0);
  MPI_Reduce(counts_.data(), rank == root ? sum.data() : nullptr, static_cast<int>(kBuckets),
             MPI_UINT64_T, MPI_SUM, root, comm);
  MPI_Reduce(&lo, &gmin, 1, MPI_DOUBLE, MPI_MIN, root, comm);
  MPI_Reduce(&hi, &gmax, 1, MPI_DOUBLE, MPI_MAX, root, comm);
  if (rank == root) *this = from_counts(std::move(sum), gmin, gmax);
}

void LatencyHistogram::allreduce(MPI_Comm comm) {
  const double lo = count_ ? min_ : kInf, hi = count_ ? max_ : -kInf;
  double gmin = kInf, gmax = -kInf;
  std::vector<std::uint64_t> sum(kBuckets);
  MPI_Allreduce(counts_.data(), sum.data(), static_cast<int>(kBuckets), MPI_UINT64_T, MPI_SUM,
                comm);
  MPI_Allreduce(&lo, &gmin, 1, MPI_DOUBLE, MPI_MIN, comm);
  MPI_Allreduce(&hi, &gmax, 1, MPI_DOUBLE, MPI_MAX, comm);
  *this = from_counts(std::move(sum), gmin, gmax);
}

}  // namespace ringsim
