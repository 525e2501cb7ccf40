// The main job end to end on real MPI ranks: run under mpiexec at 1, 2 and 4
// ranks by ctest.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "key_counter.hpp"
#include "keys.hpp"
#include "mpi_test_util.hpp"
#include "output/h5_stream.hpp"
#include "output/memory_sink.hpp"
#include "registry.hpp"
#include "runner.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// A run with everything the sink saw kept in memory (no warm-up: these
// tests check what moved, not how fast).
struct Collected {
  RunResult result;
  std::vector<CollectedStrategy> strategies;
};
Collected run_collect(const Experiment& e, RunOptions opt = {}, MPI_Comm comm = MPI_COMM_WORLD) {
  opt.warmup = false;
  MemorySink sink;
  Collected c;
  c.result = run_experiment(e, opt, comm, sink);
  c.strategies = std::move(sink.strategies);
  return c;
}

Experiment default_experiment(std::vector<std::string> overrides = {}) {
  Experiment e = parse_experiment(default_experiment_text(), "default.toml", overrides);
  e.name = "default";
  validate_experiment(e, world_size());
  return e;
}

// The owner of every key, computed serially with the strategy alone: the
// reference that the distributed run must agree with.
std::vector<NodeId> serial_owners(const Placement& p, const KeySpace& keys) {
  std::vector<NodeId> out(keys.count);
  for (std::uint64_t i = 0; i < keys.count; ++i) out[i] = p.lookup(keys.key_hash(keys.key(i)));
  return out;
}

// Replays every strategy of a finished run serially, on all keys at once,
// and checks that the distributed run moved and placed exactly the same keys.
void expect_matches_serial_replay(const Experiment& e, const Collected& r) {
  ASSERT_EQ(r.strategies.size(), e.strategies.size());
  ASSERT_EQ(e.replicas, 1u) << "the replay models one replica per key";
  std::vector<std::uint64_t> all_hashes(e.keys.count);
  for (std::uint64_t i = 0; i < e.keys.count; ++i) all_hashes[i] = e.keys.key_hash(e.keys.key(i));
  const SortedHashCounter all_keys(all_hashes);
  auto weight = [&](NodeId n) { return e.weights.empty() ? 1.0 : e.weights[n]; };
  for (std::size_t s = 0; s < e.strategies.size(); ++s) {
    const CollectedStrategy& sr = r.strategies[s];
    ASSERT_EQ(sr.events.size(), e.timeline.size());
    auto p = make_placement(e.strategies[s].params);
    std::vector<NodeSpec> initial;
    for (NodeId n = 0; n < e.initial; ++n) initial.push_back({n, weight(n)});
    p->init(initial, e.nodes);
    p->rebalance(all_keys);
    auto owners = serial_owners(*p, e.keys);
    std::vector<char> alive(e.keys.count, 1);  // a failure loses its nodes' keys for good
    std::vector<std::uint64_t> loads(e.nodes, 0);
    for (NodeId o : owners) ++loads[o];
    EXPECT_EQ(sr.initial_loads, loads) << sr.label;
    std::uint64_t alive_count = e.keys.count;
    for (std::size_t ei = 0; ei < e.timeline.size(); ++ei) {
      const auto& ev = e.timeline[ei];
      std::uint64_t lost = 0;
      for (NodeId n : ev.nodes) {
        if (ev.kind == EventKind::kAdd) {
          p->add_node({n, weight(n)});
          continue;
        }
        if (ev.kind == EventKind::kFail)
          for (std::size_t i = 0; i < owners.size(); ++i)
            if (alive[i] && owners[i] == n) {
              alive[i] = 0;
              ++lost;
            }
        p->remove_node(n);
      }
      alive_count -= lost;
      std::vector<std::uint64_t> alive_hashes;
      for (std::size_t i = 0; i < alive.size(); ++i)
        if (alive[i]) alive_hashes.push_back(all_hashes[i]);
      p->rebalance(SortedHashCounter(alive_hashes));
      const auto after = serial_owners(*p, e.keys);
      std::uint64_t moved = 0, moved_bytes = 0;
      std::fill(loads.begin(), loads.end(), 0);
      for (std::size_t i = 0; i < after.size(); ++i) {
        if (!alive[i]) continue;
        if (after[i] != owners[i]) {
          ++moved;
          // A record's bytes: its key and its value (whatever its size).
          moved_bytes += 8 + e.keys.value_size_of(i, e.keys.key(i));
        }
        ++loads[after[i]];
      }
      const EventRecord& rec = sr.events[ei];
      EXPECT_EQ(rec.keys_moved, moved) << sr.label << " event " << ei;
      EXPECT_EQ(rec.keys_lost, lost) << sr.label << " event " << ei;
      EXPECT_EQ(sr.loads[ei], loads) << sr.label << " event " << ei;
      EXPECT_EQ(rec.keys_total, alive_count);
      EXPECT_EQ(rec.keys_duplicated, 0u);
      std::uint64_t sum = 0;
      for (auto l : sr.loads[ei]) sum += l;
      EXPECT_EQ(sum, alive_count);
      // Every record that changed node counts in bytes_moved; those that
      // crossed ranks are a subset, and on one rank there are none.
      EXPECT_EQ(rec.bytes_moved, moved_bytes) << sr.label << " event " << ei;
      if (!e.keys.variable_values()) {
        EXPECT_EQ(rec.bytes_moved, rec.keys_moved * (8 + e.keys.value_bytes));
      }
      EXPECT_LE(rec.bytes_exchanged, rec.bytes_moved);
      if (world_size() == 1) {
        EXPECT_EQ(rec.bytes_exchanged, 0u);
      }
      // keys_min is a true lower bound: disruption >= 1.
      EXPECT_LE(rec.keys_min, rec.keys_moved);
      EXPECT_GE(rec.disruption(), 1.0);
      EXPECT_LE(rec.keys_moved_by_load, rec.keys_moved);
      if (!p->traits().load_aware) {
        EXPECT_EQ(rec.keys_moved_by_load, 0u);
      }
      owners = after;
    }
  }
}

TEST(MainJob, DefaultExperimentMatchesASerialReplayOfEveryEvent) {
  const Experiment e = default_experiment({"keys.count=200000"});
  expect_matches_serial_replay(e, run_collect(e));
}

// Bounded loads places keys from global key counts gathered over all ranks:
// the result must equal the serial computation on all keys, and no node may
// exceed its capacity ceil((1 + epsilon) * K * w / W).
TEST(MainJob, BoundedLoadsMatchesSerialReplayAndNeverExceedsCapacity) {
  const std::string text = R"(
[keys]
count = 120000
seed = 3
[cluster]
nodes = 8
initial = 6
weights = [1, 1, 2, 1, 1, 1, 1, 3]
[[strategies]]
name = "bounded"
epsilon = 0.05
vnodes = 8
[[strategies]]
name = "bounded"
label = "bounded-loose"
epsilon = 1.0
[[events]]
kind = "add"
count = 2
[[events]]
kind = "remove"
node = 2
[[events]]
kind = "remove"
count = 2
)";
  Experiment e = parse_experiment(text, "bounded.toml");
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  expect_matches_serial_replay(e, r);
  const double eps[] = {0.05, 1.0};
  for (std::size_t s = 0; s < 2; ++s) {
    for (std::size_t ei = 0; ei < e.timeline.size(); ++ei) {
      const auto& loads = r.strategies[s].loads[ei];
      double active_weight = 0;
      for (NodeId n = 0; n < e.nodes; ++n)
        if (loads[n] > 0) active_weight += e.weights[n];
      for (NodeId n = 0; n < e.nodes; ++n) {
        if (loads[n] == 0) continue;
        const double cap =
            std::ceil((1 + eps[s]) * double(e.keys.count) * e.weights[n] / active_weight);
        EXPECT_LE(double(loads[n]), cap) << "node " << n << " event " << ei;
      }
    }
  }
  // The tight setting moves keys because loads change; the report says how many.
  std::uint64_t by_load = 0;
  for (const auto& ev : r.strategies[0].events) by_load += ev.keys_moved_by_load;
  EXPECT_GT(by_load, 0u);
}

TEST(MainJob, RingMovesTheMinimumAndModuloMovesMost) {
  const Experiment e = default_experiment({"keys.count=100000"});
  const Collected r = run_collect(e);
  const CollectedStrategy& modulo = r.strategies[0];
  const CollectedStrategy& ring = r.strategies[1];
  ASSERT_EQ(ring.strategy, "ring");
  for (std::size_t ei = 0; ei < e.timeline.size(); ++ei) {
    const EventRecord& ev = ring.events[ei];
    if (ev.kind == EventKind::kRemove) {
      // Removing a node: exactly its keys move.
      EXPECT_EQ(ev.keys_moved, ev.keys_ideal) << "event " << ei;
    } else {
      // Adding a node: exactly the keys it now holds moved (onto it).
      const NodeId added = e.timeline[ei].nodes[0];
      EXPECT_EQ(ev.keys_moved, ring.loads[ei][added]) << "event " << ei;
    }
    // Going from 3 to 4 nodes or back, modulo moves about 3/4 of the keys.
    EXPECT_GT(modulo.events[ei].moved_fraction(), 0.6);
    EXPECT_LT(ev.moved_fraction(), 0.4);
  }
}

TEST(MainJob, EveryInjectedFaultIsCaughtByVerification) {
  const Experiment e = default_experiment({"keys.count=20000"});
  for (Fault f : {Fault::kDropKey, Fault::kCorruptValue, Fault::kMisplaceKey}) {
    RunOptions opt;
    opt.fault = f;
    EXPECT_THROW(run_experiment(e, opt, MPI_COMM_WORLD), VerificationError) << static_cast<int>(f);
  }
}

// The same experiment on fewer ranks (the world split into groups of 1 and
// of 2) moves exactly the same keys and yields the same loads: placement does
// not depend on how many ranks host the nodes.
TEST(MainJob, SameMovesAndLoadsWhateverTheRankCount) {
  const Experiment text_e = default_experiment({"keys.count=60000"});
  const Collected whole = run_collect(text_e);
  for (int group : {1, 2}) {
    if (world_size() % group != 0 || group == world_size()) continue;
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank() / group, world_rank(), &sub);
    Experiment e =
        parse_experiment(default_experiment_text(), "default.toml", {"keys.count=60000"});
    validate_experiment(e, group);
    const Collected part = run_collect(e, {}, sub);
    MPI_Comm_free(&sub);
    for (std::size_t s = 0; s < whole.strategies.size(); ++s) {
      EXPECT_EQ(part.strategies[s].loads, whole.strategies[s].loads) << group << " ranks";
      for (std::size_t ev = 0; ev < whole.strategies[s].events.size(); ++ev)
        EXPECT_EQ(part.strategies[s].events[ev].keys_moved,
                  whole.strategies[s].events[ev].keys_moved);
    }
  }
}

// Sixty-four logical nodes on however many ranks give the same owners as the
// strategy computes serially (the replay), including the node-level
// migration matrix.
TEST(MainJob, SixtyFourLogicalNodesMatchSerialReplayAndTheMigrationMatrices) {
  Experiment e = parse_experiment(R"(
[keys]
count = 100000
[cluster]
nodes = 64
initial = 60
[[strategies]]
name = "ring"
[[strategies]]
name = "memento"
[[events]]
kind = "add"
count = 4
[[events]]
kind = "remove"
count = 5
)",
                                  "logical.toml");
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  expect_matches_serial_replay(e, r);
  for (const auto& s : r.strategies) {
    for (std::size_t ev = 0; ev < s.events.size(); ++ev) {
      // This rank's entries of the rank table: from this rank, never to
      // itself, each destination once; over all ranks the bytes exchanged.
      std::uint64_t row = 0;
      std::set<std::uint32_t> to;
      for (const TrafficRow& t : s.rank_traffic[ev]) {
        EXPECT_EQ(t.from, static_cast<std::uint32_t>(world_rank()));
        EXPECT_NE(t.to, t.from);
        EXPECT_GT(t.records, 0u);
        EXPECT_TRUE(to.insert(t.to).second) << "destination listed twice";
        row += t.bytes;
      }
      std::uint64_t all = 0;
      MPI_Allreduce(&row, &all, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_EQ(all, s.events[ev].bytes_exchanged);
      // The node table: from nodes this rank hosts, never to themselves,
      // each (from, to) once; over all ranks every moved record.
      const Membership layout(e.nodes, world_size(), e.weights, parse_mapping(e.mapping),
                              e.keys.seed);
      std::uint64_t moves = 0;
      std::set<std::pair<std::uint32_t, std::uint32_t>> pairs;
      for (const TrafficRow& t : s.node_traffic[ev]) {
        EXPECT_EQ(layout.rank_of(t.from), world_rank());
        EXPECT_NE(t.from, t.to);
        EXPECT_TRUE(pairs.insert({t.from, t.to}).second) << "pair listed twice";
        moves += t.records;
      }
      std::uint64_t moved = 0;
      MPI_Allreduce(&moves, &moved, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_EQ(moved, s.events[ev].keys_moved);
    }
  }
}

// Every event kind (expanded rejoin, rolling restart, churn and scale
// included) with verification on, replayed serially.
TEST(MainJob, EveryEventKindMatchesASerialReplay) {
  Experiment e = parse_experiment(R"(
[keys]
count = 60000
[cluster]
nodes = 12
initial = 8
[[strategies]]
name = "ring"
[[strategies]]
name = "modulo"
[[strategies]]
name = "anchor"
[[strategies]]
name = "bounded"
[[events]]
kind = "fail"
node = 2
[[events]]
kind = "rejoin"
[[events]]
kind = "remove"
count = 2
[[events]]
kind = "restart"
count = 2
[[events]]
kind = "churn"
rate = 2
steps = 2
mode = "fail"
[[events]]
kind = "scale"
to = 11
[[events]]
kind = "scale"
to = 5
)",
                                  "kinds.toml");
  validate_experiment(e, world_size());
  ASSERT_EQ(e.timeline.size(), 1u + 1u + 1u + 4u + 4u + 1u + 1u);
  expect_matches_serial_replay(e, run_collect(e));
}

// Values of every size distribution: the run places and verifies them, and
// bytes_moved is the exact sum of the moved records' bytes (key and value),
// as a serial replay of every key's size finds it, for strategies that move
// few keys (ring, memento) and almost all (modulo), after every event kind.
class ValueSizes : public ::testing::TestWithParam<std::string> {};

TEST_P(ValueSizes, BytesMovedIsTheSumOfTheMovedValuesSizes) {
  Experiment e = parse_experiment(R"(
[keys]
count = 30000
seed = 5
value_size = )" + GetParam() + R"(
[cluster]
nodes = 10
initial = 6
[[strategies]]
name = "ring"
[[strategies]]
name = "memento"
[[strategies]]
name = "modulo"
[[events]]
kind = "add"
count = 2
[[events]]
kind = "fail"
count = 1
[[events]]
kind = "remove"
count = 1
[[events]]
kind = "rejoin"
)",
                                  "value-sizes.toml");
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  expect_matches_serial_replay(e, r);
  // The sizes do differ (the test would not tell a per-key sum from a
  // per-record constant otherwise), and the run's total agrees.
  std::uint64_t smallest = UINT64_MAX, largest = 0;
  for (std::uint64_t i = 0; i < e.keys.count; ++i) {
    const std::uint64_t v = e.keys.value_size_of(i, e.keys.key(i));
    smallest = std::min(smallest, v);
    largest = std::max(largest, v);
  }
  EXPECT_LT(smallest, largest);
}

INSTANTIATE_TEST_SUITE_P(
    Distributions, ValueSizes,
    ::testing::Values(R"({ distribution = "uniform", min = 0, max = 300 })",
                      R"({ distribution = "lognormal", mean = 200, sigma = 1.5 })",
                      R"({ distribution = "pareto", mean = "1KiB", alpha = 1.2, max = "64KiB" })"));

// With replication and values of variable size, a failure's re-created
// replicas carry their values (verification checks them), and bytes moved
// counts each moved or copied record's own bytes: their sum over the event
// lies between the smallest and the largest record times the records.
TEST(ValueSizesReplicated, FailuresRecreateVariableValues) {
  Experiment e = parse_experiment(R"(
[keys]
count = 20000
value_size = { distribution = "lognormal", mean = 500, sigma = 2 }
[cluster]
nodes = 9
initial = 7
replicas = 3
[[strategies]]
name = "rendezvous"
[[strategies]]
name = "anchor"
[[events]]
kind = "fail"
count = 2
[[events]]
kind = "add"
count = 2
[processing]
updates = 500
reads = 0.3
)",
                                  "value-sizes-r3.toml");
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  std::uint64_t smallest = UINT64_MAX, largest = 0;
  for (std::uint64_t i = 0; i < e.keys.count; ++i) {
    const std::uint64_t v = e.keys.value_size_of(i, e.keys.key(i));
    smallest = std::min(smallest, v);
    largest = std::max(largest, v);
  }
  for (const auto& sr : r.strategies)
    for (const EventRecord& rec : sr.events) {
      ASSERT_GT(rec.keys_moved, 0u);
      EXPECT_GE(rec.bytes_moved, rec.keys_moved * (9 + smallest)) << sr.label;
      EXPECT_LE(rec.bytes_moved, rec.keys_moved * (9 + largest)) << sr.label;
      EXPECT_EQ(rec.updates + rec.update_reads, 500u * world_size());
    }
  EXPECT_GT(r.strategies[0].events[0].replicas_created, 0u);
}

// LIFO-only strategies follow a scale-out and a scale-in (the nodes leave
// most recently joined first) and move the minimum.
TEST(MainJob, LifoStrategiesScaleOutAndInMinimally) {
  Experiment e = parse_experiment(R"(
[keys]
count = 40000
[cluster]
nodes = 16
initial = 8
[[strategies]]
name = "jump"
[[strategies]]
name = "binomial"
[[events]]
kind = "scale"
to = 16
[[events]]
kind = "scale"
to = 5
)",
                                  "lifo.toml");
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  expect_matches_serial_replay(e, r);
  for (const auto& s : r.strategies) {
    EXPECT_EQ(s.events[1].keys_moved, s.events[1].keys_ideal) << s.label;
  }
}

// Replication: one failure with two replicas loses nothing and re-creates
// exactly the failed node's records; two failures with three replicas lose
// nothing either; with one replica a failure loses exactly its node's keys.
TEST(MainJob, ReplicasSurviveFailuresAndAreRecreated) {
  const char* text = R"(
[keys]
count = 50000
[cluster]
nodes = 10
initial = 10
[[strategies]]
name = "ring"
[[strategies]]
name = "rendezvous"
[[strategies]]
name = "jump"
removal = "swap"
[[events]]
kind = "fail"
node = 4
[[events]]
kind = "fail"
nodes = [1, 7]
[[events]]
kind = "rejoin"
count = 3
)";
  for (std::uint32_t r : {1u, 2u, 3u}) {
    Experiment e =
        parse_experiment(text, "replicas.toml", {"cluster.replicas=" + std::to_string(r)});
    validate_experiment(e, world_size());
    const Collected res = run_collect(e);  // verification on: r copies each
    for (const auto& s : res.strategies) {
      const auto& one = s.events[0];
      const auto& two = s.events[1];
      if (r == 1) {
        EXPECT_EQ(one.keys_lost, s.initial_loads[4]) << s.label;
        EXPECT_EQ(two.keys_lost, s.loads[0][1] + s.loads[0][7]) << s.label;
        EXPECT_EQ(one.replicas_created, 0u);
      } else {
        EXPECT_EQ(one.keys_lost, 0u) << s.label << " r=" << r;
        EXPECT_EQ(one.replicas_created, s.initial_loads[4]) << s.label << " r=" << r;
        EXPECT_EQ(one.keys_ideal, s.initial_loads[4]);
        if (r == 3) {
          EXPECT_EQ(two.keys_lost, 0u) << s.label;
        } else {
          EXPECT_GT(two.keys_lost, 0u)
              << s.label << ": some keys had both replicas on nodes 1 and 7";
        }
      }
      for (const auto& ev : s.events) EXPECT_EQ(ev.keys_duplicated, 0u);
      std::uint64_t sum = 0;
      for (auto l : s.loads.back()) sum += l;
      EXPECT_EQ(sum, s.events.back().keys_total * r) << s.label;
    }
  }
}

// HDF5 helpers for reading the file back with the serial driver.

// A bound must bound: for every strategy, event kind and replication factor,
// keys_min (the sum of positive load changes) never exceeds keys_moved, so
// disruption >= 1; and bytes_moved is node-level (keys_moved x record bytes).
TEST(MainJob, DisruptionIsAtLeastOneForEveryStrategyEventAndReplication) {
  for (std::uint32_t r : {1u, 2u, 3u}) {
    std::string text = "[keys]\ncount = 6000\n[cluster]\nnodes = 12\ninitial = 8\nreplicas = " +
                       std::to_string(r) + "\n";
    for (const auto& s : strategies()) {
      const std::string name(s.name);
      if (name == "bounded" && r > 1) continue;  // places by load, one replica only
      text += "[[strategies]]\nname = \"" + name + "\"\n";
      if (std::string(s.parameters).find("removal=") != std::string::npos)
        text += "removal = \"swap\"\n";  // any node may leave
    }
    text +=
        "[[events]]\nkind = \"add\"\ncount = 2\n[[events]]\nkind = \"remove\"\ncount = 1\n"
        "[[events]]\nkind = \"fail\"\ncount = 2\n[[events]]\nkind = \"rejoin\"\n"
        "[[events]]\nkind = \"churn\"\nrate = 1\nsteps = 2\nmode = \"fail\"\n";
    Experiment e = parse_experiment(text, "bounds.toml");
    try {
      validate_experiment(e, world_size());
    } catch (const Error& err) {
      ADD_FAILURE() << err.what();
      continue;
    }
    const Collected c = run_collect(e);
    const std::uint64_t rb = 8 + e.keys.value_bytes + (r > 1 ? 1 : 0);
    for (const auto& s : c.strategies)
      for (const auto& ev : s.events) {
        EXPECT_LE(ev.keys_min, ev.keys_moved) << s.label << " r=" << r << " " << ev.detail;
        EXPECT_GE(ev.disruption(), 1.0) << s.label << " r=" << r << " " << ev.detail;
        EXPECT_EQ(ev.bytes_moved, ev.keys_moved * rb) << s.label << " " << ev.detail;
        EXPECT_LE(ev.bytes_exchanged, ev.bytes_moved) << s.label << " " << ev.detail;
      }
  }
}

// Where logical nodes live must not flatter a strategy: with nodes a multiple
// of the ranks, cyclic placement (node n on rank n mod P) keeps every move of
// modulo on its rank; the default random layout does not.
TEST(MainJob, ModuloCrossesRanksUnderTheDefaultMapping) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  for (const char* mapping : {"random", "cyclic"}) {
    Experiment e = parse_experiment(
        "[keys]\ncount = 40000\n[cluster]\nnodes = " + std::to_string(8 * world_size()) +
            "\ninitial = " + std::to_string(4 * world_size()) + "\nmapping = \"" + mapping +
            "\"\n[[strategies]]\nname = \"modulo\"\n[[events]]\nkind = \"scale\"\nto = " +
            std::to_string(8 * world_size()) + "\n",
        "mapping.toml");
    validate_experiment(e, world_size());
    const Collected c = run_collect(e);
    for (const auto& ev : c.strategies[0].events) {
      EXPECT_GT(ev.keys_moved, 0u);
      EXPECT_EQ(ev.bytes_moved, ev.keys_moved * 16) << mapping;
      if (std::string(mapping) == "random")
        EXPECT_GT(ev.bytes_exchanged, 0u) << ev.detail;
      else
        EXPECT_EQ(ev.bytes_exchanged, 0u) << ev.detail;
    }
  }
}

RunContext test_context() {
  RunContext ctx;
  ctx.command_line = "test";
  ctx.start_time = "2026-01-01T00:00:00Z";
  ctx.hosts = std::vector<std::string>(world_size(), "host");
  ctx.mpi_version = "mpi";
  return ctx;
}

// Reads one numeric column of a table (the group `table`: events,
// rank_traffic, ...) as doubles (serial HDF5).
std::vector<double> read_field(hid_t f, const std::string& table, const char* field) {
  hid_t d = H5Dopen2(f, (table + "/" + field).c_str(), H5P_DEFAULT);
  if (d < 0) return {};
  hid_t sp = H5Dget_space(d);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp));
  std::vector<double> v(n);
  if (n) H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Sclose(sp);
  H5Dclose(d);
  return v;
}

// The row count of every dataset in the group `table` (its columns and any
// scale of its own), by name.
std::map<std::string, hssize_t> column_rows(hid_t f, const std::string& table) {
  std::map<std::string, hssize_t> rows;
  hid_t g = H5Gopen2(f, table.c_str(), H5P_DEFAULT);
  if (g < 0) return rows;
  H5Literate(
      g, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t group, const char* name, const H5L_info_t*, void* data) -> herr_t {
        hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
        if (d < 0) return 0;
        hid_t sp = H5Dget_space(d);
        (*static_cast<std::map<std::string, hssize_t>*>(data))[name] =
            H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        H5Dclose(d);
        return 0;
      },
      &rows);
  H5Gclose(g);
  return rows;
}

TEST(MainJob, ResultFileHasEveryDocumentedNameAndNoPartialIsLeft) {
  const Experiment e = default_experiment({"keys.count=50000"});
  const Collected expected = run_collect(e);
  const std::string path = "test_run_result_np" + std::to_string(world_size()) + ".h5";
  RunResult r;
  {
    H5Stream stream(path, e, test_context(), MPI_COMM_WORLD);
    EXPECT_EQ(stream.path(), partial_name(path));
    RunOptions opt;
    opt.warmup = false;
    r = run_experiment(e, opt, MPI_COMM_WORLD, stream);
    if (world_rank() == 0) {
      // Streamed: the partial file is there while the run is open.
      EXPECT_TRUE(std::filesystem::exists(partial_name(path)));
      EXPECT_FALSE(std::filesystem::exists(path));
    }
    stream.end_run({&r});
    EXPECT_EQ(stream.path(), path);
  }
  if (world_rank() == 0) {
    EXPECT_FALSE(std::filesystem::exists(partial_name(path)));
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    for (const char* a : {"schema_version", "ringsim_version", "git_commit", "ranks", "exchange",
                          "start_time", "mpi_version", "hdf5_version", "keys_count", "nodes",
                          "mapping", "partial", "events_completed", "oversubscribed",
                          "network_bandwidth", "network_latency", "record_bytes", "floor_repeats"})
      EXPECT_GT(H5Aexists(f, a), 0) << a;
    // What grows with the job or the experiment is a dataset, never an attribute.
    for (const char* d : {"/experiment_text", "/hosts/name", "/hosts/ranks", "/hosts/threads",
                          "/ranks/host", "/ranks/peak_rss_bytes", "/strategies/order"})
      EXPECT_GT(H5Lexists(f, d, H5P_DEFAULT), 0) << d;
    for (const char* a : {"experiment_text", "hosts", "peak_rss_bytes", "ranks_per_host"})
      EXPECT_EQ(H5Aexists(f, a), 0) << a;
    for (const char* a : {"memcpy_bytes_per_s", "alpha_intra", "beta_intra", "hosts"})
      EXPECT_GT(H5Aexists_by_name(f, "/calibration", a, H5P_DEFAULT), 0) << a;
    for (const auto& s : expected.strategies) {
      const std::string g = "/strategies/" + s.label;
      for (const char* a : {"strategy", "params", "t_initial", "lookup_ns", "state_bytes_initial",
                            "repetitions_completed", "rank_traffic_rows", "node_traffic_rows"})
        EXPECT_GT(H5Aexists_by_name(f, g.c_str(), a, H5P_DEFAULT), 0) << g << " " << a;
      // The events table: a group of columns, each with its units, along the
      // strategy's row dimension scale, all as long as the timeline.
      const auto rows = column_rows(f, g + "/events");
      ASSERT_FALSE(rows.empty()) << g;
      for (const auto& [name, n] : rows)
        EXPECT_EQ(n, static_cast<hssize_t>(e.timeline.size())) << g << " " << name;
      for (const char* field : {"event",
                                "kind",
                                "nodes_before",
                                "nodes_after",
                                "keys_total",
                                "keys_moved",
                                "keys_ideal",
                                "keys_min",
                                "bytes_moved",
                                "bytes_exchanged",
                                "t_plan",
                                "t_counts",
                                "t_pack",
                                "t_exchange",
                                "t_apply",
                                "t_migrate",
                                "imb_plan",
                                "imb_exchange",
                                "t_exchange_floor_min",
                                "t_exchange_floor_median",
                                "t_exchange_model",
                                "t_pack_bound",
                                "t_apply_bound",
                                "t_plan_bound",
                                "t_projected",
                                "load_max",
                                "load_mean",
                                "keys_moved_by_load",
                                "load_peak_to_mean",
                                "load_cv",
                                "t_update",
                                "t_verify",
                                "state_bytes"}) {
        const std::string column = g + "/events/" + field;
        EXPECT_EQ(rows.count(field), 1u) << column;
        EXPECT_GT(H5Aexists_by_name(f, column.c_str(), "units", H5P_DEFAULT), 0) << column;
        EXPECT_GT(H5Aexists_by_name(f, column.c_str(), "DIMENSION_LIST", H5P_DEFAULT), 0) << column;
      }
      // The bounds bound: the exchange floor's minimum never exceeds the exchange,
      // and the critical path holds every phase.
      const auto ex = read_field(f, g + "/events", "t_exchange");
      const auto fl = read_field(f, g + "/events", "t_exchange_floor_min");
      const auto mig = read_field(f, g + "/events", "t_migrate");
      const auto plan = read_field(f, g + "/events", "t_plan");
      const auto apply = read_field(f, g + "/events", "t_apply");
      for (std::size_t k = 0; k < ex.size(); ++k) {
        EXPECT_LE(fl[k], ex[k]) << g << " event " << k;
        EXPECT_GT(fl[k], 0.0) << g << " event " << k;
        EXPECT_GE(mig[k], std::max({plan[k], ex[k], apply[k]})) << g << " event " << k;
      }

      hid_t l = H5Dopen2(f, (g + "/loads").c_str(), H5P_DEFAULT);
      ASSERT_GE(l, 0);
      EXPECT_GT(H5Aexists(l, "DIMENSION_LIST"), 0) << g << "/loads";
      std::vector<std::uint64_t> loads(e.timeline.size() * e.nodes);
      ASSERT_GE(H5Dread(l, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, loads.data()), 0);
      for (std::size_t ev = 0; ev < e.timeline.size(); ++ev)
        for (std::uint32_t n = 0; n < e.nodes; ++n)
          EXPECT_EQ(loads[ev * e.nodes + n], s.loads[ev][n]) << "event " << ev << " node " << n;
      H5Dclose(l);
    }
    H5Fclose(f);
    std::remove(path.c_str());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// A stop request keeps every finished event in the partial file; --resume
// then completes it to a file whose event rows equal an uninterrupted run's.
TEST(MainJob, AStoppedRunResumesToTheSameEventRows) {
  Experiment e = default_experiment({"keys.count=30000"});
  const std::string path = "test_resume_np" + std::to_string(world_size()) + ".h5";
  const std::string whole = "test_whole_np" + std::to_string(world_size()) + ".h5";
  RunOptions opt;
  opt.warmup = false;
  {
    H5Stream stream(whole, e, test_context(), MPI_COMM_WORLD);
    const RunResult r = run_experiment(e, opt, MPI_COMM_WORLD, stream);
    stream.end_run({&r});
  }
  // A signal that arrives during the first event (on the last rank only).
  volatile std::sig_atomic_t stop = 0;
  struct SignalDuringFirstEvent : ResultSink {
    H5Stream* to;
    volatile std::sig_atomic_t* flag;
    void begin_run(const RunStart& s) override { to->begin_run(s); }
    void begin_strategy(const StrategyStart& s) override { to->begin_strategy(s); }
    void event(const EventOutput& ev) override {
      to->event(ev);
      if (world_rank() == world_size() - 1) *flag = 1;
    }
    void end_strategy(const StrategyResult& s) override { to->end_strategy(s); }
  };
  {
    RunOptions o = opt;
    o.stop_flag = &stop;
    H5Stream stream(path, e, test_context(), MPI_COMM_WORLD);
    SignalDuringFirstEvent sink;
    sink.to = &stream;
    sink.flag = &stop;
    const RunResult r = run_experiment(e, o, MPI_COMM_WORLD, sink);
    EXPECT_TRUE(r.partial);
    EXPECT_EQ(r.events_completed, 1u);
    stream.end_run({&r});
  }
  if (world_rank() == 0) {
    EXPECT_FALSE(std::filesystem::exists(path));
    hid_t f = H5Fopen(partial_name(path).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const auto first = e.strategies[0].label;
    EXPECT_EQ(read_field(f, "/strategies/" + first + "/events", "keys_moved").size(), 1u);
    for (const auto& [name, n] : column_rows(f, "/strategies/" + first + "/events"))
      EXPECT_EQ(n, 1) << name;
    H5Fclose(f);
  }
  const ResumeInfo info = read_resume_info(partial_name(path), MPI_COMM_WORLD);
  EXPECT_EQ(info.experiment_text, e.text);
  EXPECT_TRUE(info.complete.empty());  // the first strategy was in progress
  {
    RunOptions o = opt;
    o.skip = info.complete;
    H5Stream stream(path, e, test_context(), MPI_COMM_WORLD, /*resume=*/true);
    const RunResult r = run_experiment(e, o, MPI_COMM_WORLD, stream);
    EXPECT_FALSE(r.partial);
    stream.end_run({&r});
  }
  if (world_rank() == 0) {
    EXPECT_FALSE(std::filesystem::exists(partial_name(path)));
    hid_t a = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t b = H5Fopen(whole.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    for (const auto& spec : e.strategies)
      for (const char* field : {"event", "keys_moved", "keys_min", "keys_ideal", "bytes_moved",
                                "bytes_exchanged", "load_max", "keys_total", "state_bytes"}) {
        const std::string d = "/strategies/" + spec.label + "/events";
        EXPECT_EQ(read_field(a, d, field), read_field(b, d, field)) << d << " " << field;
        EXPECT_EQ(read_field(a, d, field).size(), e.timeline.size()) << d;
      }
    // Every column of every table, and each table's own row scale, cut and
    // regrown together: none longer or shorter than the uninterrupted run's.
    for (const auto& spec : e.strategies)
      for (const char* table : {"events", "rank_traffic", "node_traffic"}) {
        const std::string d = "/strategies/" + spec.label + "/" + table;
        EXPECT_EQ(column_rows(a, d), column_rows(b, d)) << d;
      }
    // The traffic tables too: the rows of the rerun strategy replace the
    // stopped one's, none are left over or missing.
    for (const auto& spec : e.strategies)
      for (const char* table : {"rank_traffic", "node_traffic"})
        for (const char* field : {"row", "from", "to", "records", "bytes"}) {
          const std::string d = "/strategies/" + spec.label + "/" + table;
          EXPECT_EQ(read_field(a, d, field), read_field(b, d, field)) << d << " " << field;
          if (world_size() > 1 || std::string(table) == "node_traffic") {
            EXPECT_FALSE(read_field(a, d, field).empty()) << d;
          }
        }
    H5Fclose(a);
    H5Fclose(b);
    std::remove(path.c_str());
    std::remove(whole.c_str());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace ringsim

namespace ringsim {
namespace {

using test::world_size;

// The processing stage: updates to a few hot keys from every rank under each
// lock algorithm (and lock-free accumulates), then every value is checked
// against the updates that target it; a run that finishes has lost none.
class Processing : public ::testing::TestWithParam<const char*> {};

TEST_P(Processing, HotKeyUpdatesUnderTheLockAreNeverLost) {
  Experiment e =
      parse_experiment(R"(
[keys]
count = 20000
[cluster]
nodes = 8
initial = 6
[processing]
updates = 1500
keys = "hot"
hot_keys = 4
stripes = 2
reads = 0.2
timeout = 60
[[strategies]]
name = "ring"
[[events]]
kind = "add"
count = 1
[[events]]
kind = "fail"
node = 0
)",
                       "processing.toml", {std::string("processing.lock=") + GetParam()});
  validate_experiment(e, world_size());
  const Collected r = run_collect(e);
  for (const auto& ev : r.strategies[0].events) {
    EXPECT_GT(ev.updates, 0u);
    EXPECT_EQ(ev.updates + ev.update_reads + ev.updates_missed, 1500u * world_size());
    EXPECT_LE(ev.update_p50_us, ev.update_p99_us);
  }
}

TEST_P(Processing, ALostUpdateIsCaught) {
  Experiment e = parse_experiment(
      "[keys]\ncount = 5000\n[cluster]\nnodes = 4\n[processing]\nupdates = 50\nkeys = \"hot\"\n"
      "[[strategies]]\nname = \"ring\"\n[[events]]\nkind = \"remove\"\nnode = 1\n",
      "lost.toml", {std::string("processing.lock=") + GetParam()});
  validate_experiment(e, world_size());
  RunOptions opt;
  opt.fault = Fault::kLostUpdate;
  EXPECT_THROW(run_experiment(e, opt, MPI_COMM_WORLD), VerificationError);
}

INSTANTIATE_TEST_SUITE_P(Locks, Processing, ::testing::Values("mcs", "spin", "winlock", "none"));

// The root group as a job of 10,000 ranks on 2,500 hosts writes it, with a
// 70 KB experiment text: everything that grows with the job is a dataset, so
// nothing hits the 64 KiB limit of an attribute, and it reads back whole.
TEST(ResultFile, RootGroupOfTenThousandRanksReadsBack) {
  if (world_rank() != 0) return;  // a one-rank stream (MPI_COMM_SELF) stands in for the job
  Experiment e = default_experiment({"keys.count=1000"});
  std::string text = e.text + "\n";
  while (text.size() < 70'000) text += "# padding that makes the experiment text 70 KB long\n";
  e.text = text;
  RunContext ctx = test_context();
  const int ranks = 10'000, per_host = 4;
  ctx.hosts.clear();
  for (int r = 0; r < ranks; ++r) ctx.hosts.push_back("node" + std::to_string(r / per_host));
  const std::string path = "test_root_10k.h5";
  {
    H5Stream stream(path, e, ctx, MPI_COMM_SELF);
    RunStart start;
    start.experiment = &e;
    start.context = ctx;
    start.host.hosts = ranks / per_host;
    start.host.ranks_per_host.assign(ranks / per_host, per_host);
    start.host.threads_per_host.assign(ranks / per_host, 8);
    start.order.assign(1, std::vector<std::uint32_t>(e.strategies.size()));
    for (std::uint32_t i = 0; i < e.strategies.size(); ++i) start.order[0][i] = i;
    stream.begin_run(start);
    RunResult r;
    r.peak_rss_bytes.assign(1, 1);
    stream.end_run({&r});
  }
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  auto extent = [&](const char* name) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    const hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Dclose(d);
    return n;
  };
  EXPECT_EQ(extent("/hosts/name"), ranks / per_host);
  EXPECT_EQ(extent("/hosts/ranks"), ranks / per_host);
  EXPECT_EQ(extent("/ranks/host"), ranks);
  std::vector<int> host(ranks);
  hid_t d = H5Dopen2(f, "/ranks/host", H5P_DEFAULT);
  ASSERT_GE(H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data()), 0);
  H5Dclose(d);
  for (int r = 0; r < ranks; ++r) ASSERT_EQ(host[static_cast<std::size_t>(r)], r / per_host);
  // The experiment text comes back whole, as --resume needs it.
  d = H5Dopen2(f, "/experiment_text", H5P_DEFAULT);
  hid_t t = H5Dget_type(d);
  std::string back(H5Tget_size(t), '\0');
  ASSERT_GE(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
  back.resize(std::strlen(back.c_str()));
  EXPECT_EQ(back, text);
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);
  std::remove(path.c_str());
}
}  // namespace
}  // namespace ringsim
