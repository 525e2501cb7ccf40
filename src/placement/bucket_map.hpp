// Shared by the strategies whose algorithm maps a key to a bucket 0..n-1 and
// can only grow or shrink n at the top (powerch, fliphash, jumpback,
// binomial): the bucket <-> node mapping and the two removal policies.
//
// Parameter `removal`:
//   lifo (default): only the most recently added node (the last bucket) may
//                   leave; adding and removing are then minimal, as in the
//                   papers.
//   swap:           any node may leave: its bucket takes the node of the last
//                   bucket, then the last bucket is dropped. Besides the
//                   removed node's keys, the keys of the last bucket move to
//                   the vacated bucket's (new) node, so removal is not minimal.
#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "error.hpp"
#include "placement.hpp"

namespace ringsim {

// Buckets 0..n-1 and the node serving each.
class BucketMap {
 public:
  // Reads the `removal` parameter of strategy `name`.
  BucketMap(StrategyParams& p, std::string name) : name_(std::move(name)) {
    const std::string removal = p.get_string("removal", "lifo");
    if (removal != "lifo" && removal != "swap")
      throw Error("strategy '" + p.strategy() +
                  "': parameter 'removal' must be \"lifo\" or \"swap\", got \"" + removal + "\"");
    swap_ = removal == "swap";
  }

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) {
    nodes_.clear();
    nodes_.reserve(max_nodes);
    bucket_of_node_.assign(max_nodes, kNone);
    for (const auto& n : nodes) add(n.id);
  }

  std::uint32_t size() const { return static_cast<std::uint32_t>(nodes_.size()); }
  NodeId node(std::uint32_t bucket) const { return nodes_[bucket]; }

  // The new node takes bucket n.
  void add(NodeId node) {
    if (node >= bucket_of_node_.size())
      throw Error("strategy '" + name_ + "': node " + std::to_string(node) +
                  " is outside cluster.nodes (" + std::to_string(bucket_of_node_.size()) + ")");
    if (bucket_of_node_[node] != kNone)
      throw Error("strategy '" + name_ + "': node " + std::to_string(node) + " is already active");
    bucket_of_node_[node] = size();
    nodes_.push_back(node);
  }

  void remove(NodeId node) {
    if (node >= bucket_of_node_.size() || bucket_of_node_[node] == kNone)
      throw Error("strategy '" + name_ + "': node " + std::to_string(node) + " is not active");
    if (nodes_.size() == 1)
      throw Error("strategy '" + name_ + "': cannot remove the last active node (node " +
                  std::to_string(node) + ")");
    const std::uint32_t b = bucket_of_node_[node];
    const NodeId last = nodes_.back();
    if (last != node) {
      if (!swap_)
        throw Error("strategy '" + name_ + "' (removal=lifo): only the most recently added node (" +
                    std::to_string(last) + ") may leave, not node " + std::to_string(node));
      nodes_[b] = last;  // the last bucket's node moves into the vacated bucket
      bucket_of_node_[last] = b;
    }
    nodes_.pop_back();
    bucket_of_node_[node] = kNone;
  }

  // Bucket -> node and node -> bucket.
  std::size_t bytes() const {
    return nodes_.capacity() * sizeof(NodeId) + bucket_of_node_.capacity() * sizeof(std::uint32_t);
  }

  PlacementTraits traits() const {
    if (swap_) return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = false};
    return {.weighted = false, .removal = Removal::kLastAdded, .minimal_disruption = true};
  }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  std::string name_;
  bool swap_ = false;
  std::vector<NodeId> nodes_;                  // nodes_[b]: the node of bucket b
  std::vector<std::uint32_t> bucket_of_node_;  // kNone for an inactive node
};

// A placement around a stateless bucket function: Bucket(key_hash, n) must
// return a bucket in [0, n) for n >= 1, consistently as n grows.
template <std::uint32_t (*Bucket)(std::uint64_t, std::uint32_t)>
class BucketPlacement final : public PlacementBase<BucketPlacement<Bucket>> {
 public:
  BucketPlacement(StrategyParams& p, std::string name) : map_(p, std::move(name)) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    map_.init(nodes, max_nodes);
  }
  NodeId lookup(std::uint64_t key_hash) const override {
    return map_.node(Bucket(key_hash, map_.size()));
  }
  void add_node(const NodeSpec& node) override { map_.add(node.id); }
  void remove_node(NodeId node) override { map_.remove(node); }
  std::size_t state_bytes() const override { return map_.bytes(); }
  PlacementTraits traits() const override { return map_.traits(); }

 private:
  BucketMap map_;
};

}  // namespace ringsim
