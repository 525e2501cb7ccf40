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
// The replacement set is an open-addressing hash table (linear probing,
// backward-shift deletion, load <= 1/2) in one flat array. Nodes: bucket i
// serves the i-th initial node; a joining node takes the bucket that add
// restores, so re-adding nodes in the reverse order of their removal restores
// every key's owner exactly. Node weights are ignored (unweighted).
#include <algorithm>
#include <limits>
#include <string>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/jump_hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// Seed of the rehash of a key that hit a removed bucket.
constexpr std::uint64_t kRehashSeed = 0x6d656d656e746f68ULL;  // "mementoh"

// The replacement set: removed bucket -> (replacer, previously removed bucket).
class ReplacementSet {
 public:
  struct Entry {
    std::uint32_t bucket = kNone;  // kNone: empty slot
    std::uint32_t replacer = 0;
    std::uint32_t prev = 0;
  };

  ReplacementSet() { resize(kMinSlots); }

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The replacer of `bucket`, or kNone if it is not removed.
  std::uint32_t replacer(std::uint32_t bucket) const {
    for (std::size_t i = home(bucket);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.bucket == bucket) return e.replacer;
      if (e.bucket == kNone) return kNone;
    }
  }

  void insert(std::uint32_t bucket, std::uint32_t replacer, std::uint32_t prev) {
    if (2 * (size_ + 1) > slots_.size()) resize(2 * slots_.size());
    place({bucket, replacer, prev});
    ++size_;
  }

  // Removes `bucket` (which must be present) and returns its entry.
  Entry erase(std::uint32_t bucket) {
    std::size_t i = home(bucket);
    while (slots_[i].bucket != bucket) i = (i + 1) & mask_;
    const Entry out = slots_[i];
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole unless that would move them before their home slot.
    for (std::size_t j = (i + 1) & mask_; slots_[j].bucket != kNone; j = (j + 1) & mask_) {
      const std::size_t k = home(slots_[j].bucket);
      const bool movable = i <= j ? (k <= i || k > j) : (k <= i && k > j);
      if (movable) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Entry{};
    --size_;
    if (slots_.size() > kMinSlots && 8 * size_ < slots_.size()) resize(slots_.size() / 2);
    return out;
  }

  std::size_t bytes() const { return slots_.size() * sizeof(Entry); }

 private:
  static constexpr std::size_t kMinSlots = 16;

  std::size_t home(std::uint32_t bucket) const { return mix64(bucket) & mask_; }

  void place(const Entry& e) {
    std::size_t i = home(e.bucket);
    while (slots_[i].bucket != kNone) i = (i + 1) & mask_;
    slots_[i] = e;
  }

  void resize(std::size_t slots) {
    std::vector<Entry> old = std::move(slots_);
    slots_.assign(slots, Entry{});
    slots_.shrink_to_fit();
    mask_ = slots - 1;
    for (const Entry& e : old)
      if (e.bucket != kNone) place(e);
  }

  std::vector<Entry> slots_;  // power-of-two size
  std::size_t mask_ = 0;
  std::uint32_t size_ = 0;
};

class MementoPlacement final : public PlacementBase<MementoPlacement> {
 public:
  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    n_ = static_cast<std::uint32_t>(nodes.size());
    last_removed_ = n_;
    node_of_bucket_.clear();
    for (const auto& n : nodes) node_of_bucket_.push_back(n.id);
    bucket_of_node_.assign(max_nodes, kNone);
    for (std::uint32_t b = 0; b < n_; ++b) {
      if (nodes[b].id >= max_nodes) throw outside(nodes[b].id);
      bucket_of_node_[nodes[b].id] = b;
    }
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    std::uint32_t b = jump_hash(key_hash, n_);
    std::uint32_t r = removed_.replacer(b);
    while (r != kNone) {
      // b was removed, leaving r working buckets: rehash into [0, r).
      b = static_cast<std::uint32_t>(hash_pair(key_hash, b, kRehashSeed) % r);
      std::uint32_t rb = removed_.replacer(b);
      while (rb != kNone && rb >= r) {  // removed before: follow its replacer
        b = rb;
        rb = removed_.replacer(b);
      }
      r = rb;  // kNone: b works; otherwise b was removed later, repeat
    }
    return node_of_bucket_[b];
  }

  void add_node(const NodeSpec& node) override {
    if (node.id >= bucket_of_node_.size()) throw outside(node.id);
    if (bucket_of_node_[node.id] != kNone)
      throw Error("strategy 'memento': node " + std::to_string(node.id) + " is already active");
    const std::uint32_t b = last_removed_;
    if (removed_.empty()) {
      last_removed_ = b + 1;  // b == n: the b-array grows
    } else {
      last_removed_ = removed_.erase(b).prev;
    }
    n_ = std::max(n_, b + 1);
    if (b >= node_of_bucket_.size()) node_of_bucket_.resize(b + 1, kNone);
    node_of_bucket_[b] = node.id;
    bucket_of_node_[node.id] = b;
  }

  void remove_node(NodeId node) override {
    if (node >= bucket_of_node_.size() || bucket_of_node_[node] == kNone)
      throw Error("strategy 'memento': node " + std::to_string(node) + " is not active");
    if (n_ - removed_.size() == 1)
      throw Error("strategy 'memento': cannot remove the last active node");
    const std::uint32_t b = bucket_of_node_[node];
    if (removed_.empty() && b == n_ - 1) {
      // The jump hash case: the b-array shrinks, nothing to remember.
      last_removed_ = n_ = b;
      node_of_bucket_.pop_back();
    } else {
      const std::uint32_t working = n_ - removed_.size();
      removed_.insert(b, working - 1, last_removed_);
      last_removed_ = b;
      node_of_bucket_[b] = kNone;
    }
    bucket_of_node_[node] = kNone;
  }

  // The replacement set, the b-array's node ids and the node -> bucket index.
  std::size_t state_bytes() const override {
    return removed_.bytes() + node_of_bucket_.size() * sizeof(NodeId) +
           bucket_of_node_.size() * sizeof(std::uint32_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  Error outside(NodeId id) const {
    return Error("strategy 'memento': node " + std::to_string(id) + " is outside cluster.nodes (" +
                 std::to_string(bucket_of_node_.size()) + ")");
  }

  std::uint32_t n_ = 0;             // size of the b-array
  std::uint32_t last_removed_ = 0;  // the bucket the next add restores
  ReplacementSet removed_;
  std::vector<NodeId> node_of_bucket_;         // kNone for a removed bucket
  std::vector<std::uint32_t> bucket_of_node_;  // kNone for an inactive node
};

}  // namespace

std::unique_ptr<Placement> make_memento(StrategyParams&) {
  return std::make_unique<MementoPlacement>();
}

}  // namespace ringsim
