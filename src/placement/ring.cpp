// ring: consistent hashing with virtual nodes (Karger et al., STOC 1997).
// Every node puts round(vnodes * weight) points on a 64-bit circle at
// hash(node, replica); a key belongs to the first point clockwise from its
// hash. Adding a node only takes arcs onto the new node, and removing one only
// hands its arcs to the successors, so both moves are minimal.
#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"

namespace ringsim {
namespace {

// Salt for point positions, so that they are independent of key hashes.
constexpr std::uint64_t kPointSeed = 0x72696e6770746e73ULL;  // "ringptns"

class RingPlacement final : public Placement {
 public:
  explicit RingPlacement(std::int64_t vnodes) : vnodes_(vnodes) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t) override {
    for (const auto& n : nodes) append_points(n);
    sort_points();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    // First point at or after the key, wrapping to the start of the circle.
    auto it = std::lower_bound(positions_.begin(), positions_.end(), key_hash);
    const std::size_t i =
        it == positions_.end() ? 0 : static_cast<std::size_t>(it - positions_.begin());
    return owners_[i];
  }

  void add_node(const NodeSpec& node) override {
    append_points(node);
    sort_points();
  }

  void remove_node(NodeId node) override {
    std::size_t out = 0;
    for (std::size_t i = 0; i < owners_.size(); ++i) {
      if (owners_[i] == node) continue;
      positions_[out] = positions_[i];
      owners_[out] = owners_[i];
      ++out;
    }
    positions_.resize(out);
    owners_.resize(out);
  }

  std::size_t state_bytes() const override {
    return positions_.capacity() * sizeof(std::uint64_t) + owners_.capacity() * sizeof(NodeId);
  }
  PlacementTraits traits() const override {
    return {.weighted = true, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  void append_points(const NodeSpec& node) {
    const auto points =
        static_cast<std::int64_t>(std::llround(static_cast<double>(vnodes_) * node.weight));
    for (std::int64_t r = 0; r < std::max<std::int64_t>(points, 1); ++r) {
      positions_.push_back(hash_pair(node.id, static_cast<std::uint64_t>(r), kPointSeed));
      owners_.push_back(node.id);
    }
  }

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

  std::int64_t vnodes_;
  std::vector<std::uint64_t> positions_;  // sorted
  std::vector<NodeId> owners_;            // owners_[i] owns the arc ending at positions_[i]
};

}  // namespace

std::unique_ptr<Placement> make_ring(StrategyParams& p) {
  return std::make_unique<RingPlacement>(p.get_int("vnodes", 160, 1, 1 << 20));
}

}  // namespace ringsim
