// anchor: AnchorHash (Mendelson, Vargaftik, Barabash, Lorenz, Keslassy, Orda,
// "AnchorHash: A Scalable Consistent Hash", arXiv:1812.09674), the compact
// implementation of the paper's Section "Implementation" (INITANCHOR,
// GETBUCKET, ADDBUCKET, REMOVEBUCKET over the integer arrays A, K, W, L and the
// stack R of removed buckets) and its INITWRAPPER bucket <-> resource mapping.
//
// The anchor is a fixed set of `capacity` buckets. A[b] is 0 for a working
// bucket and otherwise the size of the working set just after b was removed;
// K[b] is the bucket that took b's place, W is the working set in order, L[b]
// is b's last position in W and R holds the removed buckets, most recent on
// top. A key starts at H(k) mod a and, while its bucket is removed, is rehashed
// into the working set as it was right after that removal, following K past
// buckets removed earlier. Removing a bucket only moves its keys and adding
// one only takes keys onto it, for arbitrary removal order.
//
// Nodes: as in the paper's wrapper, bucket i serves the i-th initial node. The
// paper's ADDBUCKET always restores the most recently removed bucket; the node
// being added is attached to that bucket, whichever node held it before. So
// re-adding nodes in the reverse order of their removal restores every key's
// owner exactly, and any other order still moves keys only onto the new node.
// Node weights are ignored (AnchorHash is unweighted).
#include <algorithm>
#include <limits>
#include <string>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"

namespace ringsim {
namespace {

// Seed of the per-bucket rehash H_b(k), independent of the key hashes.
constexpr std::uint64_t kRehashSeed = 0x616e63686f726862ULL;  // "anchorhb"
constexpr std::uint32_t kNoBucket = std::numeric_limits<std::uint32_t>::max();

class AnchorPlacement final : public PlacementBase<AnchorPlacement> {
 public:
  explicit AnchorPlacement(std::uint32_t capacity) : capacity_param_(capacity) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    const std::uint32_t a = capacity_param_ == 0 ? max_nodes : capacity_param_;
    if (a < max_nodes)
      throw Error("strategy 'anchor': capacity (" + std::to_string(a) +
                  ") must be >= cluster.nodes (" + std::to_string(max_nodes) + ")");
    if (nodes.size() > a)
      throw Error("strategy 'anchor': " + std::to_string(nodes.size()) +
                  " initial nodes exceed the capacity (" + std::to_string(a) + ")");
    init_anchor(a, static_cast<std::uint32_t>(nodes.size()));
    node_of_bucket_.assign(a, kNoBucket);
    bucket_of_node_.assign(max_nodes, kNoBucket);
    for (std::uint32_t b = 0; b < nodes.size(); ++b) attach(nodes[b].id, b);
  }

  // GETBUCKET(k).
  NodeId lookup(std::uint64_t key_hash) const override {
    std::uint32_t b = static_cast<std::uint32_t>(key_hash % a_);
    while (A_[b] > 0) {  // b is removed
      const std::uint32_t wb = A_[b];
      std::uint32_t h = static_cast<std::uint32_t>(hash_pair(key_hash, b, kRehashSeed) % wb);
      while (A_[h] >= wb) h = K_[h];  // h was removed before b: follow its replacements
      b = h;
    }
    return node_of_bucket_[b];
  }

  void add_node(const NodeSpec& node) override {
    if (node.id >= bucket_of_node_.size())
      throw Error("strategy 'anchor': node " + std::to_string(node.id) +
                  " is outside cluster.nodes (" + std::to_string(bucket_of_node_.size()) + ")");
    if (bucket_of_node_[node.id] != kNoBucket)
      throw Error("strategy 'anchor': node " + std::to_string(node.id) + " is already active");
    if (R_.empty())
      throw Error("strategy 'anchor': no free bucket left (capacity " + std::to_string(a_) + ")");
    attach(node.id, add_bucket());
  }

  void remove_node(NodeId node) override {
    if (node >= bucket_of_node_.size() || bucket_of_node_[node] == kNoBucket)
      throw Error("strategy 'anchor': node " + std::to_string(node) + " is not active");
    if (N_ == 1) throw Error("strategy 'anchor': cannot remove the last active node");
    const std::uint32_t b = bucket_of_node_[node];
    remove_bucket(b);
    node_of_bucket_[b] = kNoBucket;
    bucket_of_node_[node] = kNoBucket;
  }

  // The anchor arrays, the removed stack (reserved at its full size a up
  // front) and the two directions of the bucket <-> node map.
  std::size_t state_bytes() const override {
    return (A_.capacity() + K_.capacity() + W_.capacity() + L_.capacity() + R_.capacity() +
            node_of_bucket_.capacity() + bucket_of_node_.capacity()) *
           sizeof(std::uint32_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  // INITANCHOR(a, w): buckets 0..w-1 work, w..a-1 are removed in descending
  // order, so that the first additions restore w, w+1, ...
  void init_anchor(std::uint32_t a, std::uint32_t w) {
    a_ = a;
    A_.assign(a, 0);
    K_.resize(a);
    W_.resize(a);
    L_.resize(a);
    for (std::uint32_t b = 0; b < a; ++b) K_[b] = W_[b] = L_[b] = b;
    R_.clear();
    R_.reserve(a);
    N_ = a;
    for (std::uint32_t b = a; b-- > w;) remove_bucket(b);
  }

  // ADDBUCKET(): restores the most recently removed bucket.
  std::uint32_t add_bucket() {
    const std::uint32_t b = R_.back();
    R_.pop_back();
    A_[b] = 0;
    L_[W_[N_]] = N_;
    W_[L_[b]] = K_[b] = b;
    ++N_;
    return b;
  }

  // REMOVEBUCKET(b): the last working bucket in W takes b's place.
  void remove_bucket(std::uint32_t b) {
    R_.push_back(b);
    --N_;
    A_[b] = N_;
    W_[L_[b]] = K_[b] = W_[N_];
    L_[W_[N_]] = L_[b];
  }

  void attach(NodeId node, std::uint32_t b) {
    node_of_bucket_[b] = node;
    bucket_of_node_[node] = b;
  }

  std::uint32_t capacity_param_;  // 0: use max_nodes
  std::uint32_t a_ = 0;           // anchor size (capacity)
  std::uint32_t N_ = 0;           // number of working buckets
  std::vector<std::uint32_t> A_, K_, W_, L_;
  std::vector<std::uint32_t> R_;               // removed buckets, most recent last
  std::vector<NodeId> node_of_bucket_;         // kNoBucket for a removed bucket
  std::vector<std::uint32_t> bucket_of_node_;  // kNoBucket for an inactive node
};

}  // namespace

std::unique_ptr<Placement> make_anchor(StrategyParams& p) {
  return std::make_unique<AnchorPlacement>(
      static_cast<std::uint32_t>(p.get_int("capacity", 0, 0, std::int64_t{1} << 26)));
}

}  // namespace ringsim
