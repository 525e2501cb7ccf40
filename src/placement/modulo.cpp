// modulo: the seed's h(x) mod p. The active nodes are kept in the order they
// joined; a key goes to active[h mod p]. Any change of p remaps almost every
// key, which is the cost the other strategies exist to avoid.
#include <algorithm>

#include "error.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"

namespace ringsim {
namespace {

class ModuloPlacement final : public PlacementBase<ModuloPlacement> {
 public:
  NodeId lookup(std::uint64_t key_hash) const override {
    return active_[key_hash % active_.size()];
  }
  void add_node(const NodeSpec& node) override {
    members_.add(node.id);  // throws if already active
    active_.push_back(node.id);
  }
  void add_nodes(std::span<const NodeSpec> nodes) override {
    members_.add(nodes);  // throws before any change
    for (const auto& n : nodes) active_.push_back(n.id);
  }
  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    active_.erase(std::remove(active_.begin(), active_.end(), node), active_.end());
  }
  // A batch: one order-keeping pass drops every leaving node.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    const NodeBatch leaving(nodes);
    active_.erase(std::remove_if(active_.begin(), active_.end(),
                                 [&leaving](NodeId n) { return leaving.contains(n); }),
                  active_.end());
  }
  std::size_t state_bytes() const override { return active_.size() * sizeof(NodeId); }
  PlacementTraits traits() const override {
    return {.weighted = false, .removal = Removal::kAny, .minimal_disruption = false};
  }

 private:
  ActiveNodes members_{"modulo"};
  std::vector<NodeId> active_;  // in join order
};

}  // namespace

std::unique_ptr<Placement> make_modulo(StrategyParams&) {
  return std::make_unique<ModuloPlacement>();
}

}  // namespace ringsim
