// A mergeable, log-bucketed latency histogram over microseconds (HDR style),
// with one percentile rule shared by processing, the lock benchmark and the
// analysis (analysis/stats.py: percentile, histogram_percentile).
//
// Layout (fixed, the same on every rank and in every file, so histograms are
// summed bucket by bucket with one MPI_Reduce(MPI_UINT64_T, MPI_SUM)):
//   values from 2^kMinExponent us (2^-10 us, about 1 ns) to 2^kMaxExponent us
//   (2^40 us, about 12.7 days); each power of two [2^e, 2^(e+1)) is split into
//   kSubBuckets = 64 buckets of equal width 2^e / 64. Bucket
//     i = (e - kMinExponent) * 64 + j,  0 <= j < 64,
//   covers [2^e (1 + j/64), 2^e (1 + (j+1)/64)); there are 50 * 64 = 3200.
//   Values below the first edge (and negative or NaN values) count in bucket
//   0, values at or above the last edge in the last bucket.
//   The representative value of a bucket is its midpoint, 2^e (1 + (j + 1/2)/64),
//   exact in binary floating point (so C++ and Python compute the same bits).
// Relative error: a value v in [2^-10, 2^40) us and its bucket's midpoint
// differ by at most half a bucket, 2^e / 128 <= v / 128: at most 1/128
// (0.79%) of v. The exact minimum and maximum are kept beside the counts.
//
// Percentile rule (nearest rank), for 0 <= q <= 1 over n > 0 values:
//   k = ceil(q n), where q n is first taken down to the integer below it when
//   it lies within a relative 1e-12 above one (so that 0.07 * 100, which is
//   7.000000000000001 in binary floating point, gives k = 7), then clamped to
//   [1, n]; the percentile is the k-th smallest value (q = 0: the minimum).
//   From a histogram: the representative value of the bucket holding the
//   k-th smallest value, clamped to [min, max]; it lies within the relative
//   error above of the exact k-th smallest value. With n = 0 it is 0 here
//   (NaN in the Python functions).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringsim {

// k of the rule above: the 1-based rank of the q-th percentile of n values
// (0 if n = 0).
std::uint64_t nearest_rank(double q, std::uint64_t n);

// The nearest-rank percentile of raw values (sorted or not); 0 if empty.
double percentile_of(std::span<const double> values, double q);

class LatencyHistogram {
 public:
  static constexpr int kMinExponent = -10;  // first bucket edge: 2^-10 us
  static constexpr int kMaxExponent = 40;   // last bucket edge: 2^40 us
  static constexpr int kSubBuckets = 64;    // per power of two
  static constexpr std::size_t kBuckets =
      static_cast<std::size_t>(kMaxExponent - kMinExponent) * kSubBuckets;

  LatencyHistogram() : counts_(kBuckets, 0) {}

  static std::size_t bucket_of(double us);
  static double bucket_lower(std::size_t i);  // inclusive edge
  static double bucket_upper(std::size_t i);  // exclusive edge
  static double bucket_value(std::size_t i);  // midpoint, the representative value

  void add(double us);
  // This histogram becomes the histogram of both sample sets.
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  double min() const { return count_ ? min_ : 0; }  // exact, microseconds
  double max() const { return count_ ? max_ : 0; }
  // The rule above (0 if empty).
  double percentile(double q) const;
  const std::vector<std::uint64_t>& counts() const { return counts_; }

  // Rebuilds a histogram from stored counts and exact min/max (e.g. a result
  // broadcast or read back). Throws ringsim::Error if counts has the wrong size.
  static LatencyHistogram from_counts(std::vector<std::uint64_t> counts, double min_us,
                                      double max_us);

  // Collective: rank `root` gets the histogram of every rank's samples (one
  // MPI_Reduce of the counts with MPI_SUM, one each for min and max); the
  // other ranks keep theirs unchanged.
  void reduce(int root, MPI_Comm comm);
  // Collective: every rank gets the histogram of every rank's samples.
  void allreduce(MPI_Comm comm);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double min_ = 0, max_ = 0;  // meaningful when count_ > 0
};

}  // namespace ringsim
