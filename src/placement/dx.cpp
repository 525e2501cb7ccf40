// dx: DxHash (Dong, Wang, "DxHash: A Scalable Consistent Hashing Based on the
// Pseudo-Random Sequence", arXiv:2107.07930), the unweighted algorithm of the
// paper's Section "DxHash": the cluster is an array of `capacity` slots with
// an active flag each (the paper's NSArray, a bit array here); a key seeds a
// pseudo-random sequence of slot indices and belongs to the first active slot
// in it. Activating a slot only takes the keys whose sequence reaches it
// before their current slot, and deactivating one only moves its own keys
// further along their sequences, so both changes are minimal and arbitrary
// slots may leave. The result depends only on which slots are active, not on
// the order of changes (the paper's "statelessness for removals").
//
// Choices of this implementation:
//  - The array size is `capacity` rounded up to a power of two (the paper uses
//    a power of two so that a random word is reduced to an index by masking).
//    capacity = 0 means cluster.nodes.
//  - The slot of a node is its id: every id is below cluster.nodes <=
//    capacity, so a joining node's slot is always free, and a node that leaves
//    and returns gets its own slot back (where the paper keeps a queue of
//    inactive slots to pick from).
//  - The sequence is splitmix64 seeded by the key hash (mix64 of an increment
//    of the state). After 8 * size probes without an active slot (probability
//    below e^-8 per key even with a single active slot), the key takes the
//    next active slot after the last probe in index order; that fallback keeps
//    both changes minimal.
// Node weights are ignored (the unweighted variant).
#include <algorithm>
#include <bit>
#include <string>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // splitmix64 increment

class DxPlacement final : public PlacementBase<DxPlacement> {
 public:
  explicit DxPlacement(std::uint32_t capacity) : capacity_param_(capacity) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    const std::uint32_t capacity = capacity_param_ == 0 ? max_nodes : capacity_param_;
    if (capacity < max_nodes)
      throw Error("strategy 'dx': capacity (" + std::to_string(capacity) +
                  ") must be >= cluster.nodes (" + std::to_string(max_nodes) + ")");
    size_ = std::bit_ceil(std::max<std::uint32_t>(capacity, 1));
    mask_ = size_ - 1;
    probe_limit_ = std::uint64_t{8} * size_;
    max_nodes_ = max_nodes;
    active_.assign((size_ + 63) / 64, 0);
    active_count_ = 0;
    for (const auto& n : nodes) add_node(n);
  }

  NodeId lookup(std::uint64_t key_hash) const override {
    std::uint64_t state = key_hash;
    std::uint64_t slot = 0;
    for (std::uint64_t i = 0; i < probe_limit_; ++i) {
      state += kGolden;
      slot = mix64(state) & mask_;
      if (is_active(slot)) return static_cast<NodeId>(slot);
    }
    return next_active(slot);
  }

  void add_node(const NodeSpec& node) override {
    if (node.id >= max_nodes_)
      throw Error("strategy 'dx': node " + std::to_string(node.id) + " is outside cluster.nodes (" +
                  std::to_string(max_nodes_) + ")");
    if (is_active(node.id))
      throw Error("strategy 'dx': node " + std::to_string(node.id) + " is already active");
    active_[node.id / 64] |= std::uint64_t{1} << (node.id % 64);
    ++active_count_;
  }

  void remove_node(NodeId node) override {
    if (node >= max_nodes_ || !is_active(node))
      throw Error("strategy 'dx': node " + std::to_string(node) + " is not active");
    if (active_count_ == 1)
      throw Error("strategy 'dx': cannot remove the last active node (node " +
                  std::to_string(node) + ")");
    active_[node / 64] &= ~(std::uint64_t{1} << (node % 64));
    --active_count_;
  }

  std::size_t state_bytes() const override { return active_.size() * sizeof(std::uint64_t); }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = true};
  }

 private:
  bool is_active(std::uint64_t slot) const { return (active_[slot / 64] >> (slot % 64)) & 1; }

  // The first active slot at or after `slot`, wrapping around.
  NodeId next_active(std::uint64_t slot) const {
    for (std::uint64_t i = 0; i < size_; ++i) {
      const std::uint64_t s = (slot + i) & mask_;
      if (is_active(s)) return static_cast<NodeId>(s);
    }
    return 0;  // no active slot: only reachable with an empty cluster
  }

  std::uint32_t capacity_param_;  // 0: use max_nodes
  std::uint64_t size_ = 0;        // number of slots, a power of two
  std::uint64_t mask_ = 0;
  std::uint64_t probe_limit_ = 0;
  std::uint32_t max_nodes_ = 0;
  std::uint32_t active_count_ = 0;
  std::vector<std::uint64_t> active_;  // bit s set: slot (node) s is active
};

}  // namespace

std::unique_ptr<Placement> make_dx(StrategyParams& p) {
  return std::make_unique<DxPlacement>(
      static_cast<std::uint32_t>(p.get_int("capacity", 0, 0, std::int64_t{1} << 26)));
}

}  // namespace ringsim
