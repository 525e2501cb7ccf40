// The placement (rehash) strategy interface: maps a 64-bit key hash and the
// current membership to a node. Every strategy implements it in one file under
// placement/ and is listed once in registry.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "params.hpp"

namespace ringsim {

using NodeId = std::uint32_t;

struct NodeSpec {
  NodeId id;
  double weight = 1.0;
};

// What a strategy can do; the experiment validator checks events against it
// before anything runs.
enum class Removal {
  kAny,        // any active node may leave
  kLastAdded,  // only the most recently added active node (LIFO), as in jump
};

struct PlacementTraits {
  bool weighted = false;  // honours node weights other than 1
  Removal removal = Removal::kAny;
  // Adding a node moves keys only onto it, and removing one moves only its
  // keys. The property tests hold every strategy that claims it to it exactly.
  bool minimal_disruption = false;
  // The owner depends on the keys in the system, not only on the membership
  // (bounded loads): the simulator calls rebalance() after init and after
  // every membership change, and counts the keys that moved only because
  // loads changed.
  bool load_aware = false;
};

// The key hashes of every key in the system, for load-aware strategies. In the
// simulator the keys are spread over ranks and each call is a collective: every
// rank calls with the same arguments and gets the same answer.
class KeyHashCounter {
 public:
  virtual ~KeyHashCounter() = default;
  virtual std::uint64_t total() const = 0;
  // For each x, how many key hashes are <= x.
  virtual std::vector<std::uint64_t> count_at_most(std::span<const std::uint64_t> xs) const = 0;
};

class Placement {
 public:
  virtual ~Placement() = default;

  // Builds the state for the initial active nodes, given in ascending id order.
  // Every node id the run will ever use is below `max_nodes` (cluster.nodes),
  // so strategies may size tables by it; a parameter that cannot serve that
  // many nodes (e.g. a capacity below it) throws ringsim::Error here. The
  // default adds the nodes one by one; strategies with a cheaper bulk build
  // override it.
  virtual void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) {
    (void)max_nodes;
    for (const auto& n : nodes) add_node(n);
  }
  // The node that owns a key. Must be deterministic and thread-safe.
  virtual NodeId lookup(std::uint64_t key_hash) const = 0;
  // lookup() for many keys at once, out[i] for hashes[i]: one virtual call per
  // batch instead of per key. Strategies get it from PlacementBase.
  virtual void lookup_many(std::span<const std::uint64_t> hashes, NodeId* out) const = 0;
  virtual void add_node(const NodeSpec& node) = 0;
  virtual void remove_node(NodeId node) = 0;
  // One membership change of several nodes. The result must be exactly the
  // state that add_node / remove_node called for each node in the given order
  // would give (the same owner for every hash, the same state_bytes()), only
  // cheaper: a strategy whose single change rebuilds O(state) overrides these
  // to rebuild once per batch. The defaults are that loop. Order matters for
  // strategies whose result depends on it (LIFO removal in jump and its kin,
  // anchor's and memento's stack of removed buckets): the simulator passes
  // joining nodes in the event's order and leaving nodes most recently joined
  // first. An empty batch changes nothing. On bad input (a node not active,
  // listed twice, beyond a capacity) a batch throws ringsim::Error as the
  // loop would; the state after such an error is unspecified.
  virtual void add_nodes(std::span<const NodeSpec> nodes) {
    for (const auto& n : nodes) add_node(n);
  }
  virtual void remove_nodes(std::span<const NodeId> nodes) {
    for (NodeId n : nodes) remove_node(n);
  }
  // The bytes of the strategy's lookup state: the elements its arrays hold
  // (their size, or a capacity reserved up front), never spare capacity left
  // by growth, so that the figure depends on the state alone and not on how
  // the vectors grew (a batch and the same changes one by one report the
  // same).
  virtual std::size_t state_bytes() const = 0;
  virtual PlacementTraits traits() const = 0;

  // Load-aware strategies only: recompute the assignment for the current
  // membership and key set. Until it is called, lookup() may name the
  // primary owner.
  virtual void rebalance(const KeyHashCounter& keys) { (void)keys; }
  // Load-aware strategies only: the owner before load limits apply (for
  // bounded loads, the plain ring's choice). A key whose owner changes while
  // its primary does not moved because loads changed.
  virtual NodeId primary(std::uint64_t key_hash) const { return lookup(key_hash); }
};

// The base every strategy derives from, as `class X final : public
// PlacementBase<X>`: it supplies lookup_many() as a loop over X::lookup that
// the compiler can inline, since X is final.
template <typename Derived>
class PlacementBase : public Placement {
 public:
  void lookup_many(std::span<const std::uint64_t> hashes, NodeId* out) const override {
    const Derived& self = static_cast<const Derived&>(*this);
    for (std::size_t i = 0; i < hashes.size(); ++i) out[i] = self.Derived::lookup(hashes[i]);
  }
};

using PlacementFactory = std::unique_ptr<Placement> (*)(StrategyParams&);

}  // namespace ringsim
