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
// Weights: the paper defines one point per node for equal nodes. ringsim
// gives a node of weight w max(1, round(w * points)) points (parameter
// `points`, points per unit of weight, default 1), as a ring with virtual
// nodes does; a key still takes the closest successor over its probes, so the
// minimal-disruption argument above holds point by point, and a node's share
// grows with its number of points. Weights are thus approximated to 1/points.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"
#include "placement/ring_points.hpp"

namespace ringsim {
namespace {

// Salts of node points and key probes, so that they are independent.
constexpr std::uint64_t kPointSeed = 0x6d70636870747321ULL;  // "mpchpts!"
constexpr std::uint64_t kProbeSeed = 0x6d706368707262ULL;    // "mpchprb"

class MultiProbePlacement final : public PlacementBase<MultiProbePlacement> {
 public:
  MultiProbePlacement(std::uint32_t probes, std::int64_t points)
      : probes_(probes), points_(points) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t) override {
    members_.clear();
    members_.add(nodes);  // throws on a node listed twice
    ring_ = RingPoints();
    for (const auto& n : nodes) place(n);
    ring_.sort();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    const auto& positions = ring_.positions();
    const std::uint64_t* first = positions.data();
    const std::uint64_t* last = first + positions.size();
    std::uint64_t best_distance = 0;
    std::size_t best = 0;
    for (std::uint32_t k = 0; k < probes_; ++k) {
      const std::uint64_t probe = hash_pair(key_hash, k, kProbeSeed);
      const std::uint64_t* it = std::lower_bound(first, last, probe);
      const std::size_t i = it == last ? 0 : static_cast<std::size_t>(it - first);
      const std::uint64_t distance = positions[i] - probe;  // clockwise, mod 2^64
      if (k == 0 || distance < best_distance) {
        best_distance = distance;
        best = i;
      }
    }
    return ring_.owners()[best];
  }

  void add_node(const NodeSpec& node) override {
    members_.add(node.id);  // throws if already active
    place(node);
    ring_.sort();
  }

  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    ring_.remove(node);
  }

  // A batch: the new points merged into the sorted ones in one pass.
  void add_nodes(std::span<const NodeSpec> nodes) override {
    members_.add(nodes);  // throws before any change
    std::vector<std::pair<std::uint64_t, NodeId>> fresh;
    for (const auto& n : nodes)
      for_each_point(n, [&](std::uint64_t pos) { fresh.emplace_back(pos, n.id); });
    ring_.insert_sorted(std::move(fresh));
  }

  // A batch: one pass drops the points of every leaving node.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    const NodeBatch leaving(nodes);
    ring_.remove_if([&leaving](NodeId owner) { return leaving.contains(owner); });
  }

  std::size_t state_bytes() const override { return ring_.bytes(); }
  PlacementTraits traits() const override {
    return {.weighted = true, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  // Point r of a node; point 0 is the node's single point of the unweighted
  // algorithm.
  template <class F>
  void for_each_point(const NodeSpec& n, const F& f) const {
    const auto count = std::max<std::int64_t>(std::llround(double(points_) * n.weight), 1);
    for (std::int64_t r = 0; r < count; ++r)
      f(r == 0 ? hash_u64(n.id, kPointSeed) : hash_pair(n.id, std::uint64_t(r), kPointSeed));
  }
  void place(const NodeSpec& n) {
    for_each_point(n, [&](std::uint64_t pos) { ring_.add_at(pos, n.id); });
  }

  std::uint32_t probes_;
  std::int64_t points_;
  ActiveNodes members_{"multiprobe"};
  RingPoints ring_;  // sorted by (position, node id)
};

}  // namespace

std::unique_ptr<Placement> make_multiprobe(StrategyParams& p) {
  const auto probes = static_cast<std::uint32_t>(p.get_int("probes", 21, 1, 1 << 16));
  return std::make_unique<MultiProbePlacement>(probes, p.get_int("points", 1, 1, 1 << 16));
}

}  // namespace ringsim
