// memento: MementoHash (Coluzzi, Brocco, Antonucci, Leidi, "MementoHash: A
// Stateful, Minimal Memory, Best Performing Consistent Hash Algorithm",
// arXiv:2306.09783), the algorithm of the paper's Section "MementoHash" and its
// pseudo-code (lookup, add, remove over the b-array and the replacement set).
//
// Buckets 0..n-1 form the b-array, jump hash (Lamping, Veach, arXiv:1406.2294)
// maps a key into it. While only the last bucket leaves, MementoHash is jump
// hash with n shrinking. Any other removal is remembered in the replacement
// set as a tuple (bucket b, replacer c, previously removed bucket p), where
// c = |working set| - 1 after the removal is both the bucket that takes b's
// place and the size of the working set just after b left. A key whose bucket
// b is removed is rehashed into [0, c) and, where that lands on a bucket
// removed earlier (whose replacer is >= c), follows the replacers; if the
// result was removed later, the loop repeats with its smaller replacer. Adding
// a bucket restores the last removed one (p links them into a stack), or
// extends the b-array when nothing is removed. Removal of any bucket moves
// only its keys, and adding only takes keys onto the new bucket.
//
// Hashes: those of the authors' implementation (MementoEngine's
// getBucketCRC32c with seed 0): the first bucket is jump hash of
// crc32c(key, 0), the rehash of a key on removed bucket b is
// crc32c(key, b) mod c, so ringsim gives the buckets the authors' code gives
// (tests/unit/kat/memento.tsv).
//
// The replacement set lives in the b-array itself: one 32-bit word per
// bucket holds the node of a working bucket or, tagged with the top bit, the
// replacer of a removed one, so each step of a lookup reads one word of an
// array of 4 bytes per bucket (the bucket -> node map ringsim needs anyway)
// and no hash table is probed. The stack links of the paper's tuples are a
// plain stack of the removed buckets, most recent last. Memory: 4 bytes per
// b-array bucket and per removal, besides the node -> bucket index.
//
// After the removal of most buckets in random order, the inner loop (follow
// replacers while they are >= c) takes about n / |working set| steps per
// lookup, not the logarithmic number the paper's analysis gives; ringsim
// keeps the published algorithm, and its cost, as they are.
//
// Nodes: bucket i serves the i-th initial node; a joining node takes the
// bucket that add restores, so re-adding nodes in the reverse order of their
// removal restores every key's owner exactly. Node weights are ignored
// (unweighted).
#include <limits>
#include <string>
#include <vector>

#include "error.hpp"
#include "placement.hpp"
#include "placement/crc32c.hpp"
#include "placement/jump_hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// A b-array word with this bit set is a removed bucket's replacer; without
// it, the node of a working bucket. Node ids and buckets stay below it.
constexpr std::uint32_t kRemoved = std::uint32_t{1} << 31;

class MementoPlacement final : public PlacementBase<MementoPlacement> {
 public:
  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    if (max_nodes >= kRemoved)
      throw Error("strategy 'memento': cluster.nodes (" + std::to_string(max_nodes) +
                  ") must be below 2^31");
    bucket_of_node_.assign(max_nodes, kNone);
    slot_.clear();
    removed_.clear();
    for (const auto& n : nodes) {
      if (n.id >= max_nodes) throw outside(n.id);
      if (bucket_of_node_[n.id] != kNone) throw active(n.id);
      bucket_of_node_[n.id] = static_cast<std::uint32_t>(slot_.size());
      slot_.push_back(n.id);
    }
    n_ = static_cast<std::uint32_t>(slot_.size());
  }

  // MementoEngine::getBucketCRC32c(key_hash, seed = 0).
  NodeId lookup(std::uint64_t key_hash) const override {
    std::uint32_t b = jump_hash(crc32c_u64(key_hash, 0), n_);
    std::uint32_t s = slot_[b];
    while (s & kRemoved) {
      // b was removed, leaving r working buckets: rehash into [0, r).
      const std::uint32_t r = s & ~kRemoved;
      b = crc32c_u64(key_hash, b) % r;
      s = slot_[b];
      // While b was removed before (its replacer is >= r), follow replacers.
      while ((s & kRemoved) && (s & ~kRemoved) >= r) {
        b = s & ~kRemoved;
        s = slot_[b];
      }
      // s is a node (b works), or b was removed later: repeat with its replacer.
    }
    return s;
  }

  void add_node(const NodeSpec& node) override {
    if (node.id >= bucket_of_node_.size()) throw outside(node.id);
    if (bucket_of_node_[node.id] != kNone) throw active(node.id);
    std::uint32_t b;
    if (removed_.empty()) {
      b = n_++;  // the b-array grows
      slot_.push_back(node.id);
    } else {
      b = removed_.back();  // restore the last removed bucket
      removed_.pop_back();
      slot_[b] = node.id;
    }
    bucket_of_node_[node.id] = b;
  }

  void remove_node(NodeId node) override {
    if (node >= bucket_of_node_.size() || bucket_of_node_[node] == kNone)
      throw Error("strategy 'memento': node " + std::to_string(node) + " is not active");
    const auto removed = static_cast<std::uint32_t>(removed_.size());
    if (n_ - removed == 1)
      throw Error("strategy 'memento': cannot remove the last active node (node " +
                  std::to_string(node) + ")");
    const std::uint32_t b = bucket_of_node_[node];
    if (removed == 0 && b == n_ - 1) {
      // The jump hash case: the b-array shrinks, nothing to remember.
      --n_;
      slot_.pop_back();
    } else {
      // Its replacer: the number of working buckets left, n - removed - 1.
      slot_[b] = kRemoved | (n_ - removed - 1);
      removed_.push_back(b);
    }
    bucket_of_node_[node] = kNone;
  }

  // The b-array, the stack of removed buckets and the node -> bucket index.
  std::size_t state_bytes() const override {
    return (slot_.size() + removed_.size() + bucket_of_node_.size()) * sizeof(std::uint32_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  Error outside(NodeId id) const {
    return Error("strategy 'memento': node " + std::to_string(id) + " is outside cluster.nodes (" +
                 std::to_string(bucket_of_node_.size()) + ")");
  }
  static Error active(NodeId id) {
    return Error("strategy 'memento': node " + std::to_string(id) + " is already active");
  }

  std::uint32_t n_ = 0;  // size of the b-array
  // Per bucket: its node, or kRemoved | its replacer.
  std::vector<std::uint32_t> slot_;
  std::vector<std::uint32_t> removed_;         // removed buckets, most recent last
  std::vector<std::uint32_t> bucket_of_node_;  // kNone for an inactive node
};

}  // namespace

std::unique_ptr<Placement> make_memento(StrategyParams&) {
  return std::make_unique<MementoPlacement>();
}

}  // namespace ringsim
