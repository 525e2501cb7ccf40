// The nodes of one batched membership change, as a set with O(1) membership
// tests (a flag per node id up to the largest in the batch), for strategies
// that filter their state in one pass instead of once per leaving node. And
// ActiveNodes, the membership guards of the strategies whose lookup state
// cannot tell cheaply whether a node is active.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "error.hpp"
#include "placement.hpp"

namespace ringsim {

// The active node ids of one strategy (a flag per id, grown on demand) and
// their count, to refuse a membership change before it touches the lookup
// state: adding an active node, removing an inactive one, removing the last
// active node, or a batch that lists a node twice or would leave no node.
// Each call checks everything first and changes the flags only when it
// succeeds, so a refused call leaves them (and, as the strategies call it
// before changing anything else, the strategy) as they were. Lookups never
// read it. Not part of state_bytes(): it is not lookup state.
class ActiveNodes {
 public:
  explicit ActiveNodes(std::string_view strategy) : strategy_(strategy) {}

  bool contains(NodeId n) const { return n < flags_.size() && flags_[n] == kActive; }
  std::size_t count() const { return count_; }

  // Forgets every node (before an init).
  void clear() {
    flags_.clear();
    count_ = 0;
  }

  void add(NodeId node) {
    if (contains(node)) fail("node " + std::to_string(node) + " is already active");
    grow(node);
    flags_[node] = kActive;
    ++count_;
  }

  void remove(NodeId node) {
    if (!contains(node)) fail("node " + std::to_string(node) + " is not active");
    if (count_ == 1) fail("cannot remove the last active node (node " + std::to_string(node) + ")");
    flags_[node] = kInactive;
    --count_;
  }

  // A batch of joins: none active, none listed twice.
  void add(std::span<const NodeSpec> nodes) {
    if (nodes.empty()) return;
    std::size_t i = 0;
    for (; i < nodes.size(); ++i) {
      const NodeId n = nodes[i].id;
      if (contains(n) || (n < flags_.size() && flags_[n] == kMarked)) break;
      grow(n);
      flags_[n] = kMarked;
    }
    const bool ok = i == nodes.size();
    for (std::size_t j = 0; j < i; ++j) flags_[nodes[j].id] = ok ? kActive : kInactive;
    if (ok) {
      count_ += nodes.size();
      return;
    }
    const NodeId n = nodes[i].id;
    if (contains(n)) fail("node " + std::to_string(n) + " is already active");
    fail("node " + std::to_string(n) + " is listed twice in one batch");
  }

  // A batch of departures: all active, none listed twice, one node left.
  void remove(std::span<const NodeId> nodes) {
    if (nodes.empty()) return;
    std::size_t i = 0;
    for (; i < nodes.size() && contains(nodes[i]); ++i) flags_[nodes[i]] = kMarked;
    const bool ok = i == nodes.size() && nodes.size() < count_;
    for (std::size_t j = 0; j < i; ++j) flags_[nodes[j]] = ok ? kInactive : kActive;
    if (ok) {
      count_ -= nodes.size();
      return;
    }
    if (i < nodes.size()) {
      const NodeId n = nodes[i];
      if (n < flags_.size() && flags_[n] == kActive)  // marked above, so listed before
        fail("node " + std::to_string(n) + " is listed twice in one batch");
      fail("node " + std::to_string(n) + " is not active");
    }
    fail("cannot remove the last active node (node " + std::to_string(nodes.back()) +
         "): the batch removes all " + std::to_string(count_) + " active nodes");
  }

 private:
  static constexpr std::uint8_t kInactive = 0, kActive = 1, kMarked = 2;

  void grow(NodeId n) {
    if (n >= flags_.size()) flags_.resize(std::size_t{n} + 1, kInactive);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("strategy '" + strategy_ + "': " + what);
  }

  std::string strategy_;
  std::vector<std::uint8_t> flags_;  // by node id
  std::size_t count_ = 0;
};

class NodeBatch {
 public:
  explicit NodeBatch(std::span<const NodeId> nodes) {
    if (nodes.empty()) return;
    flags_.assign(std::size_t{*std::max_element(nodes.begin(), nodes.end())} + 1, 0);
    for (NodeId n : nodes) flags_[n] = 1;
  }

  bool contains(NodeId n) const { return n < flags_.size() && flags_[n] != 0; }

 private:
  std::vector<char> flags_;
};

// Removes the batch, in its order, from an unordered array of distinct ids as
// a loop of swap-with-last removals would (the leaving node's slot takes the
// current last id, then the array shrinks by one), in O(ids + batch) instead
// of a search per node. Every node of the batch must be in `ids`, once (the
// caller's ActiveNodes has checked). `move_others(from, to)` copies slot
// `from` to slot `to` in the caller's arrays that run parallel to `ids`;
// afterwards the caller shrinks them to ids.size().
template <class MoveOthers>
void swap_remove(std::vector<NodeId>& ids, std::span<const NodeId> nodes,
                 const MoveOthers& move_others) {
  if (nodes.empty()) return;
  const NodeBatch batch(nodes);
  std::unordered_map<NodeId, std::size_t> slot;  // leaving node -> its slot now
  slot.reserve(nodes.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (batch.contains(ids[i])) slot[ids[i]] = i;
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
}

}  // namespace ringsim
