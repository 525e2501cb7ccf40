// The experiment parser and validator: what a user gets for good and bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "error.hpp"
#include "experiment.hpp"

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

}  // namespace
}  // namespace ringsim

namespace ringsim {
namespace {

// Every experiment shipped in experiments/ parses and validates at 4 ranks,
// and opens with a one-line comment naming the question it answers.
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
