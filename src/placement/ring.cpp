// ring: consistent hashing with virtual nodes (Karger et al., STOC 1997).
// Every node puts round(vnodes * weight) points on a 64-bit circle at
// hash(node, replica); a key belongs to the first point clockwise from its
// hash. Adding a node only takes arcs onto the new node, and removing one only
// hands its arcs to the successors, so both moves are minimal.
//
// Lookup: the points are sorted by (position, node id). Instead of a binary
// search over all of them, a table indexed by the top k bits of the hash
// (2^k >= number of points, so about one point per bucket) holds, for every
// bucket, the index of the first point at or after the bucket's start; the key
// then scans the few points of its own bucket. The result is exactly the
// first point >= the key (std::lower_bound), ties included: the scan stops at
// the first of equal positions, which has the smallest node id.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"

namespace ringsim {
namespace {

// Salt for point positions, so that they are independent of key hashes.
constexpr std::uint64_t kPointSeed = 0x72696e6770746e73ULL;  // "ringptns"
// The bucket table has at most 2^kMaxBits entries (256 MiB of indices); rings
// with more points than that only get longer scans.
constexpr int kMaxBits = 26;
constexpr NodeId kNoOwner = std::numeric_limits<NodeId>::max();

class RingPlacement final : public PlacementBase<RingPlacement> {
 public:
  explicit RingPlacement(std::int64_t vnodes) : vnodes_(vnodes) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t) override {
    members_.clear();
    members_.add(nodes);  // throws on a node listed twice
    std::vector<Point> points;
    for (const auto& n : nodes) append_points(n, points);
    std::sort(points.begin(), points.end());
    positions_.clear();
    owners_.clear();
    positions_.reserve(points.size());
    owners_.reserve(points.size() + 1);
    for (const auto& [pos, owner] : points) {
      positions_.push_back(pos);
      owners_.push_back(owner);
    }
    rebuild_index();
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    // First point at or after the key: the first in the key's bucket that is
    // >= key_hash, else the first point of a later bucket (index end), else
    // the first point of the circle (index size, whose owners_ entry repeats
    // owners_[0]).
    const std::size_t b = static_cast<std::size_t>(key_hash >> shift_);
    std::uint32_t i = first_[b];
    const std::uint32_t end = first_[b + 1];
    while (i < end && positions_[i] < key_hash) ++i;
    return owners_[i];
  }

  void add_node(const NodeSpec& node) override {
    members_.add(node.id);  // throws if already active
    std::vector<Point> fresh;
    append_points(node, fresh);
    merge(std::move(fresh));
  }

  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    drop([node](NodeId owner) { return owner == node; });
  }

  // A batch: every new point merged in one pass, one index rebuild.
  void add_nodes(std::span<const NodeSpec> nodes) override {
    if (nodes.empty()) return;
    members_.add(nodes);  // throws before any change
    std::vector<Point> fresh;
    for (const auto& n : nodes) append_points(n, fresh);
    merge(std::move(fresh));
  }

  // A batch: one pass drops the points of every leaving node, one index
  // rebuild.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    const NodeBatch leaving(nodes);
    drop([&leaving](NodeId owner) { return leaving.contains(owner); });
  }

  std::size_t state_bytes() const override {
    return positions_.size() * sizeof(std::uint64_t) + owners_.size() * sizeof(NodeId) +
           first_.size() * sizeof(std::uint32_t);
  }
  PlacementTraits traits() const override {
    return {.weighted = true, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  // (position, node id): sorting pairs breaks the (improbable) tie of two
  // equal positions by node id, the same way on every rank.
  using Point = std::pair<std::uint64_t, NodeId>;

  void append_points(const NodeSpec& node, std::vector<Point>& out) const {
    const auto points =
        static_cast<std::int64_t>(std::llround(static_cast<double>(vnodes_) * node.weight));
    for (std::int64_t r = 0; r < std::max<std::int64_t>(points, 1); ++r)
      out.emplace_back(hash_pair(node.id, static_cast<std::uint64_t>(r), kPointSeed), node.id);
  }

  // Merges new points into the sorted ones from the back: the same order as
  // sorting everything again, in linear time. Then rebuilds the index.
  void merge(std::vector<Point> fresh) {
    std::sort(fresh.begin(), fresh.end());
    owners_.pop_back();  // the wrap-around entry
    std::size_t old_size = positions_.size();
    positions_.resize(old_size + fresh.size());
    owners_.resize(old_size + fresh.size());
    std::size_t out = positions_.size();
    std::size_t f = fresh.size();
    while (f > 0) {
      --out;
      if (old_size > 0 && Point{positions_[old_size - 1], owners_[old_size - 1]} > fresh[f - 1]) {
        --old_size;
        positions_[out] = positions_[old_size];
        owners_[out] = owners_[old_size];
      } else {
        --f;
        positions_[out] = fresh[f].first;
        owners_[out] = fresh[f].second;
      }
    }
    rebuild_index();
  }

  // Drops, in one pass, the points whose owner `leaving` accepts, then
  // rebuilds the index.
  template <class Leaving>
  void drop(const Leaving& leaving) {
    owners_.pop_back();  // the wrap-around entry
    std::size_t out = 0;
    for (std::size_t i = 0; i < owners_.size(); ++i) {
      if (leaving(owners_[i])) continue;
      positions_[out] = positions_[i];
      owners_[out] = owners_[i];
      ++out;
    }
    positions_.resize(out);
    owners_.resize(out);
    rebuild_index();
  }

  // Recomputes the bucket table for the current points and appends the
  // wrap-around owner (owners_[size] = owners_[0]).
  void rebuild_index() {
    const std::size_t n = positions_.size();
    if (n >= std::numeric_limits<std::uint32_t>::max())
      throw Error("ring: too many points (" + std::to_string(n) + ")");
    // k = ceil(log2 n), at least 1: 2^k >= n buckets, 2^k < 2n.
    const int bits =
        std::clamp(static_cast<int>(std::bit_width(std::max<std::size_t>(n, 2) - 1)), 1, kMaxBits);
    shift_ = 64 - bits;
    const std::size_t buckets = std::size_t{1} << bits;
    // first_[b] = number of points in buckets below b: a histogram shifted by
    // one, then its prefix sums (branch-free, unlike a merge-like walk).
    first_.assign(buckets + 1, 0);
    for (std::uint64_t pos : positions_) ++first_[static_cast<std::size_t>(pos >> shift_) + 1];
    for (std::size_t b = 1; b <= buckets; ++b) first_[b] += first_[b - 1];
    owners_.push_back(n > 0 ? owners_[0] : kNoOwner);
  }

  std::int64_t vnodes_;
  ActiveNodes members_{"ring"};
  std::vector<std::uint64_t> positions_;  // sorted by (position, owner)
  // owners_[i] owns the arc ending at positions_[i]; one extra entry at the
  // end repeats owners_[0] for keys past the last point.
  std::vector<NodeId> owners_{kNoOwner};
  std::vector<std::uint32_t> first_{0, 0, 0};  // bucket table, 2^k + 1 entries
  int shift_ = 63;                             // 64 - k
};

}  // namespace

std::unique_ptr<Placement> make_ring(StrategyParams& p) {
  return std::make_unique<RingPlacement>(p.get_int("vnodes", 160, 1, 1 << 20));
}

}  // namespace ringsim
