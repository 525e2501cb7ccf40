// The processing stage on real MPI ranks (ctest runs this at 2 and 4 ranks):
// verification catches a lost update at many updates per hot key for every
// lock (every entry of lock_algorithms(), and lock-free) and transform, with
// one replica per key and with three; a lost write to one replica is caught;
// replicated keys verify across failures between processing rounds; a stop
// request ends a round after its first batch with exactly the applied
// updates verified, and the lock suite stops between configurations and
// hands each result to its callback.
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/key_trace.hpp"
#include "engine/membership.hpp"
#include "engine/replicas.hpp"
#include "engine/shard.hpp"
#include "engine/stop_token.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "lock_suite.hpp"
#include "locks/rma_lock.hpp"
#include "mpi_test_util.hpp"
#include "processing.hpp"
#include "registry.hpp"
#include "runner.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// An experiment's keys, strategy and membership with every replica of every
// key on its node's rank: the state a processing round starts from after an
// event.
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
    shard = Shard(e.keys.value_bytes, e.replicas > 1);
    std::vector<std::byte> value(e.keys.value_bytes);
    NodeId owners[kMaxReplicas];
    // Every key (a key trace's keys may live on other ranks: ask for them).
    std::vector<std::uint64_t> indices(e.keys.count);
    for (std::uint64_t i = 0; i < e.keys.count; ++i) indices[i] = i;
    for (const std::uint64_t key : resolve_trace_keys(e.keys, indices, MPI_COMM_WORLD)) {
      replica_owners(*placement, *membership, e.keys.key_hash(key), e.replicas, owners);
      e.keys.fill_value(key, value);
      for (std::uint32_t j = 0; j < e.replicas; ++j)
        if (membership->rank_of(owners[j]) == world_rank())
          shard.push(key, owners[j], value.data(), static_cast<std::uint8_t>(j));
    }
  }

  ProcessingStats round(std::uint64_t number, bool lose_one_update = false,
                        StopToken* stop = nullptr, bool time_out_first_lock = false,
                        bool lose_one_replica_write = false) {
    return run_processing_round(shard, e.keys, *placement, *membership, e.processing, number,
                                MPI_COMM_WORLD, lose_one_update, time_out_first_lock, stop,
                                e.replicas, lose_one_replica_write);
  }
  // Records on this rank that are a second (or third) replica of a key
  // already held here, summed over ranks.
  std::uint64_t colocated_replicas() const {
    std::vector<std::uint64_t> k(shard.keys.begin(), shard.keys.end());
    std::sort(k.begin(), k.end());
    std::uint64_t n = 0;
    for (std::size_t i = 1; i < k.size(); ++i) n += k[i] == k[i - 1];
    MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return n;
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

// (lock, transform, replicas): every algorithm make_lock_set knows with both
// transforms, and the lock-free baseline with increments, each with one and
// with three replicas per key.
struct LockCase {
  std::string lock, transform;
  std::uint32_t replicas;
};

std::vector<LockCase> lock_cases() {
  std::vector<LockCase> out;
  for (std::uint32_t r : {1u, 3u}) {
    for (const std::string& lock : lock_algorithms())
      for (const char* t : {"increment", "double"}) out.push_back({lock, t, r});
    out.push_back({"none", "increment", r});
  }
  return out;
}

// A test name from a case: gtest names take letters, digits and '_' only.
std::string case_name(const LockCase& c) {
  std::string n = c.lock + "_" + c.transform + "_r" + std::to_string(c.replicas);
  std::replace_if(
      n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
  return n;
}

void PrintTo(const LockCase& c, std::ostream* os) { *os << case_name(c); }

std::vector<std::string> case_sets(const LockCase& c) {
  return {"processing.lock=" + c.lock, "processing.transform=" + c.transform,
          "cluster.replicas=" + std::to_string(c.replicas)};
}

class LostUpdate : public ::testing::TestWithParam<LockCase> {};

TEST_P(LostUpdate, IsCaughtAtManyUpdatesPerHotKeyAndACorrectRunPasses) {
  const LockCase& c = GetParam();
  const std::vector<std::string> sets = case_sets(c);
  {
    World w(kHotKeys, sets);
    const std::size_t before = w.shard.size();
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(1));
    EXPECT_EQ(s.updates + s.reads + s.missed, 2000u * std::uint64_t(world_size()));
    EXPECT_EQ(s.missed, 0u);
    EXPECT_EQ(s.checked, 4000u * c.replicas);  // every replica's record
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
    // key's values are wrong, on every replica, and the message says so on
    // every rank.
    try {
      w.round(round, world_rank() == world_size() - 1);
      ADD_FAILURE() << "round " << round << ": the lost update was not caught";
    } catch (const VerificationError& e) {
      EXPECT_EQ(std::string(e.what()),
                "processing after event " + std::to_string(round) + ": " +
                    std::to_string(c.replicas) +
                    " value(s) differ from the updates applied to them (lost or doubled "
                    "updates) with lock '" +
                    c.lock + "'");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, LostUpdate, ::testing::ValuesIn(lock_cases()),
                         [](const auto& param_info) { return case_name(param_info.param); });

// Every request distribution of [processing] keys: a clean round verifies,
// with as many operations as were asked, and a lost update is caught.
class RequestKeys : public ::testing::TestWithParam<std::string> {};

TEST_P(RequestKeys, RoundVerifiesAndALostUpdateIsCaught) {
  const std::vector<std::string> sets = {"processing.keys=" + GetParam(), "processing.reads=0.2"};
  {
    World w(kHotKeys, sets);
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(1));
    EXPECT_EQ(s.updates + s.reads + s.missed, 2000u * std::uint64_t(world_size()));
    EXPECT_GT(s.updates, 0u);
    EXPECT_GT(s.reads, 0u);
  }
  World w(kHotKeys, sets);
  EXPECT_THROW(w.round(1, world_rank() == 0), VerificationError);
}

INSTANTIATE_TEST_SUITE_P(All, RequestKeys,
                         ::testing::Values("uniform", "zipf", "zipfian", "latest", "hotspot",
                                           "hot"));

TEST(LostUpdate, LockFreeDoubleIsRejectedAsInput) {
  EXPECT_THROW(
      {
        World w(kHotKeys, {"processing.lock=none", "processing.transform=double"});
      },
      Error);
}

// Replicated keys, every lock (and lock-free), two and three replicas.
struct ReplicaCase {
  std::string lock;
  std::uint32_t replicas;
};

std::vector<ReplicaCase> replica_cases() {
  std::vector<ReplicaCase> out;
  for (std::uint32_t r : {2u, 3u}) {
    for (const std::string& lock : lock_algorithms()) out.push_back({lock, r});
    out.push_back({"none", r});
  }
  return out;
}

std::string replica_case_name(const ReplicaCase& c) {
  std::string n = c.lock + "_r" + std::to_string(c.replicas);
  std::replace_if(
      n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
  return n;
}

// Few updates over many keys: a key written once in the round keeps what its
// one write left on every replica (a later write would copy the primary's
// value over a replica that missed one). 16 nodes: at up to 8 ranks some
// rank holds two replicas of a key.
const char* const kSparseKeys = R"(
[keys]
count = 50000
seed = 21
[cluster]
nodes = 16
[processing]
updates = 16
keys = "uniform"
stripes = 16
timeout = 60
[[strategies]]
name = "rendezvous"
)";

void PrintTo(const ReplicaCase& c, std::ostream* os) { *os << replica_case_name(c); }

class ReplicaWrite : public ::testing::TestWithParam<ReplicaCase> {};

TEST_P(ReplicaWrite, EveryReplicaIsWrittenAndALostWriteToOneIsCaught) {
  const ReplicaCase& c = GetParam();
  const std::vector<std::string> sets = {"processing.lock=" + c.lock,
                                         "cluster.replicas=" + std::to_string(c.replicas)};
  {
    World w(kSparseKeys, sets);
    // Two replicas of one key in one rank's window: their slots must differ.
    ASSERT_GT(w.colocated_replicas(), 0u);
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(1));
    EXPECT_EQ(s.updates, 16u * std::uint64_t(world_size()));
    EXPECT_EQ(s.checked, 50000u * c.replicas);
    ASSERT_NO_THROW(w.round(2));
  }
  World w(kSparseKeys, sets);
  try {
    w.round(1, false, nullptr, false, world_rank() == world_size() - 1);
    ADD_FAILURE() << "the lost replica write was not caught";
  } catch (const VerificationError& e) {
    EXPECT_EQ(std::string(e.what()),
              "processing after event 1: 1 value(s) differ from the updates applied to them "
              "(lost or doubled updates) with lock '" +
                  c.lock + "'");
  }
}

// Reads under a reader-writer lock take it shared; with replication they
// read one replica. A read-mostly round on hot keys verifies for every lock.
TEST_P(ReplicaWrite, ReadMostlyHotKeysVerify) {
  const ReplicaCase& c = GetParam();
  World w(kHotKeys, {"processing.lock=" + c.lock, "cluster.replicas=" + std::to_string(c.replicas),
                     "processing.reads=0.8"});
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(5));
  EXPECT_GT(s.reads, s.updates);
  EXPECT_GT(s.updates, 0u);
  EXPECT_EQ(s.updates + s.reads, 2000u * std::uint64_t(world_size()));
}

// The runner: processing after every event of a timeline with failures, so
// that replicas lost in a failure are re-created (copied from a surviving
// replica) after rounds that changed the values; the verifier's checksum
// after each event, which follows the processing rounds, passes only if
// every re-created replica carries its key's current value. A lost update
// in such a run is caught.
const char* const kFailures = R"(
[keys]
count = 20000
seed = 3
[cluster]
nodes = 12
initial = 10
[processing]
updates = 300
keys = "zipf"
reads = 0.3
stripes = 8
timeout = 60
[[strategies]]
name = "ring"
[[strategies]]
name = "rendezvous"
[[events]]
kind = "add"
count = 1
[[events]]
kind = "fail"
count = 1
[[events]]
kind = "fail"
count = 2
[[events]]
kind = "rejoin"
count = 1
[[events]]
kind = "remove"
count = 1
)";

TEST_P(ReplicaWrite, FailuresBetweenRoundsRecreateCurrentValues) {
  const ReplicaCase& c = GetParam();
  const std::vector<std::string> sets = {"processing.lock=" + c.lock,
                                         "cluster.replicas=" + std::to_string(c.replicas)};
  Experiment e = parse_experiment(kFailures, "failures.toml", sets);
  validate_experiment(e, world_size());
  RunResult r;
  ASSERT_NO_THROW(r = run_experiment(e, RunOptions{}, MPI_COMM_WORLD));
  ASSERT_EQ(r.strategies.size(), 2u);
  for (const auto& sr : r.strategies) {
    ASSERT_EQ(sr.events.size(), 5u) << sr.label;
    std::uint64_t recreated = 0;
    for (const auto& ev : sr.events) {
      EXPECT_GT(ev.updates, 0u) << sr.label << " " << ev.detail;
      EXPECT_EQ(ev.updates + ev.update_reads + ev.updates_missed, 300u * world_size())
          << sr.label << " " << ev.detail;
      if (ev.kind == EventKind::kFail) {
        EXPECT_GT(ev.replicas_created, 0u) << sr.label << " " << ev.detail;
        recreated += ev.replicas_created;
      }
    }
    EXPECT_GT(recreated, 0u);
  }
  RunOptions lost;
  lost.fault = Fault::kLostUpdate;
  EXPECT_THROW(run_experiment(e, lost, MPI_COMM_WORLD), VerificationError);
}

INSTANTIATE_TEST_SUITE_P(All, ReplicaWrite, ::testing::ValuesIn(replica_cases()),
                         [](const auto& param_info) {
                           return replica_case_name(param_info.param);
                         });

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
