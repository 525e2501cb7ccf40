#include "engine/cluster.hpp"

#include <algorithm>

#include "key_counter.hpp"
#include "registry.hpp"

namespace ringsim {

Cluster::Cluster(const Experiment& e, const StrategySpec& spec, int ranks)
    : m_(e.nodes, ranks, e.weights, parse_mapping(e.mapping), e.keys.seed),
      p_(make_placement(spec.params)) {
  for (NodeId n = 0; n < e.initial; ++n) m_.activate(n);
  p_->init(m_.active_specs(), e.nodes);
}

double Cluster::apply(const ResolvedEvent& ev) {
  double added = 0;
  for (NodeId n : ev.nodes) {
    if (ev.kind == EventKind::kAdd) {
      m_.activate(n);
      p_->add_node(m_.spec(n));
      added += m_.weight(n);
    } else {
      m_.deactivate(n);
      p_->remove_node(n);
    }
  }
  return added;
}

void Cluster::rebalance(std::vector<std::uint64_t> local_hashes, MPI_Comm comm) {
  if (!load_aware()) return;
  p_->rebalance(MpiHashCounter(std::move(local_hashes), comm));
}

void Cluster::rebalance(const Shard& shard, const KeySpace& keys, MPI_Comm comm) {
  if (!load_aware()) return;
  std::vector<std::uint64_t> hashes(shard.size());
  for (std::size_t i = 0; i < shard.size(); ++i) hashes[i] = keys.key_hash(shard.keys[i]);
  rebalance(std::move(hashes), comm);
}

double Cluster::largest_share(const std::vector<ResolvedEvent>& timeline, int rank) const {
  Membership future = m_;
  auto my_share = [&] {
    double mine = 0;
    for (NodeId v : future.active_nodes())
      if (future.rank_of(v) == rank) mine += future.weight(v);
    return mine / future.active_weight();
  };
  double most = my_share();
  for (const auto& ev : timeline) {
    for (NodeId v : ev.nodes) {
      if (ev.kind == EventKind::kAdd)
        future.activate(v);
      else
        future.deactivate(v);
    }
    most = std::max(most, my_share());
  }
  return most;
}

}  // namespace ringsim
