#include "membership.hpp"

namespace ringsim {

Membership::Membership(std::uint32_t nodes, int ranks, std::vector<double> weights)
    : ranks_(ranks), weights_(std::move(weights)), active_(nodes, 0) {
  weights_.resize(nodes, 1.0);
}

double Membership::active_weight() const {
  double w = 0;
  for (std::uint32_t n = 0; n < nodes(); ++n)
    if (active_[n]) w += weights_[n];
  return w;
}

std::vector<NodeId> Membership::active_nodes() const {
  std::vector<NodeId> out;
  for (std::uint32_t n = 0; n < nodes(); ++n)
    if (active_[n]) out.push_back(n);
  return out;
}

std::vector<NodeId> Membership::inactive_nodes() const {
  std::vector<NodeId> out;
  for (std::uint32_t n = 0; n < nodes(); ++n)
    if (!active_[n]) out.push_back(n);
  return out;
}

std::vector<NodeSpec> Membership::active_specs() const {
  std::vector<NodeSpec> out;
  for (NodeId n : active_nodes()) out.push_back(spec(n));
  return out;
}

void Membership::activate(NodeId n) {
  if (!active_[n]) ++active_count_;
  active_[n] = 1;
}

void Membership::deactivate(NodeId n) {
  if (active_[n]) --active_count_;
  active_[n] = 0;
}

}  // namespace ringsim
