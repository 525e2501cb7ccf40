// The experiment parser and validator: what a user gets for good and bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "error.hpp"
#include "experiment.hpp"
#include "locks/rma_lock.hpp"

namespace ringsim {
namespace {

// Parses and validates; returns the error message, or "" if the file is good.
std::string error_of(const std::string& text, int ranks = 4,
                     const std::vector<std::string>& overrides = {}) {
  try {
    Experiment e = parse_experiment(text, "exp.toml", overrides);
    validate_experiment(e, ranks);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

const std::string kMinimal = R"(
[keys]
count = 1000
[[strategies]]
name = "ring"
)";

TEST(Experiment, DefaultExperimentIsValidAtOneTwoAndFourRanks) {
  for (int ranks : {1, 2, 4}) {
    Experiment e = parse_experiment(default_experiment_text(), "default.toml");
    validate_experiment(e, ranks);
    EXPECT_EQ(e.keys.count, 1'000'000u);
    EXPECT_EQ(e.nodes, 4u);
    EXPECT_EQ(e.initial, 3u);
    ASSERT_EQ(e.timeline.size(), 4u);
    EXPECT_EQ(e.timeline[0].describe(), "add node 3");
    EXPECT_EQ(e.timeline[1].describe(), "remove node 1");
    EXPECT_EQ(e.timeline[2].describe(), "add node 1");
    ASSERT_GE(e.strategies.size(), 2u);
    EXPECT_EQ(e.strategies[0].label, "modulo");
    EXPECT_EQ(e.strategies[1].label, "ring");
  }
}

TEST(Experiment, RandomRemovalIsTheSameWhateverTheRankCount) {
  Experiment a = parse_experiment(default_experiment_text(), "default.toml");
  Experiment b = parse_experiment(default_experiment_text(), "default.toml");
  validate_experiment(a, 1);
  validate_experiment(b, 4);
  EXPECT_EQ(a.timeline[3].nodes, b.timeline[3].nodes);
}

TEST(Experiment, NodesDefaultToOnePerRank) {
  Experiment e = parse_experiment(kMinimal, "exp.toml");
  validate_experiment(e, 6);
  EXPECT_EQ(e.nodes, 6u);
  EXPECT_EQ(e.initial, 6u);
}

TEST(Experiment, UnknownStrategyIsNamedWithItsLine) {
  const auto err = error_of("[[strategies]]\nname = \"chord\"\n");
  EXPECT_NE(err.find("exp.toml:1"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown strategy 'chord'"), std::string::npos) << err;
}

TEST(Experiment, NonNumericCountIsRejected) {
  const auto err = error_of("[keys]\ncount = \"many\"\n[[strategies]]\nname = \"ring\"\n");
  EXPECT_NE(err.find("exp.toml:2: keys.count: must be a number"), std::string::npos) << err;
}

TEST(Experiment, NegativeAndZeroCountsAreRejected) {
  EXPECT_NE(error_of("[keys]\ncount = -5\n[[strategies]]\nname = \"ring\"\n")
                .find("keys.count: must be in [1,"),
            std::string::npos);
  EXPECT_NE(error_of("[keys]\ncount = 0\n[[strategies]]\nname = \"ring\"\n").find("keys.count"),
            std::string::npos);
  EXPECT_NE(error_of("[keys]\ncount = 2.5\n[[strategies]]\nname = \"ring\"\n").find("whole number"),
            std::string::npos);
}

TEST(Experiment, CountAcceptsScientificNotation) {
  Experiment e =
      parse_experiment("[keys]\ncount = 1e6\n[[strategies]]\nname = \"ring\"\n", "exp.toml");
  EXPECT_EQ(e.keys.count, 1'000'000u);
}

TEST(Experiment, MoreActiveNodesThanRanksIsRejected) {
  const auto err = error_of(kMinimal + "[cluster]\ninitial = 5\n", 4);
  EXPECT_NE(err.find("cluster.initial = 5 active nodes is more than the 4 nodes (one per rank"),
            std::string::npos)
      << err;
}

TEST(Experiment, MalformedTomlNamesTheLine) {
  const auto err = error_of("[keys]\ncount = = 3\n");
  EXPECT_EQ(err.rfind("exp.toml:2:", 0), 0u) << err;
}

TEST(Experiment, MisspeltFieldIsAnError) {
  EXPECT_NE(error_of("[keys]\ncuont = 3\n[[strategies]]\nname = \"ring\"\n")
                .find("keys.cuont: unknown field"),
            std::string::npos);
}

TEST(Experiment, MissingStrategiesIsAnError) {
  EXPECT_NE(error_of("[keys]\ncount = 3\n").find("strategies: missing"), std::string::npos);
}

TEST(Experiment, BadStrategyParameterIsNamed) {
  const auto err = error_of("[[strategies]]\nname = \"ring\"\nvnodes = 0\n");
  EXPECT_NE(err.find("strategy 'ring': parameter 'vnodes' must be in [1,"), std::string::npos)
      << err;
  const auto unknown = error_of("[[strategies]]\nname = \"ring\"\nvnode = 10\n");
  EXPECT_NE(unknown.find("unknown parameter 'vnode'"), std::string::npos) << unknown;
}

TEST(Experiment, DuplicateLabelsAreRejected) {
  const auto err = error_of("[[strategies]]\nname = \"ring\"\n[[strategies]]\nname = \"ring\"\n");
  EXPECT_NE(err.find("used twice"), std::string::npos) << err;
  EXPECT_EQ(
      error_of(
          "[[strategies]]\nname = \"ring\"\n[[strategies]]\nname = \"ring\"\nlabel = \"ring10\"\n"
          "vnodes = 10\n"),
      "");
}

// A label is a group name in the result file's /strategies, beside the
// strategy order and its dimension scales: those names cannot be labels.
TEST(Experiment, LabelsThatNameResultDatasetsAreRejected) {
  for (const char* taken : {"order", "run_order", "strategy", "repetition", "position"}) {
    const auto err =
        error_of(std::string("[[strategies]]\nname = \"ring\"\nlabel = \"") + taken + "\"\n");
    EXPECT_NE(err.find("names a dataset of the result file's /strategies group"), std::string::npos)
        << taken << ": " << err;
  }
  EXPECT_EQ(error_of("[[strategies]]\nname = \"ring\"\nlabel = \"orders\"\n"), "");
}

TEST(Experiment, EventsAreCheckedAgainstTheMembership) {
  const std::string base = kMinimal + "[cluster]\nnodes = 4\ninitial = 3\n";
  EXPECT_NE(
      error_of(base + "[[events]]\nkind = \"remove\"\nnode = 3\n").find("node 3 is not active"),
      std::string::npos);
  EXPECT_NE(
      error_of(base + "[[events]]\nkind = \"add\"\nnode = 0\n").find("node 0 is already active"),
      std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"add\"\ncount = 2\n").find("cannot add 2"),
            std::string::npos);
  EXPECT_NE(
      error_of(base + "[[events]]\nkind = \"remove\"\nnode = 9\n").find("node 9 does not exist"),
      std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"explode\"\n").find("events[0].kind: must be"),
            std::string::npos);
  EXPECT_NE(
      error_of(base + "[[events]]\nkind = \"remove\"\ncount = 3\n").find("at least one must stay"),
      std::string::npos);
}

TEST(Experiment, CompoundEventsExpandIntoSteps) {
  Experiment e = parse_experiment(kMinimal + R"(
[cluster]
nodes = 10
initial = 6
[[events]]
kind = "fail"
node = 1
[[events]]
kind = "rejoin"
[[events]]
kind = "restart"
nodes = [0, 2]
[[events]]
kind = "churn"
rate = 2
steps = 3
[[events]]
kind = "scale"
to = 9
[[events]]
kind = "scale"
to = 4
)",
                                  "exp.toml");
  validate_experiment(e, 2);
  ASSERT_EQ(e.timeline.size(), 1u + 1u + 4u + 6u + 1u + 1u);
  EXPECT_EQ(e.timeline[0].describe(), "fail node 1");
  EXPECT_EQ(e.timeline[1].describe(), "rejoin: add node 1");
  EXPECT_EQ(e.timeline[2].describe(), "restart 1/2: remove node 0");
  EXPECT_EQ(e.timeline[3].describe(), "restart 1/2: add node 0");
  EXPECT_EQ(e.timeline[6].kind, EventKind::kRemove);
  EXPECT_EQ(e.timeline[6].nodes.size(), 2u);
  EXPECT_EQ(e.timeline[7].kind, EventKind::kAdd);
  EXPECT_EQ(e.timeline[12].describe().rfind("scale to 9: add nodes", 0), 0u);
  EXPECT_EQ(e.timeline[13].nodes.size(), 5u);  // 9 -> 4
}

TEST(Experiment, CompoundEventErrorsAreNamed) {
  const std::string base = kMinimal + "[cluster]\nnodes = 6\ninitial = 4\n";
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"rejoin\"\n").find("only 0 have left"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"scale\"\n").find("events[0].to: missing"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"scale\"\nto = 9\n").find("cannot scale to 9"),
            std::string::npos);
  EXPECT_NE(
      error_of(base + "[[events]]\nkind = \"churn\"\nmode = \"explode\"\n").find("events[0].mode"),
      std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"churn\"\ncount = 2\n")
                .find("events[0].count: unknown field"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[events]]\nkind = \"churn\"\nrate = 4\n").find("cannot take 4 of 4"),
            std::string::npos);
}

TEST(Experiment, ReplicasAreChecked) {
  EXPECT_NE(error_of(kMinimal + "[cluster]\nnodes = 4\nreplicas = 9\n")
                .find("cluster.replicas: must be in [1, 8]"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal + "[cluster]\nnodes = 4\ninitial = 2\nreplicas = 3\n")
                .find("needs at least"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal +
                     "[cluster]\nnodes = 4\nreplicas = 3\n[[events]]\nkind = \"fail\"\ncount = 2\n")
                .find("fewer than cluster.replicas = 3"),
            std::string::npos);
  EXPECT_NE(error_of("[cluster]\nnodes = 4\nreplicas = 2\n[[strategies]]\nname = \"bounded\"\n")
                .find("supports cluster.replicas = 1 only"),
            std::string::npos);
}

TEST(Experiment, LifoStrategiesRejectOtherRemovalsButAcceptScaleIn) {
  const std::string jump = "[cluster]\nnodes = 8\ninitial = 6\n[[strategies]]\nname = \"jump\"\n";
  EXPECT_NE(error_of(jump + "[[events]]\nkind = \"remove\"\nnode = 2\n")
                .find("can only remove the most recently added"),
            std::string::npos);
  EXPECT_EQ(error_of(jump + "[[events]]\nkind = \"remove\"\nnode = 5\n"), "");
  EXPECT_EQ(
      error_of(jump +
               "[[events]]\nkind = \"scale\"\nto = 8\n[[events]]\nkind = \"scale\"\nto = 3\n"),
      "");
}

TEST(Experiment, KeyTraceIsFoundBesideTheExperimentFile) {
  Experiment e = parse_experiment(
      "[keys]\ndistribution = \"file\"\nfile = \"data/cache-trace.txt\"\n[[strategies]]\nname = "
      "\"ring\"\n",
      std::string(RINGSIM_SOURCE_DIR) + "/experiments/trace.toml");
  validate_experiment(e, 2);
  EXPECT_GT(e.keys.count, 20000u);
  EXPECT_EQ(e.keys.listed->size(), e.keys.count);
  EXPECT_NE(error_of("[keys]\ndistribution = \"file\"\n[[strategies]]\nname = \"ring\"\n")
                .find("keys.file: missing"),
            std::string::npos);
  EXPECT_NE(
      error_of(
          "[keys]\ndistribution = \"file\"\nfile = \"nope.txt\"\n[[strategies]]\nname = \"ring\"\n")
          .find("exp.toml: keys.file: cannot read nope.txt"),
      std::string::npos);
  Experiment capped = parse_experiment(
      "[keys]\ncount = 1000\ndistribution = \"file\"\nfile = "
      "\"data/cache-trace.txt\"\n[[strategies]]\nname = "
      "\"ring\"\n",
      std::string(RINGSIM_SOURCE_DIR) + "/experiments/trace.toml");
  validate_experiment(capped, 1);
  EXPECT_EQ(capped.keys.listed->size(), 1000u);
}

TEST(Experiment, WeightsNeedAWeightedStrategy) {
  const std::string weighted = "[cluster]\nnodes = 2\nweights = [1, 2]\n";
  EXPECT_EQ(error_of(weighted + "[[strategies]]\nname = \"ring\"\n"), "");
  EXPECT_NE(error_of(weighted + "[[strategies]]\nname = \"modulo\"\n")
                .find("does not support node weights"),
            std::string::npos);
  EXPECT_NE(error_of("[cluster]\nnodes = 3\nweights = [1, 2]\n[[strategies]]\nname = \"ring\"\n")
                .find("cluster.weights has 2 entries"),
            std::string::npos);
}

// [processing] keys: the YCSB request distributions and their parameters.
TEST(Experiment, ProcessingRequestDistributionsAreParsedAndChecked) {
  const std::string base = kMinimal + "[cluster]\nnodes = 4\n[processing]\nupdates = 10\n";
  {
    Experiment e = parse_experiment(base, "exp.toml");
    EXPECT_EQ(e.processing.keys, "uniform");
    EXPECT_DOUBLE_EQ(e.processing.zipfian_constant, 0.99);
    EXPECT_DOUBLE_EQ(e.processing.hot_set_fraction, 0.2);
    EXPECT_DOUBLE_EQ(e.processing.hot_opn_fraction, 0.8);
  }
  {
    Experiment e = parse_experiment(
        base + "keys = \"hotspot\"\nhot_set_fraction = 0.1\nhot_opn_fraction = 0.9\n", "exp.toml");
    EXPECT_EQ(e.processing.keys, "hotspot");
    EXPECT_DOUBLE_EQ(e.processing.hot_set_fraction, 0.1);
    EXPECT_DOUBLE_EQ(e.processing.hot_opn_fraction, 0.9);
  }
  for (const char* k : {"zipfian", "latest"}) {
    Experiment e =
        parse_experiment(base + "keys = \"" + k + "\"\nzipfian_constant = 1.2\n", "exp.toml");
    EXPECT_DOUBLE_EQ(e.processing.zipfian_constant, 1.2);
  }
  EXPECT_NE(
      error_of(base + "keys = \"pareto\"\n")
          .find("processing.keys: must be one of uniform, zipf, zipfian, latest, hotspot, hot, "
                "trace, got \"pareto\""),
      std::string::npos);
  // keys = "trace" replays a key trace: accepted with one, refused without.
  {
    Experiment e = parse_experiment(
        "[keys]\ndistribution = \"file\"\nfile = \"t.csv\"\nformat = \"twitter\"\n"
        "[processing]\nkeys = \"trace\"\n[[strategies]]\nname = \"ring\"\n",
        "exp.toml");
    EXPECT_EQ(e.processing.keys, "trace");
    EXPECT_EQ(e.processing.updates, 0u);
    EXPECT_TRUE(e.processing.enabled());  // updates = 0: every request of the trace
  }
  EXPECT_NE(error_of(base + "keys = \"trace\"\n")
                .find("processing.keys: \"trace\" replays a key trace's requests and needs "
                      "keys.distribution = \"file\", not \"uniform\""),
            std::string::npos);
  EXPECT_NE(
      error_of(base + "zipfian_constant = 0\n").find("processing.zipfian_constant: must be in"),
      std::string::npos);
  EXPECT_NE(
      error_of(base + "hot_opn_fraction = 1.5\n").find("processing.hot_opn_fraction: must be in"),
      std::string::npos);
}

// [processing]: the lock is any algorithm make_lock_set knows or "none";
// the cohort options have defaults, ranges and one-line errors; replicated
// keys are processed (write-all, read-one), also lock-free.
TEST(Experiment, ProcessingLockOptionsAndReplicasAreChecked) {
  const std::string base = kMinimal + "[cluster]\nnodes = 4\n[processing]\nupdates = 10\n";
  {
    Experiment e = parse_experiment(base, "exp.toml");
    EXPECT_EQ(e.processing.ranks_per_host, 0);
    EXPECT_EQ(e.processing.cohort_handoffs, 16);
    EXPECT_EQ(e.processing.lock, "mcs");
  }
  {
    Experiment e = parse_experiment(base + "ranks_per_host = 2\ncohort_handoffs = 1\n", "exp.toml");
    validate_experiment(e, 4);
    EXPECT_EQ(e.processing.ranks_per_host, 2);
    EXPECT_EQ(e.processing.cohort_handoffs, 1);
  }
  EXPECT_EQ(error_of(base + "cohort_handoffs = 0\n"),
            "exp.toml:10: processing.cohort_handoffs: must be in [1, 1048576], got 0");
  EXPECT_EQ(error_of(base + "ranks_per_host = -1\n"),
            "exp.toml:10: processing.ranks_per_host: must be in [0, 1048576], got -1");
  EXPECT_NE(error_of(base + "ranks_per_host = \"two\"\n")
                .find("processing.ranks_per_host: must be a number, got a string"),
            std::string::npos);
  EXPECT_NE(error_of(base, 4, {"processing.cohort_handoffs=1.5"})
                .find("processing.cohort_handoffs: must be a whole number"),
            std::string::npos);
  // Every lock algorithm is accepted, and the error lists them all.
  std::string list;
  for (const auto& a : lock_algorithms()) {
    EXPECT_EQ(error_of(base, 4, {"processing.lock=" + a}), "") << a;
    list += a + ", ";
  }
  EXPECT_EQ(error_of(base, 4, {"processing.lock=none"}), "");
  EXPECT_EQ(error_of(base + "lock = \"ticket\"\n"),
            "exp.toml:10: processing.lock: must be one of " + list + "none, got \"ticket\"");
  // Replicas with processing, locked and lock-free; "double" still needs a lock.
  for (const char* r : {"2", "3"}) {
    EXPECT_EQ(error_of(base, 4, {std::string("cluster.replicas=") + r}), "") << r;
    EXPECT_EQ(error_of(base, 4, {std::string("cluster.replicas=") + r, "processing.lock=none"}), "")
        << r;
  }
  EXPECT_NE(error_of(base, 4,
                     {"cluster.replicas=2", "processing.lock=none", "processing.transform=double"})
                .find("\"double\" needs a lock"),
            std::string::npos);
}

TEST(Experiment, SetOverridesFieldsAndRejectsNonsense) {
  Experiment e =
      parse_experiment(kMinimal, "exp.toml", {"keys.count=5e3", "keys.distribution=sequential"});
  EXPECT_EQ(e.keys.count, 5000u);
  EXPECT_EQ(e.keys.distribution, KeyDistribution::kSequential);
  EXPECT_NE(error_of(kMinimal, 4, {"keys.count"}).find("expected KEY.PATH=VALUE"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal, 4, {"keys.count=abc"}).find("keys.count: must be a number"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal, 4, {"strategies.x=1"}).find("cannot be overridden"),
            std::string::npos);
}

TEST(Experiment, WeightsOutsideTheirRangeAreRefused) {
  const std::string two = "[[strategies]]\nname = \"ring\"\n[cluster]\nnodes = 2\n";
  // Today's symptoms: 1e6 ran for minutes on gigabytes, 1e300 gave infinite disruption.
  for (const char* w : {"1e6", "1e300", "0.001", "0", "-1", "nan", "inf"}) {
    const auto err = error_of(two + "weights = [1, " + w + "]\n");
    EXPECT_NE(err.find("exp.toml:5: cluster.weights: each weight must be in [0.01, 100], got "),
              std::string::npos)
        << w << ": " << err;
  }
  EXPECT_NE(error_of(two + "weights = [1, 1e6]\n").find("got 1e+06"), std::string::npos);
  EXPECT_EQ(error_of(two + "weights = [0.01, 100]\n"), "");
}

TEST(Experiment, NameCannotLeaveTheResultsFolder) {
  for (const char* bad : {"../../etc/evil", "a/b", "/abs", "a\\b", "..", "x..y", "", "tab\there"}) {
    // A TOML literal string: no escapes, so a backslash is a backslash.
    const auto err = error_of("name = '" + std::string(bad) + "'\n" + kMinimal);
    EXPECT_EQ(err.rfind("exp.toml:1: name: must not", 0), 0u) << bad << ": " << err;
  }
  EXPECT_NE(error_of("name = \"../x\"\n" + kMinimal).find("'/', '\\' or '..'"), std::string::npos);
  // The same through --set, which is how a sweep names its runs.
  EXPECT_NE(error_of(kMinimal, 4, {"name=../../tmp/x"}).find("name: must not contain"),
            std::string::npos);
  Experiment ok = parse_experiment("name = \"scale-out_v2.1\"\n" + kMinimal, "exp.toml");
  EXPECT_EQ(ok.name, "scale-out_v2.1");
}

TEST(Experiment, MappingAndFloorRepeatsHaveDefaultsAndRanges) {
  Experiment d = parse_experiment(kMinimal, "exp.toml");
  EXPECT_EQ(d.mapping, "random");
  EXPECT_EQ(d.floor_repeats, 5u);
  EXPECT_EQ(d.network.bandwidth, 0.0);
  EXPECT_EQ(d.network.latency, 0.0);
  for (const char* m : {"random", "block", "cyclic"}) {
    Experiment e = parse_experiment(kMinimal + "[cluster]\nmapping = \"" + m + "\"\n", "exp.toml");
    EXPECT_EQ(e.mapping, m);
  }
  EXPECT_NE(error_of(kMinimal + "[cluster]\nmapping = \"diagonal\"\n")
                .find("exp.toml:7: cluster.mapping: must be \"random\", \"block\" or \"cyclic\", "
                      "got \"diagonal\""),
            std::string::npos);
  EXPECT_NE(
      error_of(kMinimal + "[cluster]\nmapping = 2\n").find("cluster.mapping: must be a string"),
      std::string::npos);
  EXPECT_EQ(parse_experiment(kMinimal + "[run]\nfloor_repeats = 0\n", "exp.toml").floor_repeats,
            0u);
  EXPECT_EQ(parse_experiment(kMinimal, "exp.toml", {"run.floor_repeats=100"}).floor_repeats, 100u);
  EXPECT_NE(error_of(kMinimal + "[run]\nfloor_repeats = 101\n")
                .find("run.floor_repeats: must be in [0, 100], got 101"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal + "[run]\nfloor_repeats = 2.5\n").find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal + "[run]\nfloor_repeats = -1\n").find("run.floor_repeats"),
            std::string::npos);
}

TEST(Experiment, OrderDependenceIsOffByDefaultAndABoolean) {
  EXPECT_FALSE(parse_experiment(kMinimal, "exp.toml").order_dependence);
  EXPECT_TRUE(
      parse_experiment(kMinimal + "[run]\norder_dependence = true\n", "exp.toml").order_dependence);
  EXPECT_TRUE(
      parse_experiment(kMinimal, "exp.toml", {"run.order_dependence=true"}).order_dependence);
  const std::string bad = error_of(kMinimal + "[run]\norder_dependence = \"yes\"\n");
  EXPECT_NE(bad.find("run.order_dependence: must be true or false, got a string"),
            std::string::npos)
      << bad;
  EXPECT_EQ(bad.find('\n'), std::string::npos);  // one line
  EXPECT_NE(error_of(kMinimal + "[run]\norder_dependance = true\n").find("order_dependance"),
            std::string::npos);
}

TEST(NetworkUnits, BandwidthTellsBitsFromBytesAndDecimalFromBinary) {
  EXPECT_DOUBLE_EQ(parse_bandwidth("100Gb/s"), 12.5e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("100 Gbit/s"), 12.5e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("100 Gbps"), 12.5e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("12.5GB/s"), 12.5e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("10 GiB/s"), 10.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_bandwidth("800MB/s"), 800e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1 Mib/s"), 1024.0 * 1024 / 8);
  EXPECT_DOUBLE_EQ(parse_bandwidth("25 kB/s"), 25e3);
  EXPECT_DOUBLE_EQ(parse_bandwidth("25 KiB/s"), 25.0 * 1024);
  EXPECT_DOUBLE_EQ(parse_bandwidth("3 TB/s"), 3e12);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1e3 B/s"), 1e3);
  EXPECT_DOUBLE_EQ(parse_bandwidth("2 bytes/s"), 2);
  EXPECT_DOUBLE_EQ(parse_bandwidth(" 16 bit/s "), 2);
  for (const char* bad : {"fast", "100", "100 Gb", "100 mb/s", "100 gb/s", "100 GiBs", "-1Gb/s",
                          "Gb/s", "nan Gb/s", "inf GB/s", "1 Xb/s", ""}) {
    EXPECT_THROW(parse_bandwidth(bad), Error) << bad;
  }
  try {
    parse_bandwidth("100 mb/s");
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("unknown unit \"mb/s\""), std::string::npos)
        << err.what();
  }
}

TEST(NetworkUnits, LatencyTakesSecondsToNanoseconds) {
  EXPECT_DOUBLE_EQ(parse_latency("2us"), 2e-6);
  EXPECT_DOUBLE_EQ(parse_latency("2 \u00b5s"), 2e-6);  // micro sign
  EXPECT_DOUBLE_EQ(parse_latency("2 \u03bcs"), 2e-6);  // Greek mu
  EXPECT_DOUBLE_EQ(parse_latency("1.5ms"), 1.5e-3);
  EXPECT_DOUBLE_EQ(parse_latency("500ns"), 500e-9);
  EXPECT_DOUBLE_EQ(parse_latency("0.25 s"), 0.25);
  for (const char* bad : {"2", "2 minutes", "2 Us", "fast", "-2us", "us", ""}) {
    EXPECT_THROW(parse_latency(bad), Error) << bad;
  }
}

TEST(Experiment, NetworkTableTakesNumbersOrUnitsAndRefusesTheRest) {
  Experiment e = parse_experiment(
      kMinimal + "[network]\nbandwidth = \"100Gb/s\"\nlatency = \"2 \u00b5s\"\n", "exp.toml");
  EXPECT_DOUBLE_EQ(e.network.bandwidth, 12.5e9);
  EXPECT_DOUBLE_EQ(e.network.latency, 2e-6);
  Experiment n =
      parse_experiment(kMinimal + "[network]\nbandwidth = 1.25e10\nlatency = 1e-6\n", "exp.toml");
  EXPECT_DOUBLE_EQ(n.network.bandwidth, 1.25e10);
  EXPECT_DOUBLE_EQ(n.network.latency, 1e-6);
  Experiment zero = parse_experiment(kMinimal + "[network]\nbandwidth = 0\nlatency = 0\n", "e");
  EXPECT_EQ(zero.network.bandwidth, 0.0);
  Experiment set = parse_experiment(kMinimal, "exp.toml", {"network.bandwidth=10GiB/s"});
  EXPECT_DOUBLE_EQ(set.network.bandwidth, 10.0 * (1 << 30));

  auto err = error_of(kMinimal + "[network]\nbandwidth = \"100 mb/s\"\n");
  EXPECT_EQ(err.rfind("exp.toml:7: network.bandwidth: \"100 mb/s\": unknown unit", 0), 0u) << err;
  err = error_of(kMinimal + "[network]\nlatency = \"2 minutes\"\n");
  EXPECT_EQ(err.rfind("exp.toml:7: network.latency: \"2 minutes\": unknown unit", 0), 0u) << err;
  err = error_of(kMinimal + "[network]\nlatency = -1\n");
  EXPECT_NE(err.find("network.latency: must be 0 (use the run's calibration) or between 1 ns"),
            std::string::npos)
      << err;
  err = error_of(kMinimal + "[network]\nbandwidth = \"1 b/s\"\n");
  EXPECT_NE(err.find("network.bandwidth: must be 0"), std::string::npos) << err;
  err = error_of(kMinimal + "[network]\nlatency = \"60s\"\n");
  EXPECT_NE(err.find("network.latency: must be 0"), std::string::npos) << err;
  err = error_of(kMinimal + "[network]\nbandwidth = true\n");
  EXPECT_NE(err.find("network.bandwidth: must be a number or a string with a unit, got a boolean"),
            std::string::npos)
      << err;
  EXPECT_NE(
      error_of(kMinimal + "[network]\nbandwith = 1e9\n").find("network.bandwith: unknown field"),
      std::string::npos);
}

TEST(Experiment, KeyFileProblemNamesTheFileAndTheReason) {
  KeySpace k;
  EXPECT_EQ(key_file_problem(k), "");  // generated keys need no file
  k.distribution = KeyDistribution::kFile;
  k.file = "/no/such/trace.txt";
  EXPECT_EQ(key_file_problem(k),
            "keys.file: cannot read /no/such/trace.txt: No such file or directory");
  k.path = std::string(RINGSIM_SOURCE_DIR) + "/experiments/data/cache-trace.txt";
  EXPECT_EQ(key_file_problem(k), "");
  k.path = std::string(RINGSIM_SOURCE_DIR) + "/experiments";
  EXPECT_NE(key_file_problem(k).find("cannot read " + k.path + ": it is a folder"),
            std::string::npos);

  // parse_experiment resolves a relative trace against the experiment's folder.
  Experiment e = parse_experiment(
      "[keys]\ndistribution = \"file\"\nfile = \"data/cache-trace.txt\"\n[[strategies]]\nname = "
      "\"ring\"\n",
      std::string(RINGSIM_SOURCE_DIR) + "/experiments/trace.toml");
  EXPECT_EQ(e.keys.file, "data/cache-trace.txt");
  EXPECT_EQ(e.keys.path, std::string(RINGSIM_SOURCE_DIR) + "/experiments/data/cache-trace.txt");
  EXPECT_EQ(key_file_problem(e.keys), "");
  Experiment gone = parse_experiment(
      "[keys]\ndistribution = \"file\"\nfile = \"nope.txt\"\n[[strategies]]\nname = \"ring\"\n",
      "/tmp/exp.toml");
  EXPECT_EQ(key_file_problem(gone.keys),
            "keys.file: cannot read /tmp/nope.txt: No such file or directory");
}

}  // namespace
}  // namespace ringsim

namespace ringsim {
namespace {

// Every experiment shipped in experiments/ parses and validates at 4 ranks,
// and opens with a one-line comment naming the question it answers.
TEST(ExperimentLocks, ReadsDefaultToExclusiveOnlyAndTakeAListOfFractions) {
  Experiment e = parse_experiment("[locks]\nalgorithms = [\"mcs\"]\n", "exp.toml");
  EXPECT_EQ(e.locks.reads, std::vector<double>{0});
  EXPECT_TRUE(e.locks.reads_workloads.empty());
  EXPECT_EQ(e.locks.ranks_per_host, 0);
  EXPECT_EQ(e.locks.cohort_handoffs, 16);
  e = parse_experiment(
      "[locks]\nworkloads = [\"empty\", \"work\"]\nreads = [0, 0.5, 0.99, 1]\n"
      "reads_workloads = [\"work\"]\nranks_per_host = 2\ncohort_handoffs = 4\n",
      "exp.toml");
  EXPECT_EQ(e.locks.reads, (std::vector<double>{0, 0.5, 0.99, 1}));
  EXPECT_EQ(e.locks.reads_workloads, std::vector<std::string>{"work"});
  EXPECT_EQ(e.locks.ranks_per_host, 2);
  EXPECT_EQ(e.locks.cohort_handoffs, 4);
  // Mixes other than 0 run only on the listed workloads; 0 runs on all.
  EXPECT_TRUE(e.locks.runs_reads("empty", 0));
  EXPECT_FALSE(e.locks.runs_reads("empty", 0.5));
  EXPECT_TRUE(e.locks.runs_reads("work", 0.5));
  EXPECT_EQ(error_of("[locks]\nreads = [0.9]\nranks_per_host = 2\n"), "");
}

TEST(ExperimentLocks, BadReadMixesAndLockOptionsAreNamedOnOneLine) {
  auto one_line_naming = [](const std::string& text, const std::string& field,
                            const std::string& says) {
    const std::string err = error_of(text);
    EXPECT_NE(err.find(field), std::string::npos) << text << " -> " << err;
    EXPECT_NE(err.find(says), std::string::npos) << text << " -> " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  };
  one_line_naming("[locks]\nreads = [0, 1.5]\n", "locks.reads", "[0, 1]");
  one_line_naming("[locks]\nreads = [-0.1]\n", "locks.reads", "[0, 1]");
  one_line_naming("[locks]\nreads = []\n", "locks.reads", "non-empty");
  one_line_naming("[locks]\nreads = 0.5\n", "locks.reads", "array");
  one_line_naming("[locks]\nreads = [\"half\"]\n", "locks.reads", "number");
  one_line_naming("[locks]\nreads = [0.5, 0.5]\n", "locks.reads", "twice");
  one_line_naming("[locks]\nreads_workloads = [\"mixed\"]\n", "locks.reads_workloads",
                  "unknown \"mixed\"");
  one_line_naming("[locks]\nworkloads = [\"empty\"]\nreads_workloads = [\"work\"]\n",
                  "locks.reads_workloads", "not one of locks.workloads");
  one_line_naming("[locks]\nranks_per_host = -1\n", "locks.ranks_per_host", "");
  one_line_naming("[locks]\ncohort_handoffs = 0\n", "locks.cohort_handoffs", "");
  one_line_naming("[locks]\nalgorithms = [\"ticket\"]\n", "locks.algorithms", "unknown \"ticket\"");
  one_line_naming("[locks]\nalgorithms = [\"mcs\", \"mcs\"]\n", "locks.algorithms", "twice");
  one_line_naming("[locks]\nread = [0.5]\n", "locks.read", "unknown field");
}

TEST(ExperimentLocks, AlgorithmsAreTheRegisteredLocks) {
  // Every name lock_algorithms() lists is accepted, and the error for an
  // unknown one lists them all.
  for (const auto& name : lock_algorithms())
    EXPECT_EQ(error_of("[locks]\nalgorithms = [\"" + name + "\"]\n"), "") << name;
  const std::string err = error_of("[locks]\nalgorithms = [\"nope\"]\n");
  for (const auto& name : lock_algorithms()) EXPECT_NE(err.find(name), std::string::npos) << err;
}

TEST(BundledExperiments, EveryFileValidatesAndSaysWhatItAsks) {
  const std::filesystem::path dir = std::filesystem::path(RINGSIM_SOURCE_DIR) / "experiments";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    ++seen;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string first = text.str().substr(0, text.str().find('\n'));
    EXPECT_EQ(first.rfind("# " + entry.path().stem().string() + ": ", 0), 0u)
        << entry.path() << " should open with '# " << entry.path().stem().string()
        << ": <question>'";
    try {
      Experiment e = parse_experiment(text.str(), entry.path().string());
      validate_experiment(e, 4);
      EXPECT_TRUE(!e.strategies.empty() || e.has_locks) << entry.path();
    } catch (const Error& err) {
      ADD_FAILURE() << err.what();
    }
  }
  EXPECT_GE(seen, 12);
}

}  // namespace
}  // namespace ringsim
