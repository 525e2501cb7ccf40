// Membership guards of every registered strategy (and of removal=swap where a
// strategy has it): adding a node that is already active, removing one that
// is not (never added, or already removed), removing the last active node,
// removing any but the last added node under LIFO removal, and the batches
// that list a node twice or would leave no node, all throw ringsim::Error
// with one line that names the strategy (and the node). After a refused
// single call the strategy is exactly as before: the same owners and
// state_bytes() as a twin that never saw the call, then and after one more
// valid change.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

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

constexpr std::uint32_t kMaxNodes = 20;
constexpr std::uint64_t kKeys = 5000;

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& s : strategies()) {
    out.push_back({std::string(s.name), std::string(s.name), {}});
    if (s.parameters.find("removal=") != std::string_view::npos)
      out.push_back(
          {std::string(s.name) + "_swap", std::string(s.name), {{"removal", std::string("swap")}}});
  }
  return out;
}

std::vector<std::uint64_t> key_hashes() {
  std::vector<std::uint64_t> h(kKeys);
  for (std::uint64_t i = 0; i < kKeys; ++i) h[i] = checks::key_hash(i, 0x67756172ULL);
  return h;
}

// A strategy and the ids it holds, in join order (the LIFO order).
struct Subject {
  std::unique_ptr<Placement> p;
  std::vector<NodeId> joined;

  bool lifo() const { return p->traits().removal == Removal::kLastAdded; }
  // A node that may leave now: the last added under LIFO, else one inside.
  NodeId leaver() const { return lifo() ? joined.back() : joined[joined.size() / 2]; }
  void remove(NodeId n) {
    p->remove_node(n);
    std::erase(joined, n);
  }
  void add(NodeId n) {
    p->add_node({n, 1.0});
    joined.push_back(n);
  }
};

Subject fresh(const Case& c, std::uint32_t nodes) {
  Subject s{make_placement(checks::params(c.strategy, c.params)), {}};
  s.p->init(checks::node_range(nodes), kMaxNodes);
  for (NodeId n = 0; n < nodes; ++n) s.joined.push_back(n);
  return s;
}

std::vector<NodeId> owners(const Placement& p) {
  const auto hashes = key_hashes();
  std::vector<NodeId> out(hashes.size());
  p.lookup_many(hashes, out.data());
  return out;
}

void rebalance(Placement& p) {
  if (p.traits().load_aware) p.rebalance(SortedHashCounter(key_hashes()));
}

constexpr NodeId kAnyNode = ~NodeId{0};

// Runs `bad`, which must throw ringsim::Error with one line that names the
// strategy and the node `bad` stores in its argument before the call it
// makes (unless it leaves kAnyNode there). Returns whether it threw that
// Error.
bool refused(const Case& c, const std::string& what, const std::function<void(NodeId&)>& bad) {
  NodeId named = kAnyNode;
  try {
    bad(named);
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << c.label << ", " << what << ": message: " << m;
    EXPECT_NE(m.find(c.strategy), std::string::npos)
        << c.label << ", " << what << ": message does not name the strategy: " << m;
    if (named != kAnyNode) {
      EXPECT_NE(m.find(std::to_string(named)), std::string::npos)
          << c.label << ", " << what << ": message does not name node " << named << ": " << m;
    }
    return true;
  } catch (const std::exception& e) {
    ADD_FAILURE() << c.label << ", " << what << ": threw another exception: " << e.what();
    return false;
  }
  ADD_FAILURE() << c.label << ", " << what << ": accepted";
  return false;
}

class Guard : public ::testing::TestWithParam<Case> {
 protected:
  // Builds `nodes` nodes and applies `setup` (valid changes) to two twins,
  // then gives `bad` (which must be refused naming the node it acts on, as
  // `node` returns it after setup) to one of them and expects both to answer
  // alike, before and after one more valid change.
  void single(const std::string& what, std::uint32_t nodes,
              const std::function<void(Subject&)>& setup,
              const std::function<NodeId(const Subject&)>& node,
              const std::function<void(Subject&, NodeId)>& bad) {
    const Case& c = GetParam();
    Subject s = fresh(c, nodes);
    Subject twin = fresh(c, nodes);
    setup(s);
    setup(twin);
    rebalance(*s.p);
    rebalance(*twin.p);
    const NodeId n = node(s);
    // A call accepted by mistake may leave a state that crashes on lookup:
    // stop there.
    if (!refused(c, what, [&](NodeId& named) {
          named = n;
          bad(s, n);
        }))
      return;
    ASSERT_EQ(owners(*s.p), owners(*twin.p)) << c.label << ", " << what << ": owners changed";
    ASSERT_EQ(s.p->state_bytes(), twin.p->state_bytes()) << c.label << ", " << what;
    // One more valid change on both: hidden state must agree too.
    if (s.joined.size() > 1) {
      s.remove(s.leaver());
      twin.remove(twin.leaver());
    }
    s.add(kMaxNodes - 1);
    twin.add(kMaxNodes - 1);
    rebalance(*s.p);
    rebalance(*twin.p);
    ASSERT_EQ(owners(*s.p), owners(*twin.p)) << c.label << ", " << what << ": then a valid change";
    ASSERT_EQ(s.p->state_bytes(), twin.p->state_bytes()) << c.label << ", " << what;
  }
};

const auto kNoSetup = [](Subject&) {};
const auto add_one = [](Subject& s, NodeId n) { s.p->add_node({n, 1.0}); };
const auto remove_one = [](Subject& s, NodeId n) { s.p->remove_node(n); };
auto fixed(NodeId n) {
  return [n](const Subject&) { return n; };
}

TEST_P(Guard, AddingAnActiveNode) {
  single("add_node(3), active", 10, kNoSetup, fixed(3), add_one);
  single("add_node(9), active, the last added", 10, kNoSetup, fixed(9), add_one);
  // A node that left and came back is active again.
  single(
      "add_node(n), n removed and added again", 10,
      [](Subject& s) {
        const NodeId n = s.leaver();
        s.remove(n);
        s.add(n);
      },
      [](const Subject& s) { return s.joined.back(); }, add_one);
}

TEST_P(Guard, RemovingANodeNeverAdded) {
  single("remove_node(15), never added", 10, kNoSetup, fixed(15), remove_one);
  single("remove_node(25), beyond cluster.nodes", 10, kNoSetup, fixed(25), remove_one);
}

TEST_P(Guard, RemovingANodeAlreadyRemoved) {
  NodeId gone = 0;
  single(
      "remove_node(n), n already removed", 10,
      [&gone](Subject& s) {
        gone = s.leaver();
        s.remove(gone);
      },
      [&gone](const Subject&) { return gone; }, remove_one);
}

TEST_P(Guard, RemovingTheLastActiveNode) {
  single("remove_node(0), the only node", 1, kNoSetup, fixed(0), remove_one);
  // Down to one node by valid removals, then that one.
  single(
      "remove_node(n), the last of 4 after 3 removals", 4,
      [](Subject& s) {
        while (s.joined.size() > 1) s.remove(s.leaver());
      },
      [](const Subject& s) { return s.joined[0]; }, remove_one);
}

TEST_P(Guard, LifoRemovingAnyButTheLastAdded) {
  if (!fresh(GetParam(), 1).lifo()) GTEST_SKIP() << "any node may leave";
  single("remove_node(3), not the last added", 10, kNoSetup, fixed(3), remove_one);
}

// Batches: each must be refused; the state after a refused batch is
// unspecified, so only the throw and the message are checked.
TEST_P(Guard, BatchesRefused) {
  const Case& c = GetParam();
  // `bad` acts on a fresh 10-node strategy after `setup`.
  auto batch = [&](const std::string& what, const std::function<void(Subject&)>& setup,
                   const std::function<void(Subject&, NodeId&)>& bad) {
    Subject s = fresh(c, 10);
    setup(s);
    refused(c, what, [&](NodeId& named) { bad(s, named); });
  };
  auto add = [](std::vector<NodeId> ids, NodeId named) {
    return [ids, named](Subject& s, NodeId& out) {
      std::vector<NodeSpec> specs;
      for (NodeId n : ids) specs.push_back({n, 1.0});
      out = named;
      s.p->add_nodes(specs);
    };
  };
  batch("add_nodes({10, 3}), 3 active", kNoSetup, add({10, 3}, 3));
  batch("add_nodes({9}), active", kNoSetup, add({9}, 9));
  batch("add_nodes({10, 11, 10}), 10 listed twice", kNoSetup, add({10, 11, 10}, 10));

  NodeId gone = 0;
  const auto remove_gone = [&gone](Subject& s) {
    gone = s.leaver();
    s.remove(gone);
  };
  batch("add_nodes({n, n}), n inactive, listed twice", remove_gone,
        [&gone](Subject& s, NodeId& named) {
          const std::vector<NodeSpec> specs{{gone, 1.0}, {gone, 1.0}};
          named = gone;
          s.p->add_nodes(specs);
        });
  batch("remove_nodes({n, n}), listed twice", kNoSetup, [](Subject& s, NodeId& named) {
    const std::vector<NodeId> ids{s.leaver(), s.leaver()};
    named = ids[0];
    s.p->remove_nodes(ids);
  });
  batch("remove_nodes({n, 15}), 15 never added", kNoSetup, [](Subject& s, NodeId& named) {
    const std::vector<NodeId> ids{s.leaver(), 15};
    named = 15;
    s.p->remove_nodes(ids);
  });
  batch("remove_nodes({n}), n already removed", remove_gone, [&gone](Subject& s, NodeId& named) {
    const std::vector<NodeId> ids{gone};
    named = gone;
    s.p->remove_nodes(ids);
  });
  // Every node, in an order each removal would allow (most recent first).
  batch("remove_nodes(all 10), most recent first", kNoSetup, [](Subject& s, NodeId&) {
    const std::vector<NodeId> ids(s.joined.rbegin(), s.joined.rend());
    s.p->remove_nodes(ids);
  });
  {
    Subject s = fresh(c, 1);
    refused(c, "remove_nodes({0}), the only node", [&](NodeId& named) {
      const std::vector<NodeId> ids{0};
      named = 0;
      s.p->remove_nodes(ids);
    });
  }
  if (fresh(c, 1).lifo()) {
    batch("remove_nodes({3}), not the last added", kNoSetup, [](Subject& s, NodeId& named) {
      const std::vector<NodeId> ids{3};
      named = 3;
      s.p->remove_nodes(ids);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, Guard, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return param_info.param.label; });

}  // namespace
}  // namespace ringsim
