// The ring's nodes: which are active, their weights, and which MPI rank hosts
// each. A rank can host several logical nodes, so a workstation can simulate a
// larger cluster and a run's placement results do not depend on the rank
// count. How nodes are laid on ranks (the NodeMapping) decides only which
// moves cross ranks (bytes_exchanged), never which node a key belongs to.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "placement.hpp"

namespace ringsim {

// How logical nodes are laid on ranks. Every mapping is balanced: each rank
// hosts floor(nodes / ranks) or ceil(nodes / ranks) nodes.
enum class NodeMapping {
  // A permutation of the nodes drawn from the seed (Fisher-Yates driven by
  // splitmix64, portable and identical on every rank and machine); the node
  // at permuted position i lives on rank i mod ranks. Node ids carry no
  // locality, as on a real cluster, so the moves of modulo and its kin cross
  // ranks even when the node count is a multiple of the rank count.
  kRandom,
  // Contiguous ranges: node n lives on rank n * ranks / nodes.
  kBlock,
  // Node n lives on rank n mod ranks. With nodes a multiple of ranks every
  // move of modulo between such node counts stays on its rank.
  kCyclic,
};

// "random", "block" or "cyclic"; anything else throws Error naming the value.
NodeMapping parse_mapping(std::string_view name);
const char* to_string(NodeMapping m);

class Membership {
 public:
  // Cyclic mapping (node n on rank n mod ranks).
  Membership(std::uint32_t nodes, int ranks, std::vector<double> weights);
  // `seed` matters only for kRandom; the same (nodes, ranks, seed) gives the
  // same layout in every call, on every rank.
  Membership(std::uint32_t nodes, int ranks, std::vector<double> weights, NodeMapping mapping,
             std::uint64_t seed);

  std::uint32_t nodes() const { return static_cast<std::uint32_t>(active_.size()); }
  int ranks() const { return ranks_; }
  NodeMapping mapping() const { return mapping_; }
  // O(1): a table of 4 bytes per node. n < nodes().
  int rank_of(NodeId n) const { return rank_[n]; }
  // The nodes rank r hosts, active or not, ascending (one pass over the table).
  std::vector<NodeId> nodes_of_rank(int r) const;
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
  NodeMapping mapping_;
  std::vector<double> weights_;
  std::vector<char> active_;
  std::vector<std::int32_t> rank_;  // rank_[n]: the rank hosting node n
  std::uint32_t active_count_ = 0;
};

}  // namespace ringsim
