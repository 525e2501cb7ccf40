#include "engine/membership.hpp"

#include <cstdint>
#include <numeric>
#include <string>
#include <utility>

#include "error.hpp"
#include "hash.hpp"

namespace ringsim {

namespace {

// splitmix64: a 64-bit counter passed through mix64. Fully specified here, so
// the permutation is the same with every compiler and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  // Uniform in [0, bound), bound >= 1, without modulo bias: draws at or above
  // the largest multiple of bound that fits in 64 bits are redrawn.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % bound;
  }

 private:
  std::uint64_t state_;
};

// Keeps the layout's random stream apart from the key streams that use the
// same experiment seed.
constexpr std::uint64_t kMappingStream = 0x6e6f64652d72616eULL;  // "node-ran"

std::vector<std::int32_t> layout(std::uint32_t nodes, int ranks, NodeMapping mapping,
                                 std::uint64_t seed) {
  std::vector<std::int32_t> rank(nodes);
  const auto p = static_cast<std::uint64_t>(ranks);
  switch (mapping) {
    case NodeMapping::kCyclic:
      for (std::uint32_t n = 0; n < nodes; ++n) rank[n] = static_cast<std::int32_t>(n % p);
      break;
    case NodeMapping::kBlock:
      for (std::uint32_t n = 0; n < nodes; ++n)
        rank[n] = static_cast<std::int32_t>(std::uint64_t{n} * p / nodes);
      break;
    case NodeMapping::kRandom: {
      std::vector<NodeId> perm(nodes);
      std::iota(perm.begin(), perm.end(), NodeId{0});
      SplitMix64 rng(mix64(seed ^ kMappingStream));
      for (std::uint32_t i = nodes; i > 1; --i) {
        const auto j = static_cast<std::uint32_t>(rng.below(i));
        std::swap(perm[i - 1], perm[j]);
      }
      for (std::uint32_t i = 0; i < nodes; ++i) rank[perm[i]] = static_cast<std::int32_t>(i % p);
      break;
    }
  }
  return rank;
}

}  // namespace

NodeMapping parse_mapping(std::string_view name) {
  if (name == "random") return NodeMapping::kRandom;
  if (name == "block") return NodeMapping::kBlock;
  if (name == "cyclic") return NodeMapping::kCyclic;
  throw Error("unknown node mapping '" + std::string(name) +
              "' (expected random, block or cyclic)");
}

const char* to_string(NodeMapping m) {
  switch (m) {
    case NodeMapping::kRandom:
      return "random";
    case NodeMapping::kBlock:
      return "block";
    case NodeMapping::kCyclic:
      return "cyclic";
  }
  return "unknown";
}

Membership::Membership(std::uint32_t nodes, int ranks, std::vector<double> weights)
    : Membership(nodes, ranks, std::move(weights), NodeMapping::kCyclic, 0) {}

Membership::Membership(std::uint32_t nodes, int ranks, std::vector<double> weights,
                       NodeMapping mapping, std::uint64_t seed)
    : ranks_(ranks), mapping_(mapping), weights_(std::move(weights)), active_(nodes, 0) {
  if (ranks < 1) throw Error("membership needs at least one rank, got " + std::to_string(ranks));
  weights_.resize(nodes, 1.0);
  rank_ = layout(nodes, ranks, mapping, seed);
}

std::vector<NodeId> Membership::nodes_of_rank(int r) const {
  std::vector<NodeId> out;
  for (std::uint32_t n = 0; n < nodes(); ++n)
    if (rank_[n] == r) out.push_back(n);
  return out;
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
