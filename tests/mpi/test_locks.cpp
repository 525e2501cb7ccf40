// RMA locks under mpiexec (ctest runs this at 2, 4 and 8 ranks): no lost
// update, mutual exclusion checked directly (exclusive and mixed shared /
// exclusive use), several stripes and owners at once, timeouts that name rank
// and lock, reader-writer sharing, cohort over simulated hosts, FIFO order and
// bounded waits of the fair locks, and a benchmark smoke test.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <thread>
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
    // A little work outside: without it the unfair spin lock (backoff up to
    // 256 us) may stay with the rank that just released it for the whole
    // loop on a loaded machine, and the ranks would not contend.
    busy_us(5);
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

// Mixed shared / exclusive use of one hot lock: writers read-modify-write a
// counter with plain MPI_Get / MPI_Put, readers only read it. Inside the
// section the writers-in and readers-in indicators (atomics) show that no
// writer overlaps anyone and, under an exclusive-only algorithm, that shared
// holders exclude each other too.
TEST_P(Locks, MixedSharedAndExclusiveNoReaderOverlapsAWriter) {
  const int owner = world_size() - 1;
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, 60);
  const bool sharing = locks->shares_readers();
  Words words(3);  // on rank 0: [0] counter (get/put), [1] writers in, [2] readers in
  std::mt19937 rng(777u + unsigned(world_rank()));
  std::uint64_t writes = 0, overlaps = 0, torn = 0, shared_together = 0;
  run_contended([&](std::uint64_t) {
    if (rng() % 3 == 0) {
      locks->acquire(owner, 0);
      if (words.fetch_add(0, 1, 1) != 0) ++overlaps;
      if (words.fetch_add(0, 2, 0) != 0) ++overlaps;
      words.increment(0, 0);
      ++writes;
      busy_us(1);
      if (words.fetch_add(0, 1, -1) != 1) ++overlaps;
      locks->release(owner, 0);
    } else {
      locks->acquire_shared(owner, 0);
      const std::int64_t others = words.fetch_add(0, 2, 1);
      if (others != 0 && !sharing) ++overlaps;
      if (others != 0) ++shared_together;
      if (words.fetch_add(0, 1, 0) != 0) ++overlaps;
      const std::uint64_t before = words.get(0, 0);
      busy_us(1);
      if (words.get(0, 0) != before) ++torn;  // a writer changed it under us
      if (words.fetch_add(0, 1, 0) != 0) ++overlaps;
      words.fetch_add(0, 2, -1);
      locks->release_shared(owner, 0);
    }
  });
  EXPECT_EQ(sum_over_ranks(overlaps), 0u) << "a writer overlapped another holder";
  EXPECT_EQ(sum_over_ranks(torn), 0u) << "the counter changed inside a shared section";
  const std::uint64_t total = sum_over_ranks(writes);
  const std::uint64_t together = sum_over_ranks(shared_together);
  if (!sharing) {
    EXPECT_EQ(together, 0u) << "shared holders overlapped under an exclusive algorithm";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    EXPECT_EQ(words.local(0), total) << "lost updates";
  }
}

// Reader-writer algorithms really share: rank 1 acquires shared while rank 0
// holds the lock shared. An exclusive-only algorithm says so, and its shared
// mode excludes (rank 1 times out).
TEST_P(Locks, SharedModeSharesExactlyUnderReaderWriterAlgorithms) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const bool rw = GetParam() == "rw-writer" || GetParam() == "rw-reader";
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, rw ? 60.0 : 1.0);
  EXPECT_EQ(locks->shares_readers(), rw);
  if (!rw && GetParam() == "winlock") return;  // its timeout ends the process
  const int me = world_rank();
  if (me == 0) locks->acquire_shared(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);  // rank 0 holds it shared
  bool got = false;
  if (me == 1) {
    try {
      locks->acquire_shared(0, 1);
      got = true;
    } catch (const Error& e) {
      if (rw) ADD_FAILURE() << e.what();
    }
    EXPECT_EQ(got, rw) << "rank 1 held the lock shared together with rank 0";
    EXPECT_EQ(locks->holds(0, 1), rw);
  }
  MPI_Barrier(MPI_COMM_WORLD);  // both hold it (rw) at once
  if (me == 0) locks->release_shared(0, 1);
  if (me == 1 && got) locks->release_shared(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  // Usable afterwards in both modes.
  locks->acquire(0, 1);
  locks->release(0, 1);
  locks->acquire_shared(0, 1);
  locks->release_shared(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);
}

// A reader that times out leaves no trace: the writers still get in.
TEST_P(Locks, SharedTimeoutThenLockStillWorks) {
  if (GetParam() == "winlock") GTEST_SKIP() << "winlock ends the process on timeout";
  const int p = world_size(), r = world_rank();
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, 1.0);
  Words counter(1);
  if (r == 0) locks->acquire(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (r != 0) {
    try {
      locks->acquire_shared(0, 0);
      ADD_FAILURE() << "acquired shared a lock rank 0 holds exclusively";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("owner rank 0, stripe 0): rank " + std::to_string(r) + " timed out"),
                std::string::npos)
          << what;
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) locks->release(0, 0);
  locks->acquire(0, 0);
  counter.increment(0, 0);
  locks->release(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) {
    EXPECT_EQ(counter.local(0), std::uint64_t(p));
  }
}

INSTANTIATE_TEST_SUITE_P(All, Locks, ::testing::ValuesIn(lock_algorithms()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;  // rw-writer -> rw_writer
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---- reader-writer preference ------------------------------------------------

LockOptions timeout_options(double seconds) {
  LockOptions o;
  o.timeout_seconds = seconds;
  return o;
}

bool wait_for_at_least(Words& words, int rank, int i, std::int64_t value);

class RwLocks : public ::testing::TestWithParam<std::string> {};

// Rank 0 holds the lock shared, rank 1 queues as a writer, then rank 2 asks
// for it shared: under writer preference the waiting writer keeps rank 2 out
// (it times out), under reader preference rank 2 joins rank 0 at once.
TEST_P(RwLocks, AWaitingWriterBlocksNewReadersOnlyUnderWriterPreference) {
  const int me = world_rank();
  if (world_size() < 3) GTEST_SKIP() << "needs 3 ranks";
  const bool writers_first = GetParam() == "rw-writer";
  // The timeout is each rank's own: rank 2 gives up after 1 s.
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, timeout_options(me == 2 ? 1.0 : 60));
  Words flags(2);  // on rank 0: [0] rank 1's request visible, [1] rank 2 done
  locks->on_request_visible([&](int, int) { flags.fetch_add(0, 0, 1); });
  if (me == 0) locks->acquire_shared(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 0) {
    EXPECT_TRUE(wait_for_at_least(flags, 0, 1, 1));
    locks->release_shared(0, 0);
  } else if (me == 1) {
    locks->acquire(0, 0);
    locks->release(0, 0);
  } else if (me == 2) {
    EXPECT_TRUE(wait_for_at_least(flags, 0, 0, 1));
    bool entered = false;
    try {
      locks->acquire_shared(0, 0);
      entered = true;
      locks->release_shared(0, 0);
    } catch (const Error& e) {
      EXPECT_NE(
          std::string(e.what()).find("rank 2 timed out after 1 s waiting to acquire it shared"),
          std::string::npos)
          << e.what();
    }
    EXPECT_EQ(entered, !writers_first) << "a reader entered while a writer waited";
    flags.fetch_add(0, 1, 1);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// A writer that times out waiting for the readers to leave gives the lock
// back: the readers and writers after it get in.
TEST_P(RwLocks, WriterTimeoutWaitingForReadersThenLockStillWorks) {
  const int me = world_rank(), p = world_size();
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, timeout_options(me == 1 ? 1.0 : 60));
  Words counter(1);
  if (me == 0) locks->acquire_shared(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 1) {
    try {
      locks->acquire(0, 0);
      ADD_FAILURE() << "a writer entered while rank 0 read";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("rank 1 timed out after 1 s waiting for its readers"),
                std::string::npos)
          << e.what();
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 0) locks->release_shared(0, 0);
  locks->acquire_shared(0, 0);  // no writer is left counted
  locks->release_shared(0, 0);
  locks->acquire(0, 0);
  counter.increment(0, 0);
  locks->release(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 0) {
    EXPECT_EQ(counter.local(0), std::uint64_t(p));
  }
}

INSTANTIATE_TEST_SUITE_P(Preference, RwLocks, ::testing::Values("rw-writer", "rw-reader"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---- cohort over simulated hosts, fairness bounds --------------------------

LockOptions cohort_options(int ranks_per_host, int handoffs, double timeout = 60) {
  LockOptions o;
  o.timeout_seconds = timeout;
  o.ranks_per_host = ranks_per_host;
  o.cohort_handoffs = handoffs;
  return o;
}

// Hosts as the cohort lock sees them: ranks_per_host 0 = the real hosts.
struct HostShape {
  int hosts = 1, max_size = 1;
};
HostShape host_shape(int ranks_per_host) {
  const int p = world_size();
  if (ranks_per_host > 0)
    return {(p + ranks_per_host - 1) / ranks_per_host, std::min(ranks_per_host, p)};
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int size = 0, rank = 0, hosts = 0, max_size = 0;
  MPI_Comm_size(node, &size);
  MPI_Comm_rank(node, &rank);
  MPI_Comm_free(&node);
  int leader = rank == 0 ? 1 : 0;
  MPI_Allreduce(&leader, &hosts, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(&size, &max_size, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return {hosts, max_size};
}

// Polls word i of rank `rank` (atomically) until it reaches `value`; false
// after 60 s (a broken lock fails the test instead of hanging it).
bool wait_for_at_least(Words& words, int rank, int i, std::int64_t value) {
  const double t0 = MPI_Wtime();
  while (words.fetch_add(rank, i, 0) < value) {
    if (MPI_Wtime() - t0 > 60) return false;
    int flag = 0;  // drives MPI progress (incoming RMA on the lock windows too)
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    std::this_thread::yield();
  }
  return true;
}

// Cohort with ranks_per_host 0 (the real hosts), 1, 2 and 4: mutual
// exclusion on one hot lock (plain get/put counter and a holders word), and
// several stripes and owners held together (different global locks then
// share hosts' local queues).
class CohortHosts : public ::testing::TestWithParam<int> {};

TEST_P(CohortHosts, MutualExclusionOnAHotLock) {
  auto locks = make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(GetParam(), 2));
  const int owner = world_size() / 2;
  Words words(3);  // on rank 0: [0] counter (get/put), [1] holders (atomic)
  std::uint64_t violations = 0;
  const std::uint64_t mine = run_contended([&](std::uint64_t) {
    locks->acquire(owner, 0);
    if (words.fetch_add(0, 1, 1) != 0) ++violations;
    words.increment(0, 0);
    if (words.fetch_add(0, 1, -1) != 1) ++violations;
    locks->release(owner, 0);
  });
  const std::uint64_t total = sum_over_ranks(mine);
  EXPECT_EQ(sum_over_ranks(violations), 0u);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) {
    EXPECT_EQ(words.local(0), total) << "lost updates";
  }
}

TEST_P(CohortHosts, ManyLocksHeldTogetherLoseNoIncrement) {
  const int stripes = 2, n = world_size() * stripes, hold = std::min(kMcsQueueNodes, n);
  auto locks = make_lock_set("cohort", MPI_COMM_WORLD, stripes, cohort_options(GetParam(), 1));
  Words counters(stripes);
  std::mt19937 rng(4242u + unsigned(world_rank()));
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

// Timed-out requests on the global and local levels leave the lock usable.
TEST_P(CohortHosts, TimeoutThenLockStillWorks) {
  const int p = world_size(), r = world_rank();
  auto locks = make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(GetParam(), 1, 1.0));
  Words counter(1);
  if (r == 0) locks->acquire(0, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (r != 0) {
    EXPECT_THROW(locks->acquire(0, 0), Error);
    EXPECT_FALSE(locks->holds(0, 0));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) locks->release(0, 0);
  for (int i = 0; i < 3; ++i) {
    locks->acquire(0, 0);
    counter.increment(0, 0);
    locks->release(0, 0);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (r == 0) {
    EXPECT_EQ(counter.local(0), std::uint64_t(3 * p));
  }
}

INSTANTIATE_TEST_SUITE_P(RanksPerHost, CohortHosts, ::testing::Values(0, 1, 2, 4),
                         [](const auto& param_info) {
                           return "rph" + std::to_string(param_info.param);
                         });

// Deterministic hand-off bound: two hosts, A = ranks 0..P-2 and B = rank
// P-1. Rank 0 holds the lock; every other rank of A queues on A's local
// queue, then rank P-1 queues globally; then rank 0 releases. The global
// lock stays in A for exactly min(H, P-2) hand-offs, then goes to B: rank
// P-1 is the (min(H, P-2) + 2)-th holder.
TEST(CohortLock, HandOffBoundPassesTheLockToTheWaitingHost) {
  const int p = world_size(), me = world_rank();
  if (p < 2) GTEST_SKIP() << "needs 2 ranks";
  for (int handoffs : {1, 2}) {
    auto locks = make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(p - 1, handoffs));
    Words log(2 + p);  // on rank 0: [0] requests visible, [1] holders so far, [2..] holders
    locks->on_request_visible([&](int, int) { log.fetch_add(0, 0, 1); });
    auto hold_and_log = [&] {
      const std::int64_t i = log.fetch_add(0, 1, 1);
      log.put(0, 2 + int(i), std::uint64_t(me));
      locks->release(0, 0);
    };
    if (me == 0) locks->acquire(0, 0);
    MPI_Barrier(MPI_COMM_WORLD);
    if (me == 0) {
      EXPECT_TRUE(wait_for_at_least(log, 0, 0, p)) << "the others never queued";
      hold_and_log();
    } else {
      if (me == p - 1) {
        EXPECT_TRUE(wait_for_at_least(log, 0, 0, p - 1));
      }
      locks->acquire(0, 0);
      hold_and_log();
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (me == 0) {
      std::vector<std::uint64_t> order;
      for (int i = 0; i < p; ++i) order.push_back(log.local(2 + i));
      const auto b = std::find(order.begin(), order.end(), std::uint64_t(p - 1));
      EXPECT_EQ(order[0], 0u);
      EXPECT_EQ(b - order.begin(), std::min(handoffs, p - 2) + 1)
          << "cohort_handoffs " << handoffs << ": host B's turn came at the wrong place";
      std::sort(order.begin(), order.end());
      for (int i = 0; i < p; ++i) EXPECT_EQ(order[std::size_t(i)], std::uint64_t(i));
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

// Single-queue locks are FIFO: rank 0 holds the lock, ranks 1..P-1 queue one
// after the other (each waits until the previous one's request is visible),
// and they get the lock in that order. Cohort on one host degenerates to one
// local MCS queue and is FIFO too (ranks_per_host = P, and 0 when the job
// runs on one host); so are the writers of both rw locks.
class FifoLocks : public ::testing::TestWithParam<std::string> {};

TEST_P(FifoLocks, OneHostQueueGrantsInRequestOrder) {
  const int p = world_size(), me = world_rank();
  std::unique_ptr<RmaLockSet> locks;
  if (GetParam() == "cohort-rph0") {
    if (host_shape(0).hosts != 1) GTEST_SKIP() << "the job spans several hosts";
    locks = make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(0, 1));
  } else if (GetParam() == "cohort-one-host") {
    locks = make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(p, 1));
  } else {
    locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 1, 60);
  }
  const int owner = p - 1;
  Words log(2 + p);  // on rank 0: [0] requests visible, [1] holders so far, [2..] holders
  locks->on_request_visible([&](int, int) { log.fetch_add(0, 0, 1); });
  EXPECT_TRUE(wait_for_at_least(log, 0, 0, me)) << "rank " << me - 1 << " never queued";
  locks->acquire(owner, 0);
  if (me == 0) {
    EXPECT_TRUE(wait_for_at_least(log, 0, 0, p)) << "the others never queued";
  }
  const std::int64_t i = log.fetch_add(0, 1, 1);
  log.put(0, 2 + int(i), std::uint64_t(me));
  locks->release(owner, 0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (me == 0) {
    for (int k = 0; k < p; ++k) EXPECT_EQ(log.local(2 + k), std::uint64_t(k)) << "holder " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Fair, FifoLocks,
                         ::testing::Values("mcs", "rw-writer", "rw-reader", "cohort-one-host",
                                           "cohort-rph0"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// No starvation: once a request is visible (on_request_visible), at most B
// acquisitions by other ranks come before it is granted:
//  mcs, cohort on one host: B = P - 1 (FIFO; each other rank once);
//  rw-writer, a writer: B = P - 1 (writers FIFO; a counted waiting writer
//    keeps new readers out, so each other rank enters at most once);
//  cohort, n hosts of at most s ranks, hand-off bound H:
//    B = ceil(s / (H + 1)) * (n * (H + 1) + P - 1) + s - 1
//    (see rma_lock.hpp). Checked under contention on one hot lock; every
// acquisition takes a ticket, and the wait is the tickets taken between the
// request becoming visible and the grant (a lower estimate, so never flaky).
struct FairCase {
  std::string algorithm;
  int ranks_per_host = 0, handoffs = 1;
};

void PrintTo(const FairCase& c, std::ostream* os) {
  *os << c.algorithm << " ranks_per_host " << c.ranks_per_host << " cohort_handoffs " << c.handoffs;
}

class FairLocks : public ::testing::TestWithParam<FairCase> {};

TEST_P(FairLocks, WaitOnceQueuedIsBounded) {
  const FairCase c = GetParam();
  const int p = world_size();
  std::unique_ptr<RmaLockSet> locks;
  std::uint64_t bound = std::uint64_t(p - 1);
  if (c.algorithm == "cohort") {
    locks =
        make_lock_set("cohort", MPI_COMM_WORLD, 1, cohort_options(c.ranks_per_host, c.handoffs));
    const HostShape h = host_shape(c.ranks_per_host);
    if (h.hosts > 1) {
      const std::uint64_t s = std::uint64_t(h.max_size), n = std::uint64_t(h.hosts),
                          H = std::uint64_t(c.handoffs), turns = (s + H) / (H + 1);
      bound = turns * (n * (H + 1) + std::uint64_t(p) - 1) + s - 1;
    }
  } else {
    locks = make_lock_set(c.algorithm, MPI_COMM_WORLD, 1, 60);
  }
  const bool readers = c.algorithm == "rw-writer";
  const int owner = 0;
  Words tickets(1);
  std::int64_t seen = 0;
  locks->on_request_visible([&](int, int) { seen = tickets.fetch_add(owner, 0, 0); });
  std::mt19937 rng(31u + unsigned(world_rank()));
  std::uint64_t worst = 0, measured = 0;
  run_contended([&](std::uint64_t) {
    if (readers && rng() % 2 == 0) {
      locks->acquire_shared(owner, 0);
      tickets.fetch_add(owner, 0, 1);
      locks->release_shared(owner, 0);
      return;
    }
    seen = -1;
    locks->acquire(owner, 0);
    const std::int64_t t = tickets.fetch_add(owner, 0, 1);
    locks->release(owner, 0);
    if (seen < 0) {
      ADD_FAILURE() << "the request-visible hook was not called";
      return;
    }
    worst = std::max(worst, std::uint64_t(t - seen));
    ++measured;
  });
  std::uint64_t all_worst = 0;
  MPI_Allreduce(&worst, &all_worst, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_GT(sum_over_ranks(measured), 0u);
  EXPECT_LE(all_worst, bound) << "acquisitions by others while a request waited";
  if (world_rank() == 0)
    std::cout << c.algorithm << " rph " << c.ranks_per_host << " H " << c.handoffs
              << ": worst wait " << all_worst << " acquisitions, bound " << bound << "\n";
}

INSTANTIATE_TEST_SUITE_P(Bounded, FairLocks,
                         ::testing::Values(FairCase{"mcs"}, FairCase{"rw-writer"},
                                           FairCase{"cohort", 0, 1}, FairCase{"cohort", 1, 1},
                                           FairCase{"cohort", 2, 1}, FairCase{"cohort", 2, 3},
                                           FairCase{"cohort", 4, 1}, FairCase{"cohort", 4, 16}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.algorithm;
                           std::replace(name.begin(), name.end(), '-', '_');
                           if (name == "cohort")
                             name += "_rph" + std::to_string(param_info.param.ranks_per_host) +
                                     "_h" + std::to_string(param_info.param.handoffs);
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
    const std::uint64_t K = kMcsQueueNodes, S = stripes;
    std::uint64_t expected = 8 * S;                                        // winlock, spin
    if (a == "mcs") expected = 8 * S + 16 * K;                             // tails, queue nodes
    if (a == "rw-writer" || a == "rw-reader") expected = 16 * S + 16 * K;  // + counters
    if (a == "cohort") expected = 48 * S + 32 * K;  // two tails, two slot nodes / stripe
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
    EXPECT_NE(std::string(e.what()).find("winlock, spin, mcs, rw-writer, rw-reader, cohort"),
              std::string::npos)
        << e.what();
  }
  LockOptions bad;
  bad.ranks_per_host = -1;
  try {
    make_lock_set("cohort", MPI_COMM_WORLD, 1, bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "lock set: ranks_per_host must be 0 (the real hosts) or positive, not -1");
  }
  bad = LockOptions{};
  bad.cohort_handoffs = 0;
  try {
    make_lock_set("cohort", MPI_COMM_WORLD, 1, bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "lock set: cohort_handoffs must be at least 1, not 0");
  }
  bad = LockOptions{};
  bad.timeout_seconds = -1;
  EXPECT_THROW(make_lock_set("rw-writer", MPI_COMM_WORLD, 1, bad), Error);
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

// Run only by ctest lock_osc_guard (without OMPI_MCA_osc): every algorithm
// built on compare-and-swap / fetch-and-op (all but winlock) refuses to
// start where osc/rdma could crash.
TEST(LockOscGuard, DISABLED_RefusesOscRdmaOnOneNode) {
  for (const auto& a : lock_algorithms()) {
    if (a == "winlock") continue;
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
