// One timer for the phases of a redistribution, reduced the way IOR reduces
// its phases. Every rank records the start and end of each phase, relative
// to the moment it left the barrier that follows the strategy update (so
// clocks need not agree across hosts). The reduction gives, per phase, the
// span max(end) - min(start) over ranks (the wall time during which some rank
// was in the phase) and the imbalance max / mean of the per-rank durations;
// the event's migration time is the critical path max(end of the last phase)
// - min(start of the first). Per-phase figures are never summed.
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>

namespace ringsim {

enum class Phase : std::size_t { kPlan, kCounts, kPack, kExchange, kApply };
inline constexpr std::size_t kPhases = 5;
inline constexpr std::array<const char*, kPhases> kPhaseNames = {"plan", "counts", "pack",
                                                                 "exchange", "apply"};

// Per phase over ranks: seconds and a ratio.
struct PhaseSpan {
  double span = 0;       // max(end) - min(start) over ranks, seconds
  double imbalance = 1;  // max / mean of the per-rank durations (1 when all are 0)
  double max_local = 0;  // the longest per-rank duration, seconds
};

struct PhaseReport {
  std::array<PhaseSpan, kPhases> phase;
  double critical_path = 0;  // max(end of apply) - min(start of plan), seconds
  const PhaseSpan& operator[](Phase p) const { return phase[static_cast<std::size_t>(p)]; }
};

class PhaseTimer {
 public:
  // The reference point: call right after the barrier that starts the event.
  void reset() {
    origin_ = MPI_Wtime();
    start_.fill(0);
    end_.fill(0);
  }
  void start(Phase p) { start_[i(p)] = MPI_Wtime() - origin_; }
  void stop(Phase p) { end_[i(p)] = MPI_Wtime() - origin_; }
  double local(Phase p) const { return end_[i(p)] - start_[i(p)]; }

  // Collective: two allreduces for the whole report.
  PhaseReport reduce(MPI_Comm comm) const {
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    // max of (-start, end, duration) in one call, the sum of durations in another.
    std::array<double, 3 * kPhases> mx{}, mx_out{};
    std::array<double, kPhases> sum{}, sum_out{};
    for (std::size_t k = 0; k < kPhases; ++k) {
      mx[k] = -start_[k];
      mx[kPhases + k] = end_[k];
      mx[2 * kPhases + k] = sum[k] = end_[k] - start_[k];
    }
    MPI_Allreduce(mx.data(), mx_out.data(), static_cast<int>(mx.size()), MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(sum.data(), sum_out.data(), static_cast<int>(sum.size()), MPI_DOUBLE, MPI_SUM,
                  comm);
    PhaseReport r;
    for (std::size_t k = 0; k < kPhases; ++k) {
      const double min_start = -mx_out[k], max_end = mx_out[kPhases + k];
      const double max_d = mx_out[2 * kPhases + k], mean_d = sum_out[k] / ranks;
      r.phase[k] = {max_end - min_start, mean_d > 0 ? max_d / mean_d : 1.0, max_d};
    }
    r.critical_path = mx_out[kPhases + i(Phase::kApply)] + mx_out[i(Phase::kPlan)];
    return r;
  }

 private:
  static constexpr std::size_t i(Phase p) { return static_cast<std::size_t>(p); }
  double origin_ = 0;
  std::array<double, kPhases> start_{}, end_{};
};

}  // namespace ringsim
