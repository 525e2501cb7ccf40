#include "engine/cluster.hpp"

#include <algorithm>
#include <cmath>

#include "key_counter.hpp"
#include "registry.hpp"

namespace ringsim {

namespace {

// Active weight in fixed point, 2^-60 units: every weight ringsim accepts
// ([kMinWeight, kMaxWeight], so >= 2^-7) is an exact multiple of 2^-60, and
// 2^24 nodes of weight 100 stay below 2^91, so sums are exact and do not
// depend on the order of additions and subtractions.
__extension__ typedef unsigned __int128 WeightSum;

WeightSum fixed_weight(double w) { return static_cast<WeightSum>(std::ldexp(w, 60)); }

double share(WeightSum mine, WeightSum total) {
  return total == 0 ? 0.0 : static_cast<double>(mine) / static_cast<double>(total);
}

// The largest share of rank `rank` from `start` over the timeline: the
// weights of rank's active nodes and of all active nodes, kept as each event
// changes them.
double largest_share_from(const Membership& start, const std::vector<ResolvedEvent>& timeline,
                          int rank) {
  std::vector<char> active(start.nodes(), 0);
  WeightSum mine = 0, total = 0;
  for (NodeId n = 0; n < start.nodes(); ++n) {
    if (!start.active(n)) continue;
    active[n] = 1;
    const WeightSum w = fixed_weight(start.weight(n));
    total += w;
    if (start.rank_of(n) == rank) mine += w;
  }
  double most = share(mine, total);
  for (const auto& ev : timeline) {
    const bool joins = ev.kind == EventKind::kAdd;
    for (NodeId v : ev.nodes) {
      if (active[v] == (joins ? 1 : 0)) continue;  // no change, as in Membership
      active[v] = joins ? 1 : 0;
      const WeightSum w = fixed_weight(start.weight(v));
      const bool here = start.rank_of(v) == rank;
      if (joins) {
        total += w;
        if (here) mine += w;
      } else {
        total -= w;
        if (here) mine -= w;
      }
    }
    most = std::max(most, share(mine, total));
  }
  return most;
}

}  // namespace

Cluster::Cluster(const Experiment& e, const StrategySpec& spec, int ranks)
    : m_(e.nodes, ranks, e.weights, parse_mapping(e.mapping), e.keys.seed),
      p_(make_placement(spec.params)) {
  for (NodeId n = 0; n < e.initial; ++n) m_.activate(n);
  p_->init(m_.active_specs(), e.nodes);
}

double Cluster::apply(const ResolvedEvent& ev) {
  double added = 0;
  if (ev.kind == EventKind::kAdd) {
    std::vector<NodeSpec> joining;
    joining.reserve(ev.nodes.size());
    for (NodeId n : ev.nodes) {
      m_.activate(n);
      joining.push_back(m_.spec(n));
      added += m_.weight(n);
    }
    p_->add_nodes(joining);
  } else {
    for (NodeId n : ev.nodes) m_.deactivate(n);
    p_->remove_nodes(ev.nodes);
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

double largest_share(const Experiment& e, int ranks, int rank) {
  Membership m(e.nodes, ranks, e.weights, parse_mapping(e.mapping), e.keys.seed);
  for (NodeId n = 0; n < e.initial; ++n) m.activate(n);
  return largest_share_from(m, e.timeline, rank);
}

}  // namespace ringsim
