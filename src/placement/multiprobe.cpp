// multiprobe: multi-probe consistent hashing (Appleton & O'Reilly,
// "Multi-probe consistent hashing", arXiv:1505.00062, 2015: the algorithm of
// its abstract and introduction). Every node has ONE point on the 64-bit circle; a key is hashed
// k times (parameter `probes`) and goes to the node whose point is the
// closest clockwise successor over all probes, i.e. the minimum of
// (successor point - probe) mod 2^64. The paper shows a peak-to-average load
// of 1 + epsilon with 1 + 1/epsilon probes, so the default k = 21 aims at 1.05.
//
// Minimal disruption holds exactly: adding a point P changes a probe's
// successor only to P and only by shortening its distance, so a key's minimum
// either moves to P or stays where it was; removal is the reverse. Any node
// may leave.
//
// Not weighted: the paper defines one point per node and its balance result
// is for equal nodes. Weights could only be approximated by integer numbers
// of points (weight 1.5 or 0.3 cannot be expressed), and scaling distances by
// weight would break the minimal-disruption argument above, so this strategy
// does not claim weights.
#include <algorithm>
#include <string>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"

namespace ringsim {
namespace {

// Salts of node points and key probes, so that they are independent.
constexpr std::uint64_t kPointSeed = 0x6d70636870747321ULL;  // "mpchpts!"
constexpr std::uint64_t kProbeSeed = 0x6d706368707262ULL;    // "mpchprb"

class MultiProbePlacement final : public PlacementBase<MultiProbePlacement> {
 public:
  explicit MultiProbePlacement(std::uint32_t probes) : probes_(probes) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t) override {
    positions_.reserve(nodes.size());
    owners_.reserve(nodes.size());
    for (const auto& n : nodes) {
      positions_.push_back(point(n.id));
      owners_.push_back(n.id);
    }
    sort_points();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    const std::uint64_t* first = positions_.data();
    const std::uint64_t* last = first + positions_.size();
    std::uint64_t best_distance = 0;
    std::size_t best = 0;
    for (std::uint32_t k = 0; k < probes_; ++k) {
      const std::uint64_t probe = hash_pair(key_hash, k, kProbeSeed);
      const std::uint64_t* it = std::lower_bound(first, last, probe);
      const std::size_t i = it == last ? 0 : static_cast<std::size_t>(it - first);
      const std::uint64_t distance = positions_[i] - probe;  // clockwise, mod 2^64
      if (k == 0 || distance < best_distance) {
        best_distance = distance;
        best = i;
      }
    }
    return owners_[best];
  }

  void add_node(const NodeSpec& node) override {
    const std::uint64_t pos = point(node.id);
    // Insert in (position, id) order, the order sort_points() gives.
    std::size_t i = 0;
    while (i < positions_.size() &&
           (positions_[i] < pos || (positions_[i] == pos && owners_[i] < node.id)))
      ++i;
    positions_.insert(positions_.begin() + static_cast<std::ptrdiff_t>(i), pos);
    owners_.insert(owners_.begin() + static_cast<std::ptrdiff_t>(i), node.id);
  }

  void remove_node(NodeId node) override {
    for (std::size_t i = 0; i < owners_.size(); ++i) {
      if (owners_[i] != node) continue;
      positions_.erase(positions_.begin() + static_cast<std::ptrdiff_t>(i));
      owners_.erase(owners_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    throw Error("multiprobe: cannot remove node " + std::to_string(node) + ", it is not active");
  }

  std::size_t state_bytes() const override {
    return positions_.capacity() * sizeof(std::uint64_t) + owners_.capacity() * sizeof(NodeId);
  }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  static std::uint64_t point(NodeId id) { return hash_u64(id, kPointSeed); }

  // Sorts by (position, node id): the id breaks the (improbable) tie of two
  // equal positions the same way on every rank.
  void sort_points() {
    std::vector<std::size_t> order(positions_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return positions_[a] != positions_[b] ? positions_[a] < positions_[b]
                                            : owners_[a] < owners_[b];
    });
    std::vector<std::uint64_t> pos(order.size());
    std::vector<NodeId> own(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      pos[i] = positions_[order[i]];
      own[i] = owners_[order[i]];
    }
    positions_ = std::move(pos);
    owners_ = std::move(own);
  }

  std::uint32_t probes_;
  std::vector<std::uint64_t> positions_;  // sorted, one point per active node
  std::vector<NodeId> owners_;            // owners_[i] is the node of positions_[i]
};

}  // namespace

std::unique_ptr<Placement> make_multiprobe(StrategyParams& p) {
  return std::make_unique<MultiProbePlacement>(
      static_cast<std::uint32_t>(p.get_int("probes", 21, 1, 1 << 16)));
}

}  // namespace ringsim
