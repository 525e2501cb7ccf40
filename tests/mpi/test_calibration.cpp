// The engine's measurements of the machine under mpiexec (ctest runs this at
// 1, 2 and 4 ranks): the calibration is defined, identical on every rank and
// self-consistent; the host census adds up and flags ranks that share cores.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/host_info.hpp"
#include "mpi_test_util.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// One calibration for the whole program (it takes a few hundred ms).
const Calibration& world_calibration() {
  static const Calibration c = [] {
    Calibration cal = calibrate(MPI_COMM_WORLD);
    if (world_rank() == 0) {
      std::printf(
          "[ calibration ] %d rank(s), %d host(s): memcpy %.2f GB/s, intra alpha %.3g us beta "
          "%.3f GB/s, alltoall alpha %.3g us beta %.3f GB/s, took %.0f ms\n",
          world_size(), cal.hosts, cal.memcpy_bytes_per_s / 1e9, cal.alpha_intra * 1e6,
          cal.beta_intra / 1e9, cal.alltoall_alpha * 1e6, cal.alltoall_beta / 1e9,
          cal.seconds * 1e3);
      for (const auto& [m, t] : cal.pingpong)
        std::printf("[ calibration ]   pingpong %8zu B  %10.3f us  model %10.3f us\n", m, t * 1e6,
                    (cal.alpha_intra + static_cast<double>(m) / cal.beta_intra) * 1e6);
      for (const auto& [m, t] : cal.alltoall)
        std::printf("[ calibration ]   alltoall %8zu B/peer  %10.3f us\n", m, t * 1e6);
    }
    return cal;
  }();
  return c;
}

// min == max over ranks.
bool same_everywhere(double x) {
  double lo = 0, hi = 0;
  MPI_Allreduce(&x, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&x, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}

bool positive(double x) { return std::isfinite(x) && x > 0; }

TEST(Calibration, FiguresArePositiveAndFiniteWhereDefined) {
  const Calibration& c = world_calibration();
  EXPECT_TRUE(positive(c.memcpy_bytes_per_s)) << c.memcpy_bytes_per_s;
  EXPECT_TRUE(positive(c.seconds));
  EXPECT_GE(c.hosts, 1);
  if (world_size() == 1) {
    EXPECT_EQ(c.alpha_intra, 0);
    EXPECT_EQ(c.beta_intra, 0);
    EXPECT_EQ(c.alltoall_alpha, 0);
    EXPECT_EQ(c.alltoall_beta, 0);
    EXPECT_TRUE(c.pingpong.empty());
    EXPECT_TRUE(c.alltoall.empty());
    EXPECT_EQ(c.hosts, 1);
    return;
  }
  // One host here, so rank 0 has a partner on its own host.
  EXPECT_TRUE(std::isfinite(c.alpha_intra) && c.alpha_intra >= 0) << c.alpha_intra;
  EXPECT_TRUE(positive(c.beta_intra)) << c.beta_intra;
  EXPECT_TRUE(std::isfinite(c.alltoall_alpha) && c.alltoall_alpha >= 0) << c.alltoall_alpha;
  EXPECT_TRUE(positive(c.alltoall_beta)) << c.alltoall_beta;
  ASSERT_EQ(c.pingpong.size(), 11u);  // 8 B, 16 B .. 4 MiB
  EXPECT_EQ(c.pingpong.front().first, 8u);
  EXPECT_EQ(c.pingpong.back().first, std::size_t{4} << 20);
  for (const auto& [m, t] : c.pingpong) EXPECT_TRUE(positive(t)) << m;
  ASSERT_FALSE(c.alltoall.empty());
  EXPECT_EQ(c.alltoall.back().first, std::size_t{1} << 20);
  for (const auto& [m, t] : c.alltoall) EXPECT_TRUE(positive(t)) << m;
}

TEST(Calibration, IdenticalOnEveryRank) {
  const Calibration& c = world_calibration();
  for (double x :
       {c.memcpy_bytes_per_s, c.alpha_intra, c.beta_intra, c.alpha_inter, c.beta_inter,
        c.alltoall_alpha, c.alltoall_beta, c.seconds, double(c.hosts), double(c.pingpong.size()),
        double(c.pingpong_inter.size()), double(c.alltoall.size())})
    EXPECT_TRUE(same_everywhere(x)) << x;
  for (const auto* pts : {&c.pingpong, &c.pingpong_inter, &c.alltoall})
    for (const auto& [m, t] : *pts) {
      EXPECT_TRUE(same_everywhere(double(m)));
      EXPECT_TRUE(same_everywhere(t));
    }
}

TEST(Calibration, NoInterHostFiguresOnOneHost) {
  const Calibration& c = world_calibration();
  const HostInfo h = host_info(MPI_COMM_WORLD);
  EXPECT_EQ(c.hosts, h.hosts);
  if (h.hosts != 1) GTEST_SKIP() << "the job spans hosts";
  EXPECT_EQ(c.alpha_inter, 0);
  EXPECT_EQ(c.beta_inter, 0);
  EXPECT_TRUE(c.pingpong_inter.empty());
}

TEST(Calibration, FittedModelIsWithinAFactorThreeOfTheLargestPingPong) {
  const Calibration& c = world_calibration();
  if (world_size() == 1) GTEST_SKIP() << "no ping-pong with one rank";
  ASSERT_FALSE(c.pingpong.empty());
  const auto [m, t] = c.pingpong.back();
  ASSERT_EQ(m, std::size_t{4} << 20);
  const double model = c.alpha_intra + static_cast<double>(m) / c.beta_intra;
  EXPECT_LE(model, 3 * t) << "measured " << t << " s";
  EXPECT_GE(model, t / 3) << "measured " << t << " s";
}

TEST(Calibration, OneRankCommunicatorMeasuresMemoryOnly) {
  const Calibration c = calibrate(MPI_COMM_SELF);
  EXPECT_TRUE(positive(c.memcpy_bytes_per_s));
  EXPECT_EQ(c.hosts, 1);
  EXPECT_EQ(c.alpha_intra, 0);
  EXPECT_EQ(c.beta_intra, 0);
  EXPECT_EQ(c.alpha_inter, 0);
  EXPECT_EQ(c.alltoall_beta, 0);
  EXPECT_TRUE(c.pingpong.empty() && c.pingpong_inter.empty() && c.alltoall.empty());
  EXPECT_EQ(model_exchange_seconds(c, 1 << 20, 1 << 20, 0, false), 0);
}

TEST(Calibration, ExchangeModelIsTheAlphaBetaBound) {
  Calibration c;
  c.alpha_intra = 1e-6;
  c.beta_intra = 1e9;
  // max(out, in) / beta + alpha * peers
  EXPECT_DOUBLE_EQ(model_exchange_seconds(c, 2'000'000, 1'000'000, 3, false), 2e-3 + 3e-6);
  EXPECT_DOUBLE_EQ(model_exchange_seconds(c, 1'000'000, 4'000'000, 1, false), 4e-3 + 1e-6);
  EXPECT_EQ(model_exchange_seconds(c, 0, 0, 0, false), 0);
  // Without inter-host figures the intra-host ones serve.
  EXPECT_DOUBLE_EQ(model_exchange_seconds(c, 1'000'000, 0, 2, true), 1e-3 + 2e-6);
  c.alpha_inter = 5e-6;
  c.beta_inter = 1e8;
  EXPECT_DOUBLE_EQ(model_exchange_seconds(c, 1'000'000, 0, 2, true), 1e-2 + 1e-5);
  EXPECT_DOUBLE_EQ(model_exchange_seconds(c, 1'000'000, 0, 2, false), 1e-3 + 2e-6);
  c.alltoall_alpha = 2e-6;
  c.alltoall_beta = 5e8;
  EXPECT_DOUBLE_EQ(model_alltoall_seconds(c, 0, 1'000'000, 4), 2e-3 + 8e-6);
}

TEST(Calibration, FitRecoversAnExactLineAndClampsNoise) {
  std::vector<std::pair<std::size_t, double>> pts;
  for (std::size_t m = 8; m <= (std::size_t{4} << 20); m *= 4)
    pts.emplace_back(m, 2e-6 + static_cast<double>(m) / 5e9);
  const auto [alpha, beta] = fit_alpha_beta(pts);
  EXPECT_NEAR(alpha, 2e-6, 1e-9);
  EXPECT_NEAR(beta, 5e9, 5e9 * 1e-6);
  // Times that fall with size: no negative bandwidth, no negative latency.
  const auto [a2, b2] = fit_alpha_beta({{8, 3e-6}, {1024, 2e-6}, {65536, 1e-6}});
  EXPECT_GE(a2, 0);
  EXPECT_TRUE(positive(b2));
  // Latency-free points: alpha clamps to 0 rather than going negative.
  const auto [a3, b3] = fit_alpha_beta({{1000, 0.9e-6}, {100000, 1e-4}, {1000000, 1.05e-3}});
  EXPECT_GE(a3, 0);
  EXPECT_TRUE(positive(b3));
  EXPECT_EQ(fit_alpha_beta({}), (std::pair<double, double>{0, 0}));
}

TEST(HostInfo, CensusAddsUpAndIsTheSameOnEveryRank) {
  const HostInfo h = host_info(MPI_COMM_WORLD);
  ASSERT_EQ(h.ranks_per_host.size(), static_cast<std::size_t>(h.hosts));
  ASSERT_EQ(h.threads_per_host.size(), static_cast<std::size_t>(h.hosts));
  EXPECT_EQ(std::accumulate(h.ranks_per_host.begin(), h.ranks_per_host.end(), 0), world_size());
  ASSERT_GE(h.my_host, 0);
  ASSERT_LT(h.my_host, h.hosts);
  EXPECT_EQ(h.ranks_per_host[static_cast<std::size_t>(h.my_host)], h.ranks_on_my_host);
  EXPECT_EQ(h.threads_per_host[static_cast<std::size_t>(h.my_host)], h.hardware_threads_on_my_host);
  EXPECT_GE(h.hardware_threads_on_my_host, 1);
  EXPECT_LE(h.hardware_threads_on_my_host, h.online_cpus_on_my_host);
  EXPECT_FALSE(h.cpu_model.empty());
  EXPECT_TRUE(same_everywhere(h.hosts));
  EXPECT_TRUE(same_everywhere(h.oversubscribed));
  // Rank 0 is on host 0 (hosts are ordered by their lowest rank).
  int host_of_0 = h.my_host;
  MPI_Bcast(&host_of_0, 1, MPI_INT, 0, MPI_COMM_WORLD);
  EXPECT_EQ(host_of_0, 0);
}

TEST(HostInfo, MoreRanksThanTheHostHasCpusIsOversubscribed) {
  const HostInfo h = host_info(MPI_COMM_WORLD);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (world_rank() == 0)
    std::printf(
        "[ host info ] %d host(s), %d rank(s) on host 0, %d hardware threads usable, %ld "
        "online, oversubscribed %s, cpu '%s'\n",
        h.hosts, h.ranks_per_host[0], h.threads_per_host[0], online,
        h.oversubscribed ? "yes" : "no", h.cpu_model.c_str());
  // Whatever the binding, ranks beyond the host's online CPUs share cores.
  if (h.ranks_on_my_host > online) {
    EXPECT_TRUE(h.oversubscribed);
  }
  // One rank alone on a host never shares a core.
  if (world_size() == 1) {
    EXPECT_FALSE(h.oversubscribed);
  }
  // The verdict is the per-host comparison.
  bool any = false;
  for (int i = 0; i < h.hosts; ++i)
    any = any || h.ranks_per_host[static_cast<std::size_t>(i)] >
                     h.threads_per_host[static_cast<std::size_t>(i)];
  EXPECT_EQ(h.oversubscribed, any);
}

// A rank restricted to one CPU with another rank of the host on the same CPU
// shares it: the union of the masks is what counts.
TEST(HostInfo, RanksPinnedToOneCpuShareIt) {
  if (world_size() < 2) GTEST_SKIP() << "needs two ranks";
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  int first = -1;
  for (int c = 0; c < CPU_SETSIZE && first < 0; ++c)
    if (CPU_ISSET(c, &saved)) first = c;
  // Every rank pins itself to the lowest CPU rank 0 may use.
  MPI_Bcast(&first, 1, MPI_INT, 0, MPI_COMM_WORLD);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  const bool pinned = sched_setaffinity(0, sizeof one, &one) == 0;
  int all_pinned = 0, p = pinned ? 1 : 0;
  MPI_Allreduce(&p, &all_pinned, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  HostInfo h;
  if (all_pinned) h = host_info(MPI_COMM_WORLD);
  sched_setaffinity(0, sizeof saved, &saved);
  if (!all_pinned) GTEST_SKIP() << "cannot set the affinity here";
  if (h.hosts != 1) GTEST_SKIP() << "the job spans hosts";
  EXPECT_EQ(h.hardware_threads_on_my_host, 1);
  EXPECT_TRUE(h.oversubscribed);
}

}  // namespace
}  // namespace ringsim
