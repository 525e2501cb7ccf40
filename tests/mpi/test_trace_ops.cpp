// The processing stage's request stream from a key trace ([processing] keys =
// "trace") and its measured request load per node (ops_peak_to_mean,
// ops_cv), on real MPI ranks (ctest runs this at 1, 2 and 4 ranks): every
// request of a Twitter trace is one operation per round, plain and
// zstd-compressed, get/gets its reads; requests for keys outside the key set
// are missed; `updates` caps each rank's replay; a lost update is caught; a
// lines trace gives updates unless `reads` draws some; keys = "trace"
// without a key trace is refused; the request load of one hot key sits on
// one node, that of uniform keys is near even.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event_metrics.hpp"
#include "engine/key_trace.hpp"
#include "engine/membership.hpp"
#include "engine/replicas.hpp"
#include "engine/shard.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "mpi_test_util.hpp"
#include "processing.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// A folder every rank sees, made by rank 0 and named after its process.
const std::string& work_dir() {
  static const std::string dir = [] {
    long pid = world_rank() == 0 ? static_cast<long>(::getpid()) : 0;
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    const std::string d = testing::TempDir() + "/ringsim_trace_ops_" + std::to_string(pid);
    if (world_rank() == 0) std::filesystem::create_directories(d);
    MPI_Barrier(MPI_COMM_WORLD);
    return d;
  }();
  return dir;
}

// Rank 0 writes `bytes` to work_dir()/name (zstd-compressed if `zstd`);
// every rank gets the path.
std::string write_file(const std::string& name, const std::string& bytes, bool zstd = false) {
  const std::string path = work_dir() + "/" + name;
  if (world_rank() == 0) {
    std::string out = bytes;
    if (zstd) {
      out.assign(ZSTD_compressBound(bytes.size()), '\0');
      out.resize(ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3));
    }
    std::ofstream(path + ".tmp", std::ios::binary) << out;
    std::filesystem::rename(path + ".tmp", path);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

// A Twitter trace of numeric keys (a key field of digits is that number):
// skewed over `distinct_max` keys, about three reads (get, gets) to one
// update (set, add, cas, delete, incr, ...), the same text on every rank.
struct Trace {
  std::string text;
  std::vector<std::uint64_t> keys;  // request by request
  std::vector<bool> reads;
  std::vector<std::uint64_t> first_seen;  // distinct keys, in order of first appearance
  std::uint64_t read_count = 0;
};

Trace twitter_trace(int requests, std::uint64_t distinct_max, std::uint64_t seed) {
  const char* const ops[] = {"get", "gets", "get", "set",     "get",  "gets", "add",
                             "get", "cas",  "get", "replace", "gets", "incr", "delete"};
  std::mt19937_64 rng(seed);
  Trace t;
  std::unordered_map<std::uint64_t, bool> seen;
  for (int i = 0; i < requests; ++i) {
    const std::uint64_t u = rng() % distinct_max;
    const std::uint64_t key = 1000 + u * u % distinct_max;  // some keys far hotter
    const std::string op = ops[rng() % 14];
    t.text += std::to_string(1600000000 + i / 50) + "," + std::to_string(key) + ",8,100," +
              std::to_string(i % 7) + "," + op + ",0\n";
    t.keys.push_back(key);
    const bool read = op == "get" || op == "gets";
    t.reads.push_back(read);
    t.read_count += read;
    if (seen.emplace(key, true).second) t.first_seen.push_back(key);
  }
  return t;
}

// An experiment's keys, strategy and membership with every key on its
// node's rank, the key trace loaded collectively: the state a processing
// round starts from after an event.
struct World {
  Experiment e;
  std::unique_ptr<Placement> placement;
  std::unique_ptr<Membership> membership;
  Shard shard;

  explicit World(const std::string& text, const std::vector<std::string>& sets = {})
      : e(parse_experiment(text, "trace_ops_test.toml", sets)) {
    load_key_trace(e.keys, e.keys_count_given, e.source, MPI_COMM_WORLD);
    validate_experiment(e, world_size());
    membership = std::make_unique<Membership>(e.nodes, world_size(), e.weights);
    placement = make_placement(e.strategies[0].params);
    std::vector<NodeSpec> nodes;
    for (NodeId n = 0; n < e.nodes; ++n) {
      nodes.push_back(membership->spec(n));
      membership->activate(n);
    }
    placement->init(nodes, e.nodes);
    shard = Shard(e.keys.value_bytes, e.replicas > 1);
    std::vector<std::byte> value(e.keys.value_bytes);
    NodeId owners[kMaxReplicas];
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

  ProcessingStats round(std::uint64_t number, bool lose_one_update = false) {
    return run_processing_round(shard, e.keys, *placement, *membership, e.processing, number,
                                MPI_COMM_WORLD, lose_one_update, false, nullptr, e.replicas);
  }

  // The request load's shape of `keys` requested once each, placed here:
  // what ops_peak_to_mean and ops_cv must be.
  std::pair<double, double> shape_of(const std::vector<std::uint64_t>& keys) const {
    std::vector<std::uint64_t> per_node(e.nodes, 0);
    for (std::uint64_t k : keys) ++per_node[placement->lookup(e.keys.key_hash(k))];
    return load_shape(per_node, *membership, static_cast<double>(keys.size()));
  }
};

std::string trace_experiment(const std::string& path, const std::string& format,
                             const std::string& processing) {
  return "[keys]\ndistribution = \"file\"\nfile = \"" + path + "\"\nformat = \"" + format +
         "\"\nseed = 5\n[cluster]\nnodes = 8\n[processing]\nkeys = \"trace\"\nstripes = 8\n"
         "timeout = 60\n" +
         processing + "\n[[strategies]]\nname = \"ring\"\n";
}

class TwitterReplay : public ::testing::TestWithParam<bool> {};  // zstd-compressed?

TEST_P(TwitterReplay, EveryRequestIsOneOperationEveryRoundAndALostUpdateIsCaught) {
  const bool zstd = GetParam();
  const Trace t = twitter_trace(3000, 700, 3);
  const std::string path = write_file(zstd ? "replay.csv.zst" : "replay.csv", t.text, zstd);
  const std::string text = trace_experiment(path, "twitter", "");
  const std::pair<double, double> want = World(text).shape_of(t.keys);
  {
    World w(text);
    ASSERT_EQ(w.e.keys.count, t.first_seen.size());
    for (std::uint64_t round = 1; round <= 2; ++round) {
      ProcessingStats s;
      ASSERT_NO_THROW(s = w.round(round)) << "round " << round;
      EXPECT_EQ(s.reads, t.read_count) << "round " << round;
      EXPECT_EQ(s.updates, t.keys.size() - t.read_count) << "round " << round;
      EXPECT_EQ(s.missed, 0u);
      EXPECT_EQ(s.checked, t.first_seen.size());
      EXPECT_NEAR(s.ops_peak_to_mean, want.first, 1e-9);
      EXPECT_NEAR(s.ops_cv, want.second, 1e-9);
      EXPECT_GT(s.ops_peak_to_mean, 1.0);
    }
  }
  // The last rank writes its first update back unchanged: caught on every
  // rank, with lock and lock-free increments alike.
  for (const char* lock : {"mcs", "none"}) {
    World w(text, {std::string("processing.lock=") + lock});
    EXPECT_THROW(w.round(1, world_rank() == world_size() - 1), VerificationError) << lock;
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndZstd, TwitterReplay, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "zstd" : "plain"; });

TEST(TraceReplay, RequestsForKeysOutsideTheKeySetAreMissed) {
  const Trace t = twitter_trace(2000, 500, 9);
  const std::string path = write_file("missed.csv", t.text);
  const std::uint64_t count = t.first_seen.size() / 2;
  World w(trace_experiment(path, "twitter", ""), {"keys.count=" + std::to_string(count)});
  // The key set is the first `count` distinct keys.
  const std::vector<std::uint64_t> in_set(t.first_seen.begin(),
                                          t.first_seen.begin() + static_cast<long>(count));
  std::uint64_t missed = 0, reads = 0;
  for (std::size_t i = 0; i < t.keys.size(); ++i) {
    const bool known = std::find(in_set.begin(), in_set.end(), t.keys[i]) != in_set.end();
    missed += !known;
    reads += known && t.reads[i];
  }
  ASSERT_GT(missed, 0u);
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(1));
  EXPECT_EQ(s.missed, missed);
  EXPECT_EQ(s.reads, reads);
  EXPECT_EQ(s.updates + s.reads + s.missed, t.keys.size());
  // Missed requests still land on their primary node.
  const std::pair<double, double> want = w.shape_of(t.keys);
  EXPECT_NEAR(s.ops_peak_to_mean, want.first, 1e-9);
}

TEST(TraceReplay, UpdatesCapsEachRanksReplayPerRound) {
  // A zstd trace's share of rank r is the requests j with j mod P = r.
  const Trace t = twitter_trace(1000, 300, 4);
  const std::string path = write_file("cap.csv.zst", t.text, true);
  const std::uint64_t cap = 37, P = static_cast<std::uint64_t>(world_size());
  std::uint64_t want = 0;
  for (std::uint64_t r = 0; r < P; ++r) want += std::min(cap, (1000 - r + P - 1) / P);
  World w(trace_experiment(path, "twitter", "updates = " + std::to_string(cap)));
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(1));
  EXPECT_EQ(s.updates + s.reads + s.missed, want);
  // The first `cap` requests of each rank's share: their reads exactly.
  std::uint64_t reads = 0;
  for (std::uint64_t j = 0; j < t.keys.size(); ++j) reads += j / P < cap && t.reads[j];
  EXPECT_EQ(s.reads, reads);
}

TEST(TraceReplay, ALinesTraceGivesUpdatesUnlessReadsDrawsSome) {
  std::string text;
  std::mt19937_64 rng(12);
  for (int i = 0; i < 1500; ++i) {
    text += 'k';
    text += std::to_string(rng() % 400);
    text += '\n';
  }
  const std::string path = write_file("lines.txt", text);
  {
    World w(trace_experiment(path, "lines", ""));
    ProcessingStats s;
    ASSERT_NO_THROW(s = w.round(1));
    EXPECT_EQ(s.updates, 1500u);
    EXPECT_EQ(s.reads, 0u);
  }
  World w(trace_experiment(path, "lines", "reads = 0.5"));
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(1));
  EXPECT_EQ(s.updates + s.reads, 1500u);
  // 750 expected, sd ~19: far from all or none.
  EXPECT_GT(s.reads, 600u);
  EXPECT_LT(s.reads, 900u);
}

TEST(TraceReplay, IsRefusedWithoutAKeyTrace) {
  const std::string uniform =
      "[keys]\ncount = 1000\n[processing]\nkeys = \"trace\"\n[[strategies]]\nname = \"ring\"\n";
  try {
    parse_experiment(uniform, "notrace.toml");
    ADD_FAILURE() << "keys = \"trace\" on uniform keys was accepted";
  } catch (const Error& err) {
    const std::string msg = err.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("processing.keys"), std::string::npos) << msg;
    EXPECT_NE(msg.find("keys.distribution = \"file\""), std::string::npos) << msg;
  }
  // A twitter trace says which requests read: reads > 0 is refused too.
  const std::string path = write_file("reads.csv", twitter_trace(10, 5, 1).text);
  EXPECT_THROW(parse_experiment(trace_experiment(path, "twitter", "reads = 0.3"), "r.toml"), Error);
  // The round itself refuses it on every rank, before any collective.
  const std::string hot =
      "[keys]\ncount = 1000\n[cluster]\nnodes = 4\n[processing]\nupdates = 10\n"
      "[[strategies]]\nname = \"ring\"\n";
  Experiment e = parse_experiment(hot, "round.toml");
  validate_experiment(e, world_size());
  Membership m(e.nodes, world_size(), e.weights);
  auto placement = make_placement(e.strategies[0].params);
  std::vector<NodeSpec> nodes;
  for (NodeId n = 0; n < e.nodes; ++n) nodes.push_back(m.spec(n));
  placement->init(nodes, e.nodes);
  Shard shard(e.keys.value_bytes, false);
  e.processing.keys = "trace";
  EXPECT_THROW(run_processing_round(shard, e.keys, *placement, m, e.processing, 1, MPI_COMM_WORLD),
               Error);
}

// The request load measured per node, with drawn keys.
const char* const kDrawn = R"(
[keys]
count = 100000
seed = 3
[cluster]
nodes = 8
[processing]
lock = "none"
stripes = 8
[[strategies]]
name = "jump"
)";

TEST(OpsLoad, OneHotKeyPutsEveryOperationOnOneNode) {
  World w(kDrawn, {"processing.updates=500", "processing.keys=hot", "processing.hot_keys=1"});
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(1));
  EXPECT_EQ(s.updates, 500u * world_size());
  // One node has everything: its share is 8 times the mean, the others 0.
  EXPECT_NEAR(s.ops_peak_to_mean, 8.0, 1e-9);
  EXPECT_NEAR(s.ops_cv, std::sqrt(7.0), 1e-9);
}

TEST(OpsLoad, UniformKeysSpreadTheOperationsNearEvenly) {
  World w(kDrawn, {"processing.updates=40000", "processing.keys=uniform"});
  ProcessingStats s;
  ASSERT_NO_THROW(s = w.round(1));
  // >= 40,000 operations over 8 nodes of ~12,500 keys each: about 1% per
  // node from sampling and from the keys' spread; 1.08 is beyond 4 sigma at one rank.
  EXPECT_GE(s.ops_peak_to_mean, 1.0);
  EXPECT_LT(s.ops_peak_to_mean, 1.08);
  EXPECT_LT(s.ops_cv, 0.04);
  // A zipfian workload over the same keys is far less even.
  World z(kDrawn, {"processing.updates=40000", "processing.keys=zipfian"});
  ProcessingStats sz;
  ASSERT_NO_THROW(sz = z.round(1));
  EXPECT_GT(sz.ops_peak_to_mean, s.ops_peak_to_mean);
}

}  // namespace
}  // namespace ringsim
