// Lock benchmark (see lock_bench.hpp).
#include "locks/lock_bench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <ostream>
#include <random>
#include <sstream>
#include <utility>

#include "engine/host_info.hpp"
#include "error.hpp"
#include "locks/lock_detail.hpp"
#include "locks/rma_lock.hpp"

namespace ringsim {
namespace {

enum class Work { kEmpty, kRemoteAccess, kWork, kWaitAfter, kUncontended };

Work parse_workload(const std::string& w) {
  if (w == "empty") return Work::kEmpty;
  if (w == "remote-access") return Work::kRemoteAccess;
  if (w == "work") return Work::kWork;
  if (w == "wait-after") return Work::kWaitAfter;
  if (w == "uncontended") return Work::kUncontended;
  throw Error("lock benchmark: unknown workload '" + w +
              "' (known: empty, remote-access, work, wait-after, uncontended)");
}

}  // namespace

void lock_fairness(const std::vector<std::uint64_t>& acquisitions,
                   const std::vector<double>& seconds, double& max_over_min, double& cv) {
  max_over_min = 0;
  cv = 0;
  const std::size_t n = std::min(acquisitions.size(), seconds.size());
  if (n == 0) return;
  std::vector<double> rate(n);
  for (std::size_t i = 0; i < n; ++i)
    rate[i] = seconds[i] > 0 ? double(acquisitions[i]) / seconds[i] : 0;
  const auto [lo, hi] = std::minmax_element(rate.begin(), rate.end());
  max_over_min = *lo > 0 ? *hi / *lo : (*hi > 0 ? INFINITY : 1);
  double mean = 0;
  for (double x : rate) mean += x;
  mean /= double(n);
  double var = 0;
  for (double x : rate) var += (x - mean) * (x - mean);
  var /= double(n);
  cv = mean > 0 ? std::sqrt(var) / mean : 0;
}

LockBenchResult run_lock_benchmark(const LockBenchConfig& cfg, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const Work work = parse_workload(cfg.workload);
  const bool hot = cfg.target == "hot";
  if (!hot && cfg.target != "random")
    throw Error("lock benchmark: unknown target '" + cfg.target + "' (known: hot, random)");
  if (cfg.hot_owner < 0 || cfg.hot_owner >= size)
    throw Error("lock benchmark: hot_owner " + std::to_string(cfg.hot_owner) +
                " is not a rank of " + std::to_string(size));
  const bool fixed = cfg.acquisitions_per_rank > 0;
  if (!fixed && !(cfg.duration_seconds > 0))
    throw Error("lock benchmark: give acquisitions_per_rank or a positive duration_seconds");

  if (!(cfg.reads >= 0 && cfg.reads <= 1))
    throw Error("lock benchmark: reads must be a fraction in [0, 1], not " +
                std::to_string(cfg.reads));

  LockOptions options;
  options.timeout_seconds = cfg.timeout_seconds;
  options.ranks_per_host = cfg.ranks_per_host;
  options.cohort_handoffs = cfg.cohort_handoffs;
  auto locks = make_lock_set(cfg.algorithm, comm, cfg.stripes, options);
  const bool oversubscribed = host_info(comm).oversubscribed;

  // Counters for remote-access: one uint64 per lock, on the lock's owner.
  std::uint64_t* counters = nullptr;
  MPI_Win data;
  MPI_Win_allocate(MPI_Aint(cfg.stripes) * MPI_Aint(sizeof(std::uint64_t)), sizeof(std::uint64_t),
                   MPI_INFO_NULL, comm, &counters, &data);
  for (int s = 0; s < cfg.stripes; ++s) counters[s] = 0;
  MPI_Win_lock_all(MPI_MODE_NOCHECK, data);
  MPI_Win_sync(data);

  std::mt19937_64 rng(cfg.seed * 0x9E3779B97F4A7C15ull + std::uint64_t(rank));
  std::uniform_int_distribution<int> pick_owner(0, size - 1), pick_stripe(0, cfg.stripes - 1);
  std::uniform_real_distribution<double> spin_us(1, 4), wait_us(1, 10);
  // Read or write: its own stream, so that the targets are the same whatever `reads` is.
  std::mt19937_64 mode_rng(cfg.seed * 0xD1B54A32D192ED03ull + std::uint64_t(rank) + 1);
  std::uniform_real_distribution<double> unit(0, 1);
  LatencyHistogram latency;
  volatile std::uint64_t local_counter = 0;

  MPI_Barrier(comm);
  const double t0 = MPI_Wtime();
  std::uint64_t done = 0, reads = 0;
  for (;;) {
    if (fixed ? done >= cfg.acquisitions_per_rank : MPI_Wtime() - t0 >= cfg.duration_seconds) break;
    int owner = cfg.hot_owner, stripe = 0;
    if (work == Work::kUncontended) {
      owner = rank;
    } else if (!hot) {
      owner = pick_owner(rng);
      stripe = pick_stripe(rng);
    }
    // unit() < 0 never holds and unit() < 1 always does: reads = 0 and 1 are exact.
    const bool read = unit(mode_rng) < cfg.reads;
    const double a0 = MPI_Wtime();
    if (read)
      locks->acquire_shared(owner, stripe);
    else
      locks->acquire(owner, stripe);
    latency.add((MPI_Wtime() - a0) * 1e6);
    switch (work) {
      case Work::kRemoteAccess: {
        std::uint64_t v = 0;
        MPI_Get(&v, 1, MPI_UINT64_T, owner, stripe, 1, MPI_UINT64_T, data);
        MPI_Win_flush(owner, data);
        if (!read) {
          ++v;
          MPI_Put(&v, 1, MPI_UINT64_T, owner, stripe, 1, MPI_UINT64_T, data);
          MPI_Win_flush(owner, data);
        }
        break;
      }
      case Work::kWork:
        local_counter = local_counter + 1;
        lock_detail::pause_us(spin_us(rng));
        break;
      default:
        break;
    }
    if (read)
      locks->release_shared(owner, stripe);
    else
      locks->release(owner, stripe);
    if (work == Work::kWaitAfter) lock_detail::pause_us(wait_us(rng));
    ++done;
    if (read) ++reads;
  }
  const double seconds = MPI_Wtime() - t0;
  MPI_Barrier(comm);

  LockBenchResult r;
  r.algorithm = cfg.algorithm;
  r.workload = cfg.workload;
  r.target = work == Work::kUncontended ? "own" : cfg.target;
  r.ranks = size;
  r.stripes = cfg.stripes;
  r.reads = cfg.reads;
  r.ranks_per_host = cfg.ranks_per_host;
  r.cohort_handoffs = cfg.cohort_handoffs;
  r.oversubscribed = oversubscribed;
  r.per_rank_acquisitions.resize(std::size_t(size));
  r.per_rank_seconds.resize(std::size_t(size));
  MPI_Allgather(&done, 1, MPI_UINT64_T, r.per_rank_acquisitions.data(), 1, MPI_UINT64_T, comm);
  MPI_Allgather(&seconds, 1, MPI_DOUBLE, r.per_rank_seconds.data(), 1, MPI_DOUBLE, comm);
  for (auto n : r.per_rank_acquisitions) r.acquisitions += n;
  MPI_Allreduce(&reads, &r.read_acquisitions, 1, MPI_UINT64_T, MPI_SUM, comm);
  r.write_acquisitions = r.acquisitions - r.read_acquisitions;
  r.seconds = *std::max_element(r.per_rank_seconds.begin(), r.per_rank_seconds.end());
  r.acquisitions_per_second = r.seconds > 0 ? double(r.acquisitions) / r.seconds : 0;
  lock_fairness(r.per_rank_acquisitions, r.per_rank_seconds, r.fairness, r.fairness_cv);

  // Latency over every rank's acquisitions: the histograms summed.
  latency.allreduce(comm);
  r.latency_p50_us = latency.percentile(0.50);
  r.latency_p90_us = latency.percentile(0.90);
  r.latency_p99_us = latency.percentile(0.99);
  r.latency_max_us = latency.max();
  r.latency = std::move(latency);

  MPI_Win_sync(data);
  std::uint64_t local_sum = 0, sum = 0;
  for (int s = 0; s < cfg.stripes; ++s) local_sum += counters[s];
  MPI_Allreduce(&local_sum, &sum, 1, MPI_UINT64_T, MPI_SUM, comm);
  r.counters_ok = work != Work::kRemoteAccess || sum == r.write_acquisitions;
  MPI_Win_unlock_all(data);
  MPI_Win_free(&data);
  return r;
}

void print_lock_table(std::ostream& os, const std::vector<LockBenchResult>& results) {
  std::ostringstream out;
  bool any_over = false;
  out << std::left << std::setw(10) << "lock" << std::setw(15) << "workload" << std::setw(7)
      << "target" << std::right << std::setw(6) << "ranks" << std::setw(6) << "reads"
      << std::setw(10) << "acq" << std::setw(8) << "seconds" << std::setw(11) << "acq/s"
      << std::setw(9) << "p50 us" << std::setw(9) << "p90 us" << std::setw(9) << "p99 us"
      << std::setw(9) << "max/min" << std::setw(7) << "CV"
      << "\n";
  for (const auto& r : results) {
    any_over = any_over || r.oversubscribed;
    out << std::left << std::setw(10) << r.algorithm << std::setw(15) << r.workload << std::setw(7)
        << r.target << std::right << std::setw(5) << r.ranks << (r.oversubscribed ? "*" : " ")
        << std::fixed << std::setprecision(2) << std::setw(6) << r.reads << std::setw(10)
        << r.acquisitions << std::setprecision(3) << std::setw(8) << r.seconds
        << std::setprecision(0) << std::setw(11) << r.acquisitions_per_second
        << std::setprecision(1) << std::setw(9) << r.latency_p50_us << std::setw(9)
        << r.latency_p90_us << std::setw(9) << r.latency_p99_us << std::setprecision(2)
        << std::setw(9) << r.fairness << std::setw(7) << r.fairness_cv
        << (r.counters_ok ? "" : "  COUNTERS WRONG") << "\n";
  }
  if (any_over)
    out << "* oversubscribed: a host ran more ranks than it has hardware threads (not per-core "
           "figures)\n";
  os << out.str();
}

}  // namespace ringsim
