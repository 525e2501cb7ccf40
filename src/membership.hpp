// The ring's nodes: which are active, their weights, and which MPI rank hosts
// each. A rank can host several logical nodes (node n lives on rank n mod P),
// so a workstation can simulate a larger cluster and a run's placement results
// do not depend on the rank count.
#pragma once

#include <cstdint>
#include <vector>

#include "placement.hpp"

namespace ringsim {

class Membership {
 public:
  Membership(std::uint32_t nodes, int ranks, std::vector<double> weights);

  std::uint32_t nodes() const { return static_cast<std::uint32_t>(active_.size()); }
  int ranks() const { return ranks_; }
  int rank_of(NodeId n) const { return static_cast<int>(n % static_cast<std::uint32_t>(ranks_)); }
  bool active(NodeId n) const { return active_[n] != 0; }
  double weight(NodeId n) const { return weights_[n]; }
  NodeSpec spec(NodeId n) const { return {n, weights_[n]}; }
  std::uint32_t active_count() const { return active_count_; }
  double active_weight() const;
  std::vector<NodeId> active_nodes() const;    // ascending
  std::vector<NodeId> inactive_nodes() const;  // ascending
  std::vector<NodeSpec> active_specs() const;

  void activate(NodeId n);
  void deactivate(NodeId n);

 private:
  int ranks_;
  std::vector<double> weights_;
  std::vector<char> active_;
  std::uint32_t active_count_ = 0;
};

}  // namespace ringsim
