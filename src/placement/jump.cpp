// jump: jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory,
// Consistent Hash Algorithm", arXiv:1406.2294, 2014). The bucket function is
// the paper's published algorithm (the complete C++ function printed in the
// paper, derived in its "Explanation of the algorithm"): a 64-bit linear
// congruential generator (multiplier 2862933555777941757, increment 1) drives
// the jumps of the key from bucket to bucket; the last jump below n is the
// bucket. Buckets 0..n-1 are mapped to node ids through a vector.
//
// The paper's buckets are numbered, so it can only add or remove buckets at
// the top (its stated limitation for data storage use). Parameter
// `removal`:
//   lifo (default): only the most recently added node may leave; adding and
//                   removing are then minimal.
//   swap:           any node may leave: its bucket takes the node of the last
//                   bucket and the last bucket is dropped. Besides the removed
//                   node's keys, the last node's keys in the last bucket move
//                   to the vacated bucket, so removal is not minimal.
// Jump has no weights (each bucket gets 1/n of the keys).
#include <string>

#include "error.hpp"
#include "placement.hpp"
#include "placement/jump_hash.hpp"
#include "placement/node_batch.hpp"

namespace ringsim {
namespace {

class JumpPlacement final : public PlacementBase<JumpPlacement> {
 public:
  explicit JumpPlacement(bool swap) : swap_(swap) {}

  NodeId lookup(std::uint64_t key_hash) const override {
    return buckets_[jump_hash(key_hash, static_cast<std::uint32_t>(buckets_.size()))];
  }

  void add_node(const NodeSpec& node) override {
    active_.add(node.id);  // throws if already active
    buckets_.push_back(node.id);
  }

  void add_nodes(std::span<const NodeSpec> nodes) override {
    active_.add(nodes);  // throws before any change
    for (const auto& n : nodes) buckets_.push_back(n.id);
  }

  void remove_node(NodeId node) override {
    const bool top = !buckets_.empty() && buckets_.back() == node;
    if (!swap_ && !top && active_.contains(node)) {
      throw Error("strategy 'jump' (removal=lifo): only the most recently added node (" +
                  std::to_string(buckets_.back()) + ") may leave, not node " +
                  std::to_string(node));
    }
    active_.remove(node);  // throws if not active or the last active node
    if (top) {
      buckets_.pop_back();
      return;
    }
    for (auto& b : buckets_) {
      if (b != node) continue;
      b = buckets_.back();
      buckets_.pop_back();
      return;
    }
  }

  // removal=swap: one pass finds every leaving node, which then takes the
  // last bucket's node as in remove_node. removal=lifo removes from the top
  // in O(1) per node.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (!swap_) {
      for (NodeId n : nodes) remove_node(n);
      return;
    }
    active_.remove(nodes);  // throws before any change
    swap_remove(buckets_, nodes, [](std::size_t, std::size_t) {});
  }

  std::size_t state_bytes() const override { return buckets_.size() * sizeof(NodeId); }
  PlacementTraits traits() const override {
    if (swap_) return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = false};
    return {.weighted = false, .removal = Removal::kLastAdded, .minimal_disruption = true};
  }

 private:
  bool swap_;
  ActiveNodes active_{"jump"};
  std::vector<NodeId> buckets_;  // buckets_[b] is the node of bucket b
};

}  // namespace

std::unique_ptr<Placement> make_jump(StrategyParams& p) {
  const std::string removal = p.get_string("removal", "lifo");
  if (removal != "lifo" && removal != "swap") {
    throw Error("strategy '" + p.strategy() +
                "': parameter 'removal' must be \"lifo\" or \"swap\", got \"" + removal + "\"");
  }
  return std::make_unique<JumpPlacement>(removal == "swap");
}

}  // namespace ringsim
