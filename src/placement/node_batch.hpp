// The nodes of one batched membership change, as a set with O(1) membership
// tests (a flag per node id up to the largest in the batch), for strategies
// that filter their state in one pass instead of once per leaving node.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "placement.hpp"

namespace ringsim {

class NodeBatch {
 public:
  explicit NodeBatch(std::span<const NodeId> nodes) {
    if (nodes.empty()) return;
    flags_.assign(std::size_t{*std::max_element(nodes.begin(), nodes.end())} + 1, 0);
    for (NodeId n : nodes) {
      if (flags_[n]) repeated_ = true;
      flags_[n] = 1;
    }
  }

  bool contains(NodeId n) const { return n < flags_.size() && flags_[n] != 0; }
  // Marks a node of the batch as found in the strategy's state.
  void found(NodeId n) { flags_[n] = 2; }
  // The first node of `nodes` (the batch, in its order) not marked found, or
  // none.
  std::optional<NodeId> missing(std::span<const NodeId> nodes) const {
    for (NodeId n : nodes)
      if (flags_[n] != 2) return n;
    return std::nullopt;
  }
  // Some node is listed more than once.
  bool repeated() const { return repeated_; }
  // The first node of `nodes` (the batch) listed more than once, for messages.
  static NodeId first_repeated(std::span<const NodeId> nodes) {
    std::vector<NodeId> sorted(nodes.begin(), nodes.end());
    std::sort(sorted.begin(), sorted.end());
    auto it = std::adjacent_find(sorted.begin(), sorted.end());
    return it == sorted.end() ? NodeId{0} : *it;
  }

 private:
  std::vector<char> flags_;
  bool repeated_ = false;
};

// Removes the batch, in its order, from an unordered array of distinct ids as
// a loop of swap-with-last removals would (the leaving node's slot takes the
// current last id, then the array shrinks by one), in O(ids + batch) instead
// of a search per node. `move_others(from, to)` copies slot `from` to slot
// `to` in the caller's arrays that run parallel to `ids`; afterwards the
// caller shrinks them to ids.size(). Returns the first node of the batch that
// is not in `ids` (or is listed twice), before changing anything, or none.
template <class MoveOthers>
std::optional<NodeId> swap_remove(std::vector<NodeId>& ids, std::span<const NodeId> nodes,
                                  const MoveOthers& move_others) {
  if (nodes.empty()) return std::nullopt;
  const NodeBatch batch(nodes);
  if (batch.repeated()) return NodeBatch::first_repeated(nodes);
  constexpr std::size_t kAbsent = ~std::size_t{0};
  std::unordered_map<NodeId, std::size_t> slot;  // leaving node -> its slot now
  slot.reserve(nodes.size());
  for (NodeId n : nodes) slot.emplace(n, kAbsent);
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (batch.contains(ids[i])) slot[ids[i]] = i;
  for (NodeId n : nodes)
    if (slot[n] == kAbsent) return n;
  std::size_t size = ids.size();
  for (NodeId n : nodes) {
    const std::size_t i = slot[n];
    const std::size_t last = --size;
    if (i != last) {
      const NodeId moved = ids[last];
      ids[i] = moved;
      move_others(last, i);
      if (batch.contains(moved)) slot[moved] = i;
    }
  }
  ids.resize(size);
  return std::nullopt;
}

}  // namespace ringsim
