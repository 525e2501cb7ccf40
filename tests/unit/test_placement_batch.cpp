// Batched membership changes: for every registered strategy (and the
// parameter sets that change how it removes or weighs nodes), add_nodes and
// remove_nodes must leave exactly the state that add_node / remove_node one
// by one leaves: the same owner for every hash and the same state_bytes(),
// after every step of a random timeline of joins and departures. And the
// per-run largest share of a rank's nodes must equal the cluster's own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "engine/cluster.hpp"
#include "experiment.hpp"
#include "key_counter.hpp"
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using checks::Params;

struct Case {
  std::string label;
  std::string strategy;
  Params params;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

constexpr std::uint32_t kMaxNodes = 300;
constexpr std::uint32_t kInitial = 120;
constexpr std::uint64_t kKeys = 20000;
constexpr int kSteps = 40;

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& s : strategies()) out.push_back({std::string(s.name), std::string(s.name), {}});
  // Any node may leave, the last bucket's node taking its bucket.
  for (const char* s : {"jump", "powerch", "fliphash", "jumpback", "binomial"})
    out.push_back({std::string(s) + "_swap", s, {{"removal", std::string("swap")}}});
  // Few points per node, so that ties and neighbours of the same node are common.
  out.push_back({"ring_vnodes3", "ring", {{"vnodes", std::int64_t{3}}}});
  out.push_back({"multiprobe_points3", "multiprobe", {{"points", std::int64_t{3}}}});
  out.push_back({"bounded_vnodes5", "bounded", {{"vnodes", std::int64_t{5}}}});
  out.push_back({"maglev_1009", "maglev", {{"table_size", std::int64_t{1009}}}});
  return out;
}

// A node's weight, fixed for the run as in the membership; 1 for unweighted
// strategies.
double weight_of(NodeId n, bool weighted) {
  if (!weighted) return 1.0;
  constexpr double kWeights[] = {1.0, 0.5, 2.0, 3.0, 1.5};
  return kWeights[n % 5];
}

std::vector<std::uint64_t> key_hashes() {
  std::vector<std::uint64_t> h(kKeys);
  for (std::uint64_t i = 0; i < kKeys; ++i) h[i] = checks::key_hash(i, 0xba7c4ULL);
  return h;
}

std::vector<NodeId> owners(const Placement& p, const std::vector<std::uint64_t>& hashes) {
  std::vector<NodeId> out(hashes.size());
  p.lookup_many(hashes, out.data());
  return out;
}

std::vector<NodeId> primaries(const Placement& p, const std::vector<std::uint64_t>& hashes) {
  std::vector<NodeId> out(hashes.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) out[i] = p.primary(hashes[i]);
  return out;
}

// The first index where two owner lists differ, for a readable failure.
std::string first_difference(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i])
      return "key " + std::to_string(i) + ": batch " + std::to_string(a[i]) + ", one by one " +
             std::to_string(b[i]);
  return "same";
}

class Batch : public ::testing::TestWithParam<Case> {};

TEST_P(Batch, SameStateAsOneByOne) {
  const Case& c = GetParam();
  const std::vector<std::uint64_t> hashes = key_hashes();
  auto batched = make_placement(checks::params(c.strategy, c.params));
  auto single = make_placement(checks::params(c.strategy, c.params));
  const PlacementTraits traits = batched->traits();

  std::vector<NodeSpec> initial;
  for (NodeId n = 0; n < kInitial; ++n) initial.push_back({n, weight_of(n, traits.weighted)});
  batched->init(initial, kMaxNodes);
  single->init(initial, kMaxNodes);

  std::vector<NodeId> joined;  // active nodes in join order
  for (NodeId n = 0; n < kInitial; ++n) joined.push_back(n);
  std::vector<NodeId> inactive;
  for (NodeId n = kInitial; n < kMaxNodes; ++n) inactive.push_back(n);

  std::mt19937_64 rng(std::hash<std::string>{}(c.label));
  auto below = [&](std::size_t n) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng));
  };
  // Batch sizes: mostly small, sometimes large, now and then empty.
  auto batch_size = [&](std::size_t most) {
    const std::size_t pick = below(10);
    const std::size_t k = pick == 0 ? 0 : pick < 7 ? 1 + below(5) : 1 + below(60);
    return std::min(k, most);
  };

  for (int step = 0; step < kSteps; ++step) {
    const bool add = joined.size() <= 1 || (!inactive.empty() && below(2) == 0);
    std::string what;
    if (add) {
      const std::size_t k = batch_size(inactive.size());
      std::vector<NodeSpec> specs;
      for (std::size_t j = 0; j < k; ++j) {
        const std::size_t i = below(inactive.size());
        const NodeId n = inactive[i];
        inactive.erase(inactive.begin() + static_cast<std::ptrdiff_t>(i));
        specs.push_back({n, weight_of(n, traits.weighted)});
        joined.push_back(n);
      }
      batched->add_nodes(specs);
      for (const auto& s : specs) single->add_node(s);
      what = "add " + std::to_string(k);
    } else {
      const std::size_t k = batch_size(joined.size() - 1);
      std::vector<NodeId> leaving;
      if (traits.removal == Removal::kLastAdded) {
        // The k most recent joins, most recent first, as the runner passes them.
        for (std::size_t j = 0; j < k; ++j) {
          leaving.push_back(joined.back());
          joined.pop_back();
        }
      } else {
        for (std::size_t j = 0; j < k; ++j) {
          const std::size_t i = below(joined.size());
          leaving.push_back(joined[i]);
          joined.erase(joined.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      for (NodeId n : leaving) inactive.push_back(n);
      batched->remove_nodes(leaving);
      for (NodeId n : leaving) single->remove_node(n);
      what = "remove " + std::to_string(k);
    }
    const std::string at = c.label + ", step " + std::to_string(step) + " (" + what + ", " +
                           std::to_string(joined.size()) + " active)";

    const auto a = owners(*batched, hashes);
    const auto b = owners(*single, hashes);
    ASSERT_EQ(a, b) << at << ": " << first_difference(a, b);
    ASSERT_EQ(batched->state_bytes(), single->state_bytes()) << at;
    for (NodeId o : a)
      ASSERT_NE(std::find(joined.begin(), joined.end(), o), joined.end())
          << at << ": a key on inactive node " << o;

    if (traits.load_aware) {
      ASSERT_EQ(primaries(*batched, hashes), primaries(*single, hashes)) << at;
      batched->rebalance(SortedHashCounter(hashes));
      single->rebalance(SortedHashCounter(hashes));
      const auto ra = owners(*batched, hashes);
      const auto rb = owners(*single, hashes);
      ASSERT_EQ(ra, rb) << at << " after rebalance: " << first_difference(ra, rb);
      ASSERT_EQ(batched->state_bytes(), single->state_bytes()) << at << " after rebalance";
    }
  }
}

// A batch that names a node the strategy refuses (inactive on removal, active
// on addition) throws ringsim::Error exactly when the loop would.
TEST_P(Batch, RefusesWhatTheLoopRefuses) {
  const Case& c = GetParam();
  auto fresh = [&] {
    auto p = make_placement(checks::params(c.strategy, c.params));
    p->init(checks::node_range(10), 20);
    return p;
  };
  auto throws = [](auto&& f) {
    try {
      f();
    } catch (const Error&) {
      return true;
    }
    return false;
  };
  const std::vector<NodeId> removals[] = {{9, 15}, {9, 9}};
  for (const auto& nodes : removals) {
    auto batched = fresh();
    auto single = fresh();
    EXPECT_EQ(throws([&] { batched->remove_nodes(nodes); }), throws([&] {
                for (NodeId n : nodes) single->remove_node(n);
              }))
        << c.label << ": removing " << nodes[0] << ", " << nodes[1];
  }
  const std::vector<NodeSpec> additions[] = {{{10, 1.0}, {3, 1.0}}, {{10, 1.0}, {10, 1.0}}};
  for (const auto& specs : additions) {
    auto batched = fresh();
    auto single = fresh();
    EXPECT_EQ(throws([&] { batched->add_nodes(specs); }), throws([&] {
                for (const auto& s : specs) single->add_node(s);
              }))
        << c.label << ": adding " << specs[0].id << ", " << specs[1].id;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, Batch, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param.label; });

// The free largest_share (one pass per run, incremental sums) gives what a
// naive replay of the cluster's membership gives, recomputing the share after
// every event, for every rank, with weights, the random layout and a timeline
// of joins, departures and failures.
TEST(LargestShare, FreeFunctionMatchesTheCluster) {
  std::string text = R"(
[keys]
count = 1000
seed = 5

[cluster]
nodes = 40
initial = 25
weights = [)";
  for (int n = 0; n < 40; ++n) text += (n ? ", " : "") + std::to_string(0.25 + (n * 7 % 11) * 0.5);
  text += R"(]

[[strategies]]
name = "ring"

[[events]]
kind = "add"
count = 10

[[events]]
kind = "remove"
count = 12

[[events]]
kind = "fail"
count = 3

[[events]]
kind = "scale"
to = 40

[[events]]
kind = "scale"
to = 5
)";
  for (int ranks : {1, 3, 4, 7}) {
    Experiment e = parse_experiment(text, "share.toml");
    validate_experiment(e, ranks);
    ASSERT_EQ(e.timeline.size(), 5u);
    double sum_of_initial = 0;
    for (int r = 0; r < ranks; ++r) {
      const Cluster cluster(e, e.strategies[0], ranks);
      Membership future = cluster.membership();
      auto share_now = [&] {
        double w = 0;
        for (NodeId v : future.active_nodes())
          if (future.rank_of(v) == r) w += future.weight(v);
        return w / future.active_weight();
      };
      double member = share_now();
      for (const auto& ev : e.timeline) {
        for (NodeId v : ev.nodes)
          ev.kind == EventKind::kAdd ? future.activate(v) : future.deactivate(v);
        member = std::max(member, share_now());
      }
      const double free = largest_share(e, ranks, r);
      EXPECT_NEAR(free, member, 1e-12) << ranks << " ranks, rank " << r;
      EXPECT_GT(free, 0.0);
      EXPECT_LE(free, 1.0);
      // The share at the start alone, by hand: the layout as the cluster has it.
      const Membership& m = cluster.membership();
      double mine = 0;
      for (NodeId v : m.active_nodes())
        if (m.rank_of(v) == r) mine += m.weight(v);
      EXPECT_GE(free, mine / m.active_weight() - 1e-12);
      sum_of_initial += mine / m.active_weight();
    }
    EXPECT_NEAR(sum_of_initial, 1.0, 1e-9);
    if (ranks == 1) {
      EXPECT_DOUBLE_EQ(largest_share(e, 1, 0), 1.0);
    }
  }
}

}  // namespace
}  // namespace ringsim
