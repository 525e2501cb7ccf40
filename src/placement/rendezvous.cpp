// rendezvous: highest random weight hashing (Thaler & Ravishankar, "Using
// name-based mappings to increase hit rates", IEEE/ACM ToN 6(1), 1998,
// section III: the HRW mapping). Every (key, node) pair gets a pseudo-random
// weight and the key belongs to the active node with the highest one.
//
// Weights follow the logarithmic method for weighted HRW (Schindelhauer &
// Schomaker, "Weighted distributed hash tables", SPAA 2005; the usual
// weighted rendezvous): u = hash(key, node) mapped into (0, 1) and
// score = -w / ln(u). Then -ln(u)/w is exponential with rate w, so the node
// with the highest score (the smallest such variable) is node i with
// probability exactly w_i / sum(w): weight 2 gets twice the keys of weight 1.
//
// A node's score does not depend on the other nodes, so adding a node moves
// keys only onto it, and removing one moves only its keys: minimal disruption,
// any node may leave. Lookup is O(n) over a contiguous array of the active
// nodes. Ties (equal scores, practically impossible) go to the larger u and
// then the smaller id, independent of the array order.
#include <cmath>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"

namespace ringsim {
namespace {

// Salt of the (key, node) hash, so that it is independent of other uses.
constexpr std::uint64_t kScoreSeed = 0x72656e64657a766fULL;  // "rendezvo"

class RendezvousPlacement final : public PlacementBase<RendezvousPlacement> {
 public:
  void init(std::span<const NodeSpec> nodes, std::uint32_t) override {
    members_.clear();
    members_.add(nodes);  // throws on a node listed twice
    ids_.clear();
    weights_.clear();
    salts_.clear();
    ids_.reserve(nodes.size());
    weights_.reserve(nodes.size());
    salts_.reserve(nodes.size());
    for (const auto& n : nodes) {
      ids_.push_back(n.id);
      weights_.push_back(n.weight);
      salts_.push_back(hash_u64(n.id, kScoreSeed));
    }
    update_uniform();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    const std::size_t n = ids_.size();
    if (uniform_) {
      // All weights equal: -w / ln(u) increases with u, so comparing the
      // bits that make u gives the same winner without the logarithm.
      std::uint64_t best_bits = score_bits(key_hash, 0);
      std::size_t best = 0;
      for (std::size_t i = 1; i < n; ++i) {
        const std::uint64_t bits = score_bits(key_hash, i);
        if (bits > best_bits || (bits == best_bits && ids_[i] < ids_[best])) {
          best_bits = bits;
          best = i;
        }
      }
      return ids_[best];
    }
    double best_score = 0;
    std::uint64_t best_bits = 0;
    NodeId best = ids_[0];
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t bits = score_bits(key_hash, i);
      // u in (0, 1): the midpoint of one of 2^53 equal cells, never 0 or 1.
      const double u = (static_cast<double>(bits) + 0.5) * 0x1p-53;
      const double score = -weights_[i] / std::log(u);
      if (i == 0 || score > best_score ||
          (score == best_score && (bits > best_bits || (bits == best_bits && ids_[i] < best)))) {
        best_score = score;
        best_bits = bits;
        best = ids_[i];
      }
    }
    return best;
  }

  void add_node(const NodeSpec& node) override {
    members_.add(node.id);  // throws if already active
    ids_.push_back(node.id);
    weights_.push_back(node.weight);
    salts_.push_back(hash_u64(node.id, kScoreSeed));
    update_uniform();
  }

  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] != node) continue;
      // The winner does not depend on the order, so swap with the last.
      ids_[i] = ids_.back();
      weights_[i] = weights_.back();
      salts_[i] = salts_.back();
      ids_.pop_back();
      weights_.pop_back();
      salts_.pop_back();
      update_uniform();
      return;
    }
  }

  // A batch: one check of the weights instead of one per node.
  void add_nodes(std::span<const NodeSpec> nodes) override {
    members_.add(nodes);  // throws before any change
    for (const auto& n : nodes) {
      ids_.push_back(n.id);
      weights_.push_back(n.weight);
      salts_.push_back(hash_u64(n.id, kScoreSeed));
    }
    update_uniform();
  }

  // A batch: one pass finds every leaving node, which then swaps with the
  // last as in remove_node; one check of the weights.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    swap_remove(ids_, nodes, [&](std::size_t from, std::size_t to) {
      weights_[to] = weights_[from];
      salts_[to] = salts_[from];
    });
    weights_.resize(ids_.size());
    salts_.resize(ids_.size());
    update_uniform();
  }

  std::size_t state_bytes() const override {
    return ids_.size() * sizeof(NodeId) + weights_.size() * sizeof(double) +
           salts_.size() * sizeof(std::uint64_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = true, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  // The 53 score bits of (key, node i): the splitmix64 finaliser of the key
  // hash xor a per-node salt. A bijective 64-bit mixer, so every node's score
  // is uniform over keys, and cheaper than hashing (key, node) afresh: this
  // loop runs once per node for every lookup.
  std::uint64_t score_bits(std::uint64_t key_hash, std::size_t i) const {
    return mix64(key_hash ^ salts_[i]) >> 11;
  }

  void update_uniform() {
    uniform_ = true;
    for (double w : weights_) uniform_ = uniform_ && w == weights_[0];
  }

  ActiveNodes members_{"rendezvous"};
  std::vector<NodeId> ids_;           // active nodes, in no particular order
  std::vector<double> weights_;       // weights_[i] is the weight of ids_[i]
  std::vector<std::uint64_t> salts_;  // salts_[i] = hash(ids_[i]), precomputed
  bool uniform_ = true;               // all active weights are equal
};

}  // namespace

std::unique_ptr<Placement> make_rendezvous(StrategyParams&) {
  return std::make_unique<RendezvousPlacement>();
}

}  // namespace ringsim
