// The processing stage on real MPI ranks (ctest runs this at 2 and 4 ranks):
// verification catches a lost update at many updates per hot key for every
// lock and transform, a stop request ends a round after its first batch with
// exactly the applied updates verified, and the lock suite stops between
// configurations and hands each result to its callback.
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/time.h>

#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/key_trace.hpp"
#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "engine/stop_token.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "lock_suite.hpp"
#include "mpi_test_util.hpp"
#include "processing.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// An experiment's keys, strategy and membership with every key on its owner:
// the state a processing round starts from after an event.
struct World {
  Experiment e;
  std::unique_ptr<Placement> placement;
  std::unique_ptr<Membership> membership;
  Shard shard;

  explicit World(const std::string& text, const std::vector<std::string>& sets = {})
      : e(parse_experiment(text, "processing_test.toml", sets)) {
    validate_experiment(e, world_size());
    membership = std::make_unique<Membership>(e.nodes, world_size(), e.weights);
    placement = make_placement(e.strategies[0].params);
    std::vector<NodeSpec> nodes;
    for (NodeId n = 0; n < e.nodes; ++n) nodes.push_back(membership->spec(n));
    placement->init(nodes, e.nodes);
    shard = Shard(e.keys.value_bytes);
    std::vector<std::byte> value(e.keys.value_bytes);
    // Every key (a key trace's keys may live on other ranks: ask for them).
    std::vector<std::uint64_t> indices(e.keys.count);
    for (std::uint64_t i = 0; i < e.keys.count; ++i) indices[i] = i;
    for (const std::uint64_t key : resolve_trace_keys(e.keys, indices, MPI_COMM_WORLD)) {
      const NodeId owner = placement->lookup(e.keys.key_hash(key));
      if (membership->rank_of(owner) != world_rank()) continue;
      e.keys.fill_value(key, value);
      shard.push(key, owner, value.data());
    }
  }

  ProcessingStats round(std::uint64_t number, bool lose_one_update = false,
                        StopToken* stop = nullptr, bool time_out_first_lock = false) {
    return run_processing_round(shard, e.keys, *placement, *membership, e.processing, number,
                                MPI_COMM_WORLD, lose_one_update, time_out_first_lock, stop);
  }
};

// 2,000 updates per rank on 4 hot keys: each key is transformed about
// 500 x ranks times, far past the 64 doublings after which doubling mod 2^64
// is 0 whatever was lost.
const char* const kHotKeys = R"(
[keys]
count = 4000
seed = 11
[cluster]
nodes = 8
[processing]
updates = 2000
keys = "hot"
hot_keys = 4
stripes = 4
timeout = 60
[[strategies]]
name = "ring"
)";

class LostUpdate : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(LostUpdate, IsCaughtAtManyUpdatesPerHotKeyAndACorrectRunPasses) {
  const auto [lock, transform] = GetParam();
  const std::vector<std::string> sets = {std::string("processing.lock=") + lock,
                                         std::string("processing.transform=") + transform};
  {
    World w(kHotKeys, sets);
    const std::size_t before = w.shard.size();
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(1));
    EXPECT_EQ(s.updates + s.reads + s.missed, 2000u * std::uint64_t(world_size()));
    EXPECT_EQ(s.missed, 0u);
    EXPECT_EQ(s.checked, 4000u);
    EXPECT_FALSE(s.stopped);
    EXPECT_EQ(w.shard.size(), before);
    EXPECT_GT(s.latency_p50_us, 0);
    EXPECT_LE(s.latency_p50_us, s.latency_p99_us);
    EXPECT_LE(s.latency_p99_us, s.latency_max_us);
    // The values the first round wrote are the start of the next: still exact.
    ASSERT_NO_THROW(w.round(2));
  }
  for (std::uint64_t round = 1; round <= 2; ++round) {
    World w(kHotKeys, sets);
    // The last rank writes its first update back unchanged: exactly one
    // value is wrong, and the message says so on every rank.
    try {
      w.round(round, world_rank() == world_size() - 1);
      ADD_FAILURE() << "round " << round << ": the lost update was not caught";
    } catch (const VerificationError& e) {
      EXPECT_EQ(std::string(e.what()),
                "processing after event " + std::to_string(round) +
                    ": 1 value(s) differ from the updates applied to them (lost or doubled "
                    "updates) with lock '" +
                    lock + "'");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, LostUpdate,
    ::testing::Values(std::make_tuple("winlock", "increment"), std::make_tuple("winlock", "double"),
                      std::make_tuple("spin", "increment"), std::make_tuple("spin", "double"),
                      std::make_tuple("mcs", "increment"), std::make_tuple("mcs", "double"),
                      std::make_tuple("none", "increment")),
    [](const auto& param_info) {
      return std::string(std::get<0>(param_info.param)) + "_" + std::get<1>(param_info.param);
    });

TEST(LostUpdate, LockFreeDoubleIsRejectedAsInput) {
  EXPECT_THROW(
      {
        World w(kHotKeys, {"processing.lock=none", "processing.transform=double"});
      },
      Error);
}

// 3 full batches and a short one per rank (work outside the lock makes a
// batch 64 updates: 50 ms / (2 + 700) us, rounded down to a power of two).
const char* const kBatches = R"(
[keys]
count = 3000
seed = 5
[cluster]
nodes = 4
[processing]
updates = 200
work_outside_us = 700
keys = "uniform"
lock = "mcs"
stripes = 8
transform = "double"
reads = 0.1
timeout = 60
[[strategies]]
name = "ring"
)";

TEST(ProcessingStop, AFlagOnOneRankStopsEveryRankAfterTheFirstBatch) {
  World w(kBatches);
  const std::uint64_t batch = processing_batch(w.e.processing);
  ASSERT_EQ(batch, 64u);
  ASSERT_GT(200u, 3 * batch);
  volatile std::sig_atomic_t flag = world_rank() == world_size() - 1 ? 1 : 0;
  StopToken stop(MPI_COMM_WORLD, &flag);
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(7, false, &stop));
  EXPECT_TRUE(s.stopped);
  EXPECT_TRUE(stop.stopped());
  EXPECT_EQ(s.batches, 1u);
  EXPECT_EQ(s.updates + s.reads + s.missed, batch * std::uint64_t(world_size()));
  EXPECT_GT(s.updates, 0u);
  // The round's values are exactly the applied batch's: the next round,
  // unstopped, starts from them and verifies.
  StopToken go(MPI_COMM_WORLD, nullptr);
  ASSERT_NO_THROW(s = w.round(8, false, &go));
  EXPECT_FALSE(s.stopped);
  EXPECT_EQ(s.batches, 4u);
  EXPECT_EQ(s.updates + s.reads + s.missed, 200u * std::uint64_t(world_size()));
}

TEST(ProcessingStop, AStoppedRoundStillCatchesALostUpdate) {
  World w(kBatches);
  volatile std::sig_atomic_t flag = world_rank() == 0 ? 1 : 0;
  StopToken stop(MPI_COMM_WORLD, &flag);
  EXPECT_THROW(w.round(9, world_rank() == world_size() - 1, &stop), VerificationError);
  EXPECT_TRUE(stop.stopped());
}

TEST(ProcessingStop, NoFlagRunsEveryBatch) {
  World w(kBatches);
  volatile std::sig_atomic_t flag = 0;
  StopToken stop(MPI_COMM_WORLD, &flag);
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(10, false, &stop));
  EXPECT_FALSE(s.stopped);
  EXPECT_EQ(s.batches, 4u);
  EXPECT_EQ(s.updates + s.reads + s.missed, 200u * std::uint64_t(world_size()));
}

// (key, count) pairs by destination: rank s sends n(s, d) pairs to rank d,
// key (s, d, i) and count i + 1; every rank gets exactly what was sent to it,
// ordered by source, in one round and in many small ones (each round's counts
// and displacements at most max_per_round).
std::uint64_t pairs_from_to(int s, int d) {
  return std::uint64_t((s * 7 + d * 3) % 11 + 4 * (s == d));
}

void expect_exchange(std::uint64_t max_per_round) {
  const int p = world_size(), me = world_rank();
  std::vector<KeyCount> pairs;
  std::vector<std::uint64_t> counts;
  for (int d = 0; d < p; ++d) {
    counts.push_back(pairs_from_to(me, d));
    for (std::uint64_t i = 0; i < counts.back(); ++i)
      pairs.push_back(KeyCount{(std::uint64_t(me) << 40) | (std::uint64_t(d) << 20) | i, i + 1});
  }
  const auto got = exchange_key_counts(pairs, counts, MPI_COMM_WORLD, max_per_round);
  std::vector<KeyCount> want;
  for (int s = 0; s < p; ++s)
    for (std::uint64_t i = 0; i < pairs_from_to(s, me); ++i)
      want.push_back(KeyCount{(std::uint64_t(s) << 40) | (std::uint64_t(me) << 20) | i, i + 1});
  ASSERT_EQ(got.size(), want.size()) << "max_per_round " << max_per_round;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key) << i;
    EXPECT_EQ(got[i].count, want[i].count) << i;
  }
}

TEST(ProcessingExchange, KeyCountsReachTheirRanksInOneRoundOrMany) {
  expect_exchange(INT_MAX);
  expect_exchange(std::uint64_t(world_size()) + 1);  // one pair per round beyond the rank count
  expect_exchange(std::uint64_t(world_size()) + 5);
  // Counts that do not match the pairs, or rounds too small: errors.
  const std::vector<std::uint64_t> counts(std::size_t(world_size()), 1);
  EXPECT_THROW(exchange_key_counts({}, counts, MPI_COMM_WORLD), Error);
  EXPECT_THROW(exchange_key_counts({}, std::vector<std::uint64_t>(std::size_t(world_size()), 0),
                                   MPI_COMM_WORLD, std::uint64_t(world_size())),
               Error);
}

// Keys from a key trace (KeyDistribution::kFile): processing turns its draws
// into keys through resolve_trace_keys, and verifies as for generated keys.
TEST(ProcessingTrace, UpdatesToTraceKeysVerifyAndALostOneIsCaught) {
  const std::string trace = "processing_test_trace.txt";
  if (world_rank() == 0) {
    std::FILE* f = std::fopen(trace.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 3000; ++i) std::fprintf(f, "user:%d\n", (i * 37) % 2500);
    std::fclose(f);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string text = R"(
[keys]
distribution = "file"
file = ")" + trace + R"("
seed = 4
[cluster]
nodes = 4
[processing]
updates = 600
keys = "zipf"
lock = "mcs"
stripes = 8
reads = 0.1
timeout = 60
[[strategies]]
name = "ring"
)";
  {
    World w(text);
    ASSERT_EQ(w.e.keys.count, 2500u);
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(3));
    EXPECT_EQ(s.updates + s.reads + s.missed, 600u * std::uint64_t(world_size()));
    EXPECT_EQ(s.missed, 0u);
    EXPECT_EQ(s.checked, 2500u);
  }
  {
    World w(text);
    EXPECT_THROW(w.round(4, world_rank() == 0), VerificationError);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) std::remove(trace.c_str());
}

// The lock suite: a stop request during the first configuration ends it
// after that configuration; each completed result reaches the callback on
// every rank, the same everywhere.
volatile std::sig_atomic_t g_alarm = 0;
extern "C" void on_alarm(int) { g_alarm = 1; }

const char* const kLockSuite = R"(
[locks]
algorithms = ["spin", "mcs"]
workloads = ["empty", "uncontended"]
duration = %s
acquisitions = 0
)";

std::string lock_suite_text(const char* duration) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kLockSuite, duration);
  return buf;
}

// Every rank saw the same (algorithm, workload, acquisitions) sequence.
void expect_same_on_every_rank(const std::vector<LockBenchResult>& seen) {
  std::uint64_t h = seen.size();
  for (const auto& r : seen)
    h = h * 1000003 + std::hash<std::string>{}(r.algorithm + "/" + r.workload) + r.acquisitions;
  std::uint64_t lo = 0, hi = 0;
  MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi) << "ranks saw different results";
}

TEST(LockSuiteStop, SignalDuringTheFirstConfigurationStopsAfterIt) {
  Experiment e = parse_experiment(lock_suite_text("2.0"), "locks.toml");
  validate_experiment(e, world_size());
  g_alarm = 0;
  if (world_rank() == 0) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, nullptr);
    itimerval t{};
    t.it_value.tv_usec = 500000;  // 0.5 s into the first 2 s configuration
    setitimer(ITIMER_REAL, &t, nullptr);
  }
  StopToken stop(MPI_COMM_WORLD, &g_alarm);
  std::vector<LockBenchResult> seen;
  const auto out = run_lock_suite(e, MPI_COMM_WORLD, nullptr, &stop,
                                  [&](const LockBenchResult& r) { seen.push_back(r); });
  EXPECT_EQ(g_alarm, world_rank() == 0 ? 1 : 0);
  EXPECT_TRUE(stop.stopped());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(out[0].algorithm, "spin");
  EXPECT_EQ(out[0].workload, "empty");
  EXPECT_EQ(seen[0].acquisitions, out[0].acquisitions);
  EXPECT_GT(out[0].acquisitions, 0u);
  EXPECT_EQ(out[0].ranks, world_size());
  expect_same_on_every_rank(seen);
  if (world_rank() == 0) signal(SIGALRM, SIG_DFL);
}

TEST(LockSuiteStop, WithoutASignalEveryConfigurationRunsAndReachesTheCallback) {
  Experiment e = parse_experiment(lock_suite_text("0.1"), "locks.toml");
  e.locks.ranks = {1, world_size(), world_size() + 1};  // the last is skipped
  validate_experiment(e, world_size());
  volatile std::sig_atomic_t flag = 0;
  StopToken stop(MPI_COMM_WORLD, &flag);
  std::vector<LockBenchResult> seen;
  std::vector<int> skipped;
  const auto out = run_lock_suite(e, MPI_COMM_WORLD, &skipped, &stop,
                                  [&](const LockBenchResult& r) { seen.push_back(r); });
  EXPECT_FALSE(stop.stopped());
  ASSERT_EQ(out.size(), 8u);
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(skipped, std::vector<int>{world_size() + 1});
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].ranks, i < 4 ? 1 : world_size()) << i;
    EXPECT_EQ(out[i].algorithm, i % 4 < 2 ? "spin" : "mcs") << i;
    EXPECT_EQ(out[i].workload, i % 2 == 0 ? "empty" : "uncontended") << i;
    EXPECT_EQ(seen[i].acquisitions, out[i].acquisitions) << i;
    EXPECT_GT(out[i].acquisitions, 0u) << i;
    EXPECT_EQ(out[i].per_rank_acquisitions.size(), std::size_t(out[i].ranks)) << i;
    // The latency histogram reaches every rank, also those outside the
    // configuration's communicator.
    EXPECT_EQ(out[i].latency.count(), out[i].acquisitions) << i;
    EXPECT_EQ(out[i].latency.percentile(0.99), out[i].latency_p99_us) << i;
  }
  expect_same_on_every_rank(seen);
}

}  // namespace
}  // namespace ringsim
