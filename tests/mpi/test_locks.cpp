// RMA locks under mpiexec (ctest runs this at 2, 4 and 8 ranks): no lost
// update, mutual exclusion checked directly, several stripes and owners at
// once, timeouts that name rank and lock, and a benchmark smoke test.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "error.hpp"
#include "locks/lock_bench.hpp"
#include "locks/rma_lock.hpp"
#include "mpi_test_util.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// Per rank `words` uint64 words in a window, in a lock_all epoch. The data the
// locks protect: accessed with plain MPI_Get / MPI_Put, not atomics.
class Words {
 public:
  explicit Words(int words) {
    MPI_Win_allocate(MPI_Aint(words) * MPI_Aint(sizeof(std::uint64_t)), sizeof(std::uint64_t),
                     MPI_INFO_NULL, MPI_COMM_WORLD, &base_, &win_);
    for (int i = 0; i < words; ++i) base_[i] = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~Words() {
    MPI_Win_unlock_all(win_);
    MPI_Win_free(&win_);
  }
  Words(const Words&) = delete;
  Words& operator=(const Words&) = delete;

  std::uint64_t get(int rank, int i) {
    std::uint64_t v = 0;
    MPI_Get(&v, 1, MPI_UINT64_T, rank, i, 1, MPI_UINT64_T, win_);
    MPI_Win_flush(rank, win_);
    return v;
  }
  void put(int rank, int i, std::uint64_t v) {
    MPI_Put(&v, 1, MPI_UINT64_T, rank, i, 1, MPI_UINT64_T, win_);
    MPI_Win_flush(rank, win_);
  }
  void increment(int rank, int i) { put(rank, i, get(rank, i) + 1); }
  // Atomic add; returns the old value.
  std::int64_t fetch_add(int rank, int i, std::int64_t d) {
    std::int64_t old = 0;
    MPI_Fetch_and_op(&d, &old, MPI_INT64_T, rank, i, MPI_SUM, win_);
    MPI_Win_flush(rank, win_);
    return old;
  }
  // This rank's own words, after everyone is done (call after a barrier).
  std::uint64_t local(int i) {
    MPI_Win_sync(win_);
    return base_[i];
  }

 private:
  MPI_Win win_ = MPI_WIN_NULL;
  std::uint64_t* base_ = nullptr;
};

// Each correctness loop runs at least this many iterations and this long, so
// that ranks contend even when 8 of them share 2 cores (a short loop would
// fit in one time slice and run alone).
constexpr std::uint64_t kMinIterations = 200;
constexpr double kMinSeconds = 0.3;

// An error on one rank ends its loop but not its part in the collectives
// that follow, so that a broken lock fails the test instead of hanging it.
template <class Body>
std::uint64_t run_contended(Body&& body) {
  const double t0 = MPI_Wtime();
  std::uint64_t i = 0;
  try {
    for (; i < kMinIterations || MPI_Wtime() - t0 < kMinSeconds; ++i) body(i);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "rank " << world_rank() << ", iteration " << i << ": " << e.what();
  }
  return i;
}

std::uint64_t sum_over_ranks(std::uint64_t v) {
  std::uint64_t sum = 0;
  MPI_Allreduce(&v, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  return sum;
}

void busy_us(double us) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double, std::micro>(us);
  while (std::chrono::steady_clock::now() < end) {
  }
}

class Locks : public ::testing::TestWithParam<std::string> {};

TEST_P(Locks, NoLostUpdateOnHotLock) {
  const int owner = world_size() - 1;
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, 60);
  Words counter(1);
  std::uint64_t last = 0, interleaved = 0;
  const std::uint64_t mine = run_contended([&](std::uint64_t i) {
    locks->acquire(owner, 0);
    const std::uint64_t v = counter.get(owner, 0);  // plain get/put, not atomics
    if (i > 0 && v != last) ++interleaved;          // another rank had the lock meanwhile
    counter.put(owner, 0, last = v + 1);
    locks->release(owner, 0);
  });
  const std::uint64_t total = sum_over_ranks(mine);
  EXPECT_GT(sum_over_ranks(interleaved), 0u) << "the ranks never contended";
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == owner) {
    EXPECT_EQ(counter.local(0), total);
  }
}

TEST_P(Locks, MutualExclusionHoldersWordStaysAtOne) {
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 60);
  Words words(2);  // on rank 0: [0] holders (atomic), [1] last holder + 1 (get/put)
  const int owner = 1 % world_size(), me = world_rank();
  std::uint64_t violations = 0, handovers = 0;
  run_contended([&](std::uint64_t) {
    locks->acquire(owner, 1);
    if (words.fetch_add(0, 0, 1) != 0) ++violations;
    if (words.get(0, 1) != std::uint64_t(me) + 1) ++handovers;
    words.put(0, 1, std::uint64_t(me) + 1);
    busy_us(1);
    if (words.fetch_add(0, 0, -1) != 1) ++violations;
    locks->release(owner, 1);
  });
  EXPECT_EQ(sum_over_ranks(violations), 0u) << "acquisitions that found another holder inside";
  EXPECT_GT(sum_over_ranks(handovers), std::uint64_t(world_size())) << "the ranks never contended";
}

TEST_P(Locks, SeveralStripesAndOwnersHeldTogether) {
  const int stripes = 3, n = world_size() * stripes;
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, stripes, 60);
  Words counters(stripes);
  std::mt19937 rng(1234u + unsigned(world_rank()));
  std::uniform_int_distribution<int> pick(0, n - 1);
  std::vector<std::uint64_t> mine(std::size_t(n), 0), expected(std::size_t(n), 0);
  run_contended([&](std::uint64_t) {
    int a = pick(rng), b = pick(rng);
    if (a == b) b = (a + 1) % n;
    if (a > b) std::swap(a, b);  // a global order: no deadlock
    locks->acquire(a / stripes, a % stripes);
    locks->acquire(b / stripes, b % stripes);
    EXPECT_TRUE(locks->holds(a / stripes, a % stripes) && locks->holds(b / stripes, b % stripes));
    counters.increment(a / stripes, a % stripes);
    counters.increment(b / stripes, b % stripes);
    locks->release(b / stripes, b % stripes);
    locks->release(a / stripes, a % stripes);
    ++mine[std::size_t(a)];
    ++mine[std::size_t(b)];
  });
  MPI_Allreduce(mine.data(), expected.data(), n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  for (int s = 0; s < stripes; ++s)
    EXPECT_EQ(counters.local(s), expected[std::size_t(world_rank() * stripes + s)])
        << "stripe " << s << " of rank " << world_rank();
}

TEST_P(Locks, TimeoutNamesRankAndLockThenLockStillWorks) {
  if (GetParam() == "winlock")
    GTEST_SKIP() << "winlock ends the process on timeout: ctest lock_winlock_watchdog";
  const int p = world_size(), r = world_rank();
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 1.0);
  Words counter(1);
  if (r == 0) locks->acquire(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  if (r != 0) {
    try {
      locks->acquire(0, 1);
      ADD_FAILURE() << "acquired a lock rank 0 holds";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(GetParam() + " lock"), std::string::npos) << what;
      EXPECT_NE(what.find("owner rank 0, stripe 1"), std::string::npos) << what;
      EXPECT_NE(what.find("rank " + std::to_string(r) + " timed out"), std::string::npos) << what;
    }
    EXPECT_FALSE(locks->holds(0, 1));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) locks->release(0, 1);
  // The lock recovers: everyone takes it once more.
  locks->acquire(0, 1);
  counter.increment(0, 0);
  locks->release(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) {
    EXPECT_EQ(counter.local(0), std::uint64_t(p));
  }
}

TEST_P(Locks, MisuseIsAnError) {
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 5);
  EXPECT_THROW(locks->release(0, 0), Error);
  EXPECT_THROW(locks->acquire(world_size(), 0), Error);
  EXPECT_THROW(locks->acquire(0, 2), Error);
  locks->acquire(world_rank(), 0);
  EXPECT_THROW(locks->acquire(world_rank(), 0), Error);
  locks->release(world_rank(), 0);
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST_P(Locks, BenchmarkSmoke) {
  std::vector<LockBenchResult> results;
  for (const char* w : {"empty", "remote-access", "work", "wait-after", "uncontended"}) {
    LockBenchConfig c;
    c.algorithm = GetParam();
    c.workload = w;
    c.acquisitions_per_rank = 100;
    const auto r = run_lock_benchmark(c, MPI_COMM_WORLD);
    EXPECT_EQ(r.acquisitions, 100u * std::uint64_t(world_size())) << w;
    EXPECT_GT(r.acquisitions_per_second, 0) << w;
    EXPECT_LE(r.latency_p50_us, r.latency_p99_us) << w;
    EXPECT_LE(r.latency_p99_us, r.latency_max_us) << w;
    // The merged histogram holds every rank's acquisitions; the percentiles
    // are its own.
    EXPECT_EQ(r.latency.count(), r.acquisitions) << w;
    EXPECT_EQ(r.latency.percentile(0.5), r.latency_p50_us) << w;
    EXPECT_EQ(r.latency.percentile(0.99), r.latency_p99_us) << w;
    EXPECT_EQ(r.latency.max(), r.latency_max_us) << w;
    EXPECT_GT(r.latency_max_us, 0) << w;
    EXPECT_TRUE(r.counters_ok) << w;
    results.push_back(r);
  }
  LockBenchConfig c;  // fixed duration, random locks over several stripes
  c.algorithm = GetParam();
  c.workload = "remote-access";
  c.acquisitions_per_rank = 0;
  c.duration_seconds = 0.2;
  c.stripes = 4;
  c.target = "random";
  const auto r = run_lock_benchmark(c, MPI_COMM_WORLD);
  EXPECT_GT(r.acquisitions, 0u);
  EXPECT_TRUE(r.counters_ok);
  EXPECT_GE(r.fairness, 1.0);
  results.push_back(r);
  if (world_rank() == 0) print_lock_table(std::cout, results);
}

// Every rank holds many locks at once under contention (all its queue nodes
// in use, each queued behind other ranks' nodes): the counters the locks
// protect lose no increment.
TEST_P(Locks, ManyLocksHeldAtOnceLoseNoIncrement) {
  const int stripes = 4, n = world_size() * stripes, hold = std::min(kMcsQueueNodes, n);
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, stripes, 60);
  Words counters(stripes);
  std::mt19937 rng(99u + unsigned(world_rank()));
  std::vector<int> all(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) all[std::size_t(i)] = i;
  std::vector<std::uint64_t> mine(std::size_t(n), 0), expected(std::size_t(n), 0);
  run_contended([&](std::uint64_t) {
    std::shuffle(all.begin(), all.end(), rng);
    std::vector<int> pick(all.begin(), all.begin() + hold);
    std::sort(pick.begin(), pick.end());  // a global order: no deadlock
    for (int l : pick) locks->acquire(l / stripes, l % stripes);
    for (int l : pick) {
      counters.increment(l / stripes, l % stripes);
      ++mine[std::size_t(l)];
    }
    for (auto it = pick.rbegin(); it != pick.rend(); ++it)
      locks->release(*it / stripes, *it % stripes);
  });
  MPI_Allreduce(mine.data(), expected.data(), n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  for (int s = 0; s < stripes; ++s)
    EXPECT_EQ(counters.local(s), expected[std::size_t(world_rank() * stripes + s)])
        << "stripe " << s << " of rank " << world_rank();
}

INSTANTIATE_TEST_SUITE_P(All, Locks, ::testing::ValuesIn(lock_algorithms()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;  // rw-writer -> rw_writer
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The lock windows do not grow with the rank count: the same bytes per rank
// on all of MPI_COMM_WORLD and on a communicator of its first two ranks (and
// of one), and the formulas of rma_lock.hpp.
TEST(LockMemory, WindowBytesPerRankDoNotDependOnTheRankCount) {
  const int stripes = 1 << 12;
  MPI_Comm two = MPI_COMM_NULL, one = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank() < 2 ? 0 : 1, world_rank(), &two);
  MPI_Comm_split(MPI_COMM_WORLD, world_rank(), 0, &one);
  for (const auto& a : lock_algorithms()) {
    const std::uint64_t expected =
        8u * stripes + (a == "mcs" ? 16u * std::uint64_t(kMcsQueueNodes) : 0u);
    std::uint64_t all = 0, small = 0, single = 0;
    {
      auto locks = make_lock_set(a, MPI_COMM_WORLD, stripes, 10);
      all = locks->window_bytes();
    }
    {
      auto locks = make_lock_set(a, two, stripes, 10);
      small = locks->window_bytes();
    }
    {
      auto locks = make_lock_set(a, one, stripes, 10);
      single = locks->window_bytes();
    }
    EXPECT_EQ(all, expected) << a << " at " << world_size() << " ranks";
    EXPECT_EQ(small, expected) << a << " at 2 ranks";
    EXPECT_EQ(single, expected) << a << " at 1 rank";
  }
  MPI_Comm_free(&two);
  MPI_Comm_free(&one);
}

// mcs: a rank may hold kMcsQueueNodes locks at once (here its own stripes,
// uncontended), one more is an error naming the limit, and after releasing
// them the pool serves again.
TEST(LockMemory, McsHoldsAtMostItsQueueNodesAtOnce) {
  auto locks = make_lock_set("mcs", MPI_COMM_WORLD, kMcsQueueNodes + 1, 10);
  const int me = world_rank();
  for (int s = 0; s < kMcsQueueNodes; ++s) locks->acquire(me, s);
  try {
    locks->acquire(me, kMcsQueueNodes);
    ADD_FAILURE() << "acquired a lock beyond the queue nodes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than " + std::to_string(kMcsQueueNodes) +
                                         " mcs locks at once"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(locks->holds(me, kMcsQueueNodes));
  for (int s = 0; s < kMcsQueueNodes; ++s) locks->release(me, s);
  locks->acquire(me, kMcsQueueNodes);
  locks->release(me, kMcsQueueNodes);
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(LockSet, BadConfigurationIsAnError) {
  try {
    make_lock_set("ticket", MPI_COMM_WORLD, 1, 1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("winlock, spin, mcs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_lock_set("mcs", MPI_COMM_WORLD, 0, 1), Error);
  EXPECT_THROW(make_lock_set("spin", MPI_COMM_WORLD, 1, 0), Error);
  LockBenchConfig c;
  c.workload = "nap";
  EXPECT_THROW(run_lock_benchmark(c, MPI_COMM_WORLD), Error);
}

// Run only by ctest lock_winlock_watchdog (expects the process to end with
// the message): a blocked MPI_Win_lock cannot throw.
TEST(LockWatchdog, DISABLED_WinlockTimeoutEndsProcess) {
  auto locks = make_lock_set("winlock", MPI_COMM_WORLD, 1, 1.0);
  if (world_rank() == 0) locks->acquire(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() != 0) locks->acquire(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  ADD_FAILURE() << "the watchdog did not end the process";
}

// Run only by ctest lock_osc_guard (without OMPI_MCA_osc): spin and mcs
// refuse to start where osc/rdma could crash.
TEST(LockOscGuard, DISABLED_RefusesOscRdmaOnOneNode) {
  for (const char* a : {"spin", "mcs"}) {
    try {
      make_lock_set(a, MPI_COMM_WORLD, 1, 1);
      ADD_FAILURE() << a << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("OMPI_MCA_osc=sm,ucx"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ringsim
