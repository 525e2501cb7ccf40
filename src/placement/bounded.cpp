// bounded: consistent hashing with bounded loads (Mirrokni, Thorup,
// Zadimoghaddam, arXiv:1608.01350). Nodes sit on a ring with virtual nodes;
// every node has capacity ceil((1 + epsilon) * K * w / W) for K keys and total
// weight W, and a key goes to the first point clockwise from its hash whose
// node is not yet full (section 2 of the paper). So no node holds more than
// (1 + epsilon) times its share.
//
// The assignment depends on the order in which keys arrive. ringsim uses one
// canonical order, clockwise from just after the last point of the ring (the
// batch equivalent of the paper's sequential insertion): keys are taken by
// rotated position, each fills the first non-full node at or after its arc,
// and keys still unplaced after the last point continue from the first point
// again. In that order every point receives a contiguous run of keys, so the
// whole assignment is a list of segment boundaries on the circle, and lookup
// is one binary search. The boundaries come from global key counts
// (KeyHashCounter): arrivals per arc, then, for a point whose node fills up
// inside its run, the position of the key at a given rank, found by binary
// search on the position with one collective count per step (64 steps).
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"
#include "placement/ring_points.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kPointSeed = 0x626f756e64707473ULL;  // "boundpts"

class BoundedLoadsPlacement final : public PlacementBase<BoundedLoadsPlacement> {
 public:
  BoundedLoadsPlacement(std::int64_t vnodes, double epsilon) : vnodes_(vnodes), epsilon_(epsilon) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    members_.clear();
    members_.add(nodes);  // throws on a node listed twice
    points_ = RingPoints();
    invalidate();
    weights_.assign(max_nodes, 0.0);
    for (const auto& n : nodes) place(n);
    points_.sort();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    if (seg_end_.empty()) return points_.owner_of(key_hash);
    const std::uint64_t rotated = key_hash - base_;
    const auto i = std::lower_bound(seg_end_.begin(), seg_end_.end(), rotated) - seg_end_.begin();
    return seg_owner_[static_cast<std::size_t>(i)];
  }

  NodeId primary(std::uint64_t key_hash) const override { return points_.owner_of(key_hash); }

  void add_node(const NodeSpec& node) override {
    members_.add(node.id);  // throws if already active
    place(node);
    points_.sort();
    invalidate();
  }

  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    points_.remove(node);
    if (node < weights_.size()) weights_[node] = 0.0;
    invalidate();
  }

  // A batch: the new points merged into the sorted ring in one pass.
  void add_nodes(std::span<const NodeSpec> nodes) override {
    if (nodes.empty()) return;  // the loop would not invalidate the assignment
    members_.add(nodes);        // throws before any change
    std::vector<std::pair<std::uint64_t, NodeId>> fresh;
    for (const auto& n : nodes) {
      set_weight(n);
      for (std::int64_t r = 0; r < point_count(n); ++r)
        fresh.emplace_back(hash_pair(n.id, static_cast<std::uint64_t>(r), kPointSeed), n.id);
    }
    points_.insert_sorted(std::move(fresh));
    invalidate();
  }

  // A batch: one pass drops the points of every leaving node.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    const NodeBatch leaving(nodes);
    points_.remove_if([&leaving](NodeId owner) { return leaving.contains(owner); });
    for (NodeId node : nodes)
      if (node < weights_.size()) weights_[node] = 0.0;
    invalidate();
  }

  std::size_t state_bytes() const override {
    return points_.bytes() + weights_.size() * sizeof(double) +
           seg_end_.size() * sizeof(std::uint64_t) + seg_owner_.size() * sizeof(NodeId);
  }

  PlacementTraits traits() const override {
    return {.weighted = true,
            .removal = Removal::kAny,
            .minimal_disruption = false,
            .load_aware = true};
  }

  void rebalance(const KeyHashCounter& keys) override;

 private:
  std::int64_t point_count(const NodeSpec& n) const {
    return std::max<std::int64_t>(std::llround(static_cast<double>(vnodes_) * n.weight), 1);
  }
  void set_weight(const NodeSpec& n) {
    if (n.id >= weights_.size()) weights_.resize(n.id + 1, 0.0);
    weights_[n.id] = n.weight;
  }
  void place(const NodeSpec& n) {
    set_weight(n);
    points_.add(n.id, point_count(n), kPointSeed);
  }
  void invalidate() {
    seg_end_.clear();
    seg_owner_.clear();
  }

  std::int64_t vnodes_;
  double epsilon_;
  ActiveNodes members_{"bounded"};
  RingPoints points_;
  std::vector<double> weights_;  // by node id; 0 for inactive nodes
  // The assignment: segment i holds rotated positions (seg_end_[i-1], seg_end_[i]].
  std::uint64_t base_ = 0;  // rotated position 0 is the hash just after the last point
  std::vector<std::uint64_t> seg_end_;
  std::vector<NodeId> seg_owner_;
};

void BoundedLoadsPlacement::rebalance(const KeyHashCounter& keys) {
  invalidate();
  const auto& pos = points_.positions();
  const auto& own = points_.owners();
  const std::size_t P = pos.size();
  const std::uint64_t K = keys.total();
  if (P == 0 || K == 0) return;

  // Keys per arc; arc i is (pos[i-1], pos[i]], arc 0 wraps from the last point.
  const std::vector<std::uint64_t> at_most = keys.count_at_most(pos);
  std::vector<std::uint64_t> arrivals(P);
  arrivals[0] = at_most[0] + (K - at_most[P - 1]);
  for (std::size_t i = 1; i < P; ++i) arrivals[i] = at_most[i] - at_most[i - 1];
  base_ = pos[P - 1] + 1;  // wraps to 0 when the last point is at 2^64 - 1
  const std::uint64_t before_base = base_ == 0 ? 0 : at_most[P - 1];

  // Capacity of each node: ceil((1 + epsilon) * K * w / W).
  double total_weight = 0;
  for (double w : weights_) total_weight += w;
  std::vector<std::uint64_t> room(weights_.size(), 0);
  for (std::size_t n = 0; n < room.size(); ++n)
    if (weights_[n] > 0)
      room[n] = static_cast<std::uint64_t>(
          std::ceil((1.0 + epsilon_) * static_cast<double>(K) * weights_[n] / total_weight));

  // Sweep in the canonical order; `rank_end` is the rank (in rotated order)
  // one past a segment's last key.
  struct Segment {
    std::uint64_t rank_end;
    NodeId owner;
    std::uint64_t end;  // rotated position of its last key, when known
    bool find_end;      // the end lies inside an arc: find it from counts
  };
  std::vector<Segment> segs;
  std::uint64_t carry = 0, placed = 0;
  for (std::size_t i = 0; i < P; ++i) {
    const std::uint64_t take = std::min(room[own[i]], carry + arrivals[i]);
    carry = carry + arrivals[i] - take;
    room[own[i]] -= take;
    placed += take;
    if (take) segs.push_back({placed, own[i], pos[i] - base_, carry > 0});
  }
  for (std::size_t i = 0; carry > 0 && i < P; ++i) {  // keys that ran past the last point
    const std::uint64_t take = std::min(room[own[i]], carry);
    carry -= take;
    room[own[i]] -= take;
    placed += take;
    if (take) segs.push_back({placed, own[i], 0, true});
  }
  if (carry > 0) throw Error("bounded: total capacity below the key count (epsilon too small?)");
  segs.back().end = UINT64_MAX;
  segs.back().find_end = false;

  // The end of each segment found inside an arc: the smallest rotated position
  // x with at least rank_end keys at or before it, by binary search, all
  // segments at once, one collective count per step.
  std::vector<std::size_t> open;
  for (std::size_t s = 0; s < segs.size(); ++s)
    if (segs[s].find_end) open.push_back(s);
  std::vector<std::uint64_t> lo(open.size(), 0), hi(open.size(), UINT64_MAX), query(open.size());
  while (!open.empty()) {
    bool done = true;
    for (std::size_t j = 0; j < open.size(); ++j) {
      if (lo[j] < hi[j]) done = false;
      query[j] = base_ + (lo[j] + (hi[j] - lo[j]) / 2);  // raw hash of the rotated midpoint
    }
    if (done) break;
    const std::vector<std::uint64_t> c = keys.count_at_most(query);
    for (std::size_t j = 0; j < open.size(); ++j) {
      if (lo[j] >= hi[j]) continue;
      const std::uint64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
      // Keys with rotated position <= mid: [base_, base_ + mid] on the circle.
      const bool wrapped = base_ != 0 && query[j] < base_;
      const std::uint64_t upto = wrapped ? (K - before_base) + c[j] : c[j] - before_base;
      if (upto >= segs[open[j]].rank_end)
        hi[j] = mid;
      else
        lo[j] = mid + 1;
    }
  }
  for (std::size_t j = 0; j < open.size(); ++j) segs[open[j]].end = lo[j];

  seg_end_.reserve(segs.size());
  seg_owner_.reserve(segs.size());
  for (const auto& s : segs) {
    seg_end_.push_back(s.end);
    seg_owner_.push_back(s.owner);
  }
}

}  // namespace

std::unique_ptr<Placement> make_bounded(StrategyParams& p) {
  const auto vnodes = p.get_int("vnodes", 40, 1, 1 << 20);
  const double epsilon = p.get_double("epsilon", 0.25, 0.0, true, 100.0);
  return std::make_unique<BoundedLoadsPlacement>(vnodes, epsilon);
}

}  // namespace ringsim
