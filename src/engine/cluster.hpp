// The cluster: the membership (active nodes, weights, which rank hosts each
// node) and the strategy that places keys on it, changed together one event
// at a time.
#pragma once

#include <mpi.h>

#include <memory>
#include <vector>

#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "experiment.hpp"
#include "placement.hpp"

namespace ringsim {

class Cluster {
 public:
  // The first e.initial nodes active; nodes laid on ranks by e.mapping from
  // the run's seed (the same layout for every strategy and repetition).
  Cluster(const Experiment& e, const StrategySpec& spec, int ranks);

  const Membership& membership() const { return m_; }
  const Placement& placement() const { return *p_; }
  bool load_aware() const { return p_->traits().load_aware; }

  // Applies the event to the membership and the strategy, with one batched
  // add_nodes / remove_nodes call for all of its nodes (in the event's
  // order: leaving nodes come most recently joined first); returns the
  // weight added (0 for removals and failures).
  double apply(const ResolvedEvent& ev);

  // Load-aware strategies place keys from global key counts: collective.
  void rebalance(std::vector<std::uint64_t> local_hashes, MPI_Comm comm);
  void rebalance(const Shard& shard, const KeySpace& keys, MPI_Comm comm);

 private:
  Membership m_;
  std::unique_ptr<Placement> p_;
};

// The largest share (by weight) of all records that rank `rank`'s nodes hold
// at any point of e.timeline, with e's initial membership and node layout on
// `ranks` ranks (the layout Cluster uses). O(nodes + nodes changed over the
// timeline): the per-rank and total active weights are kept as events change
// them, summed exactly (in fixed point), so the value does not depend on the
// order of the additions.
double largest_share(const Experiment& e, int ranks, int rank);

}  // namespace ringsim
