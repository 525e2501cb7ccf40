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
// Hashes: those of the authors' implementation (AnchorHashQre::ComputeBucket
// with key1 = the key hash, key2 = 0): H(k) = crc32c(key1, key2) and the
// rehash bs = crc32c(key1 - bs, key2 + bs), so ringsim gives the buckets the
// authors' code gives (tests/unit/kat/anchor.tsv). The reduction mod a uses a
// precomputed reciprocal (exact for every 32-bit value, so the same result).
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
#include "placement.hpp"
#include "placement/crc32c.hpp"

namespace ringsim {
namespace {

constexpr std::uint32_t kNoBucket = std::numeric_limits<std::uint32_t>::max();
__extension__ using Uint128 = unsigned __int128;

// x mod d for 32-bit x by a fixed d >= 1, by a multiplication with the
// reciprocal ceil(2^64 / d) (Lemire, Kaser, Kurz, "Faster remainder by direct
// computation", 2019): exact for every 32-bit x and d.
class FastMod {
 public:
  FastMod() = default;
  explicit FastMod(std::uint32_t d) : d_(d), m_(~std::uint64_t{0} / d + 1) {}
  std::uint32_t mod(std::uint32_t x) const {
    const std::uint64_t low = m_ * x;
    return static_cast<std::uint32_t>((static_cast<Uint128>(low) * d_) >> 64);
  }

 private:
  std::uint64_t d_ = 1;
  std::uint64_t m_ = 0;
};

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
    if (a == 0) throw Error("strategy 'anchor': cluster.nodes must be at least 1");
    init_anchor(a, static_cast<std::uint32_t>(nodes.size()));
    bucket_of_node_.assign(max_nodes, kNoBucket);
    for (std::uint32_t b = 0; b < nodes.size(); ++b) {
      if (nodes[b].id >= max_nodes) throw outside(nodes[b].id);
      if (bucket_of_node_[nodes[b].id] != kNoBucket) throw active(nodes[b].id);
      attach(nodes[b].id, b);
    }
  }

  // GETBUCKET(k), hashing as AnchorHashQre::ComputeBucket(key1 = key_hash,
  // key2 = 0) does.
  NodeId lookup(std::uint64_t key_hash) const override {
    std::uint32_t bs = crc32c_u64(key_hash, 0);
    std::uint32_t b = mod_a_.mod(bs);
    std::uint32_t wb = hot_[b].removed_size;
    while (wb > 0) {  // b is removed, leaving wb working buckets
      bs = crc32c_u64(key_hash - bs, bs);
      std::uint32_t h = bs % wb;
      while (hot_[h].removed_size >= wb) h = K_[h];  // removed before b: follow K
      b = h;
      wb = hot_[b].removed_size;
    }
    return hot_[b].node;
  }

  void add_node(const NodeSpec& node) override {
    if (node.id >= bucket_of_node_.size()) throw outside(node.id);
    if (bucket_of_node_[node.id] != kNoBucket) throw active(node.id);
    if (R_.empty())
      throw Error("strategy 'anchor': no free bucket left (capacity " + std::to_string(a_) + ")");
    attach(node.id, add_bucket());
  }

  void remove_node(NodeId node) override {
    if (node >= bucket_of_node_.size() || bucket_of_node_[node] == kNoBucket)
      throw Error("strategy 'anchor': node " + std::to_string(node) + " is not active");
    if (N_ == 1)
      throw Error("strategy 'anchor': cannot remove the last active node (node " +
                  std::to_string(node) + ")");
    const std::uint32_t b = bucket_of_node_[node];
    remove_bucket(b);
    hot_[b].node = kNoBucket;
    bucket_of_node_[node] = kNoBucket;
  }

  // The anchor arrays (A with the bucket -> node map, K, W, L), the removed
  // stack (reserved at its full size a up front) and the node -> bucket map.
  std::size_t state_bytes() const override {
    return hot_.capacity() * sizeof(Hot) + (K_.capacity() + W_.capacity() + L_.capacity() +
                                            R_.capacity() + bucket_of_node_.capacity()) *
                                               sizeof(std::uint32_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  // What a lookup reads for every bucket it visits, side by side.
  struct Hot {
    std::uint32_t removed_size;  // A[b]
    NodeId node;                 // the node of bucket b, kNoBucket if removed
  };

  Error outside(NodeId id) const {
    return Error("strategy 'anchor': node " + std::to_string(id) + " is outside cluster.nodes (" +
                 std::to_string(bucket_of_node_.size()) + ")");
  }
  static Error active(NodeId id) {
    return Error("strategy 'anchor': node " + std::to_string(id) + " is already active");
  }

  // INITANCHOR(a, w): buckets 0..w-1 work, w..a-1 are removed in descending
  // order, so that the first additions restore w, w+1, ...
  void init_anchor(std::uint32_t a, std::uint32_t w) {
    a_ = a;
    mod_a_ = FastMod(a);
    hot_.assign(a, Hot{0, kNoBucket});
    hot_.shrink_to_fit();
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
    hot_[b].removed_size = 0;
    L_[W_[N_]] = N_;
    W_[L_[b]] = K_[b] = b;
    ++N_;
    return b;
  }

  // REMOVEBUCKET(b): the last working bucket in W takes b's place.
  void remove_bucket(std::uint32_t b) {
    R_.push_back(b);
    --N_;
    hot_[b].removed_size = N_;
    W_[L_[b]] = K_[b] = W_[N_];
    L_[W_[N_]] = L_[b];
  }

  void attach(NodeId node, std::uint32_t b) {
    hot_[b].node = node;
    bucket_of_node_[node] = b;
  }

  std::uint32_t capacity_param_;  // 0: use max_nodes
  std::uint32_t a_ = 0;           // anchor size (capacity)
  std::uint32_t N_ = 0;           // number of working buckets
  FastMod mod_a_;                 // x mod a_
  std::vector<Hot> hot_;          // A and the bucket -> node map
  std::vector<std::uint32_t> K_, W_, L_;
  std::vector<std::uint32_t> R_;               // removed buckets, most recent last
  std::vector<std::uint32_t> bucket_of_node_;  // kNoBucket for an inactive node
};

}  // namespace

std::unique_ptr<Placement> make_anchor(StrategyParams& p) {
  return std::make_unique<AnchorPlacement>(
      static_cast<std::uint32_t>(p.get_int("capacity", 0, 0, std::int64_t{1} << 26)));
}

}  // namespace ringsim
