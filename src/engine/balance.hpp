// Balance of a load vector with statistics: a chi-square test of the
// per-node counts against the strategy's ideal shares, and the peak-to-mean a
// purely random assignment of the same keys to the same nodes would give
// (balls into bins), estimated by Monte Carlo.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace ringsim {

// Pearson's chi-square of counts[i] against expected_i = K w_i / W, K the sum
// of the counts, W the sum of the weights; dof = nodes - 1; p the upper tail
// P(chi2(dof) >= statistic). One node (dof 0): statistic 0, p 1. No counts
// (K = 0): statistic 0, p 1.
struct ChiSquare {
  double statistic = 0;
  std::uint32_t dof = 0;
  double p = 1;
};
ChiSquare chi_square(std::span<const std::uint64_t> counts, std::span<const double> weights);

// The upper tail of the chi-square distribution (Boost.Math).
double chi_square_upper_tail(double statistic, std::uint32_t dof);

// The peak-to-mean of each node's count over its share K w_i / W (the figure
// load_shape computes for a strategy: max_i r_i / mean_i r_i, r_i = X_i / (K
// w_i / W); with equal weights the mean is 1 and this is max_i X_i / (K/n)),
// for X ~ Multinomial(K, w / W), estimated from `replications` independent
// draws, with the standard error of that mean.
struct RandomPeak {
  double mean = 1;  // the estimate of E[peak-to-mean]
  double se = 0;    // its standard error (sample sd / sqrt(replications))
  std::uint32_t replications = 0;
};

inline constexpr std::uint32_t kRandomPeakReplications = 64;
inline constexpr std::uint64_t kRandomPeakSeed = 0x62616c616e636531ull;  // fixed: same every run

// One draw of Binomial(n, p): inversion from 0 for means below 30,
// inversion from the mode outwards up to a mean of 1000 (both exact up to
// double rounding, O(mean + 1) and O(sd) steps), std::binomial_distribution
// above. The same stream gives the same draws on every run of a build.
std::uint64_t binomial_draw(std::uint64_t n, double p, std::mt19937_64& rng);

// One replication: the draw of replication `r` of seed `seed` (conditional
// binomials, O(nodes)), the same whoever computes it. Returns the draw's
// peak-to-mean (1 if K = 0).
double random_peak_draw(std::uint64_t keys, std::span<const double> weights, std::uint64_t seed,
                        std::uint32_t r);

// The estimate on one process.
RandomPeak random_peak_to_mean(std::uint64_t keys, std::span<const double> weights,
                               std::uint32_t replications = kRandomPeakReplications,
                               std::uint64_t seed = kRandomPeakSeed);
// Collective: the same figure, the replications split over the ranks of
// `comm` (replication r on rank r mod size) and combined exactly (one
// allreduce of `replications` doubles, each set by one rank), so the result
// does not depend on the rank count. MPI_COMM_NULL: all on this process.
RandomPeak random_peak_to_mean(std::uint64_t keys, std::span<const double> weights,
                               std::uint32_t replications, std::uint64_t seed, MPI_Comm comm);

// The figures reused between events. Each estimate is made at the point K'
// of a geometric grid of relative step `tolerance` nearest K (K itself while
// a step is less than one key) and carried to K by the law of the excess over
// 1, which scales as 1/sqrt(K/n): mean(K) = 1 + (mean(K') - 1) sqrt(K'/K).
// So the figure depends on (K, weights) alone, never on what was estimated
// before (another strategy, an earlier event, a resumed run), and failures,
// which change K by the keys lost in each strategy, mostly stay in one grid
// cell instead of forcing a new estimate per event and strategy. Equal
// weights are keyed by (node count, K'), so a cluster that returns to a size
// it had reuses its figure; unequal weights keep the last (K', weights).
// tolerance = 0: estimates at K exactly.
inline constexpr double kRandomPeakKeyTolerance = 0.01;
class RandomPeakCache {
 public:
  explicit RandomPeakCache(std::uint32_t replications = kRandomPeakReplications,
                           std::uint64_t seed = kRandomPeakSeed,
                           double tolerance = kRandomPeakKeyTolerance)
      : replications_(replications), seed_(seed), tolerance_(tolerance) {}
  // Collective (every rank passes the same arguments): the cached figure, or
  // a new estimate split over `comm`.
  RandomPeak get(std::uint64_t keys, std::span<const double> weights, MPI_Comm comm);
  std::uint64_t computed() const { return computed_; }  // estimates made (not reused)
  std::uint64_t grid_keys(std::uint64_t keys) const;    // K' for K

 private:
  std::uint32_t replications_;
  std::uint64_t seed_;
  double tolerance_;
  std::uint64_t computed_ = 0;
  // Equal weights: (n, K') -> figure at K'.
  std::map<std::pair<std::uint64_t, std::uint64_t>, RandomPeak> equal_;
  // Unequal weights: the last (K, weights) only.
  std::uint64_t last_keys_ = 0;
  std::vector<double> last_weights_;
  RandomPeak last_;
  bool have_last_ = false;
};

// Fewer keys per active node than this make the balance figures mean little.
inline constexpr double kFewKeysPerNode = 100;

}  // namespace ringsim
