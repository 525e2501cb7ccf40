// maglev: Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, section 3.4 "Consistent
// Hashing", Pseudocode 1). Every node i has a preference list over the M
// entries of a lookup table (M prime, parameter `table_size`):
//   offset = h1(i) mod M,  skip = h2(i) mod (M - 1) + 1,
//   permutation[i][j] = (offset + j * skip) mod M,
// which visits every entry once because M is prime. The nodes take turns, in
// a fixed order, each claiming its most preferred entry that is still empty,
// until the table is full. A key goes to table[hash mod M].
//
// Weights: the paper notes that weighted backends are supported by changing
// the relative frequency of the nodes' turns. Here every round gives node i
// w_i / w_max turns of credit, and it takes one turn per whole unit of
// credit; the heaviest nodes take exactly one turn per round. With equal
// weights this is Pseudocode 1 exactly, and a node's share of the entries is
// proportional to its weight (up to one entry per round of rounding).
//
// The table is rebuilt from scratch on every change, which is the algorithm:
// the order of turns is the ascending node id, so the table depends only on
// the membership. Any node may leave. Maglev's disruption is near-minimal,
// not exact (a change also reshuffles a few entries between staying nodes),
// so minimal_disruption is false. The paper's balance guarantee needs
// M much larger than the number of nodes (it uses M > 100 N).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "placement.hpp"
#include "placement/node_batch.hpp"

namespace ringsim {
namespace {

// Salts of h1 (offset) and h2 (skip), two independent hashes of the node id.
constexpr std::uint64_t kOffsetSeed = 0x6d61676c65766f66ULL;  // "maglevof"
constexpr std::uint64_t kSkipSeed = 0x6d61676c65767370ULL;    // "maglevsp"
constexpr NodeId kEmpty = ~NodeId{0};

class MaglevPlacement final : public PlacementBase<MaglevPlacement> {
 public:
  explicit MaglevPlacement(std::uint64_t table_size) : m_(table_size) {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    if (max_nodes > m_) {
      throw Error(
          "strategy 'maglev': parameter 'table_size' (" + std::to_string(m_) +
          ") must be >= the number of nodes (" + std::to_string(max_nodes) +
          "), so that every node can own an entry; choose a prime >= " + std::to_string(max_nodes));
    }
    members_.clear();
    members_.add(nodes);  // throws on a node listed twice
    ids_.clear();
    weights_.clear();
    for (const auto& n : nodes) insert(n);
    rebuild();
  }

  NodeId lookup(std::uint64_t key_hash) const override { return table_[key_hash % m_]; }

  void add_node(const NodeSpec& node) override {
    if (ids_.size() + 1 > m_) {
      throw Error("maglev: cannot add node " + std::to_string(node.id) + ", table_size " +
                  std::to_string(m_) + " is already full");
    }
    members_.add(node.id);  // throws if already active
    insert(node);
    rebuild();
  }

  void remove_node(NodeId node) override {
    members_.remove(node);  // throws if not active or the last active node
    auto it = std::lower_bound(ids_.begin(), ids_.end(), node);
    const auto i = it - ids_.begin();
    ids_.erase(it);
    weights_.erase(weights_.begin() + i);
    rebuild();
  }

  // A batch: the new nodes merged into the ascending ids in one pass, one
  // table population.
  void add_nodes(std::span<const NodeSpec> nodes) override {
    if (nodes.empty()) return;
    if (ids_.size() + nodes.size() > m_) {
      throw Error("maglev: cannot add " + std::to_string(nodes.size()) + " node(s) to " +
                  std::to_string(ids_.size()) + ", table_size " + std::to_string(m_) +
                  " has room for fewer");
    }
    members_.add(nodes);  // throws before any change
    std::vector<NodeSpec> fresh(nodes.begin(), nodes.end());
    std::sort(fresh.begin(), fresh.end(),
              [](const NodeSpec& a, const NodeSpec& b) { return a.id < b.id; });
    std::vector<NodeId> ids;
    std::vector<double> weights;
    ids.reserve(ids_.size() + fresh.size());
    weights.reserve(ids.capacity());
    std::size_t i = 0;
    for (const NodeSpec& n : fresh) {
      while (i < ids_.size() && ids_[i] < n.id) {
        ids.push_back(ids_[i]);
        weights.push_back(weights_[i++]);
      }
      ids.push_back(n.id);
      weights.push_back(n.weight);
    }
    ids.insert(ids.end(), ids_.begin() + static_cast<std::ptrdiff_t>(i), ids_.end());
    weights.insert(weights.end(), weights_.begin() + static_cast<std::ptrdiff_t>(i),
                   weights_.end());
    ids_ = std::move(ids);
    weights_ = std::move(weights);
    rebuild();
  }

  // A batch: one pass drops every leaving node, one table population.
  void remove_nodes(std::span<const NodeId> nodes) override {
    if (nodes.empty()) return;
    members_.remove(nodes);  // throws before any change
    const NodeBatch leaving(nodes);
    std::size_t out = 0;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      if (leaving.contains(ids_[i])) continue;
      ids_[out] = ids_[i];
      weights_[out] = weights_[i];
      ++out;
    }
    ids_.resize(out);
    weights_.resize(out);
    rebuild();
  }

  std::size_t state_bytes() const override {
    return table_.size() * sizeof(NodeId) + ids_.size() * sizeof(NodeId) +
           weights_.size() * sizeof(double);
  }
  PlacementTraits traits() const override {
    return {.weighted = true, .removal = Removal::kAny, .minimal_disruption = false};
  }

 private:
  // Keeps ids_ ascending, the fixed order of turns (members_ has refused a
  // node already active).
  void insert(const NodeSpec& node) {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), node.id);
    const auto i = it - ids_.begin();
    ids_.insert(it, node.id);
    weights_.insert(weights_.begin() + i, node.weight);
  }

  // Pseudocode 1 of the paper, with turns in proportion to weight. The
  // permutations are not stored: each node keeps its next preferred entry
  // and advances it by its skip.
  void rebuild() {
    table_.assign(m_, kEmpty);
    const std::size_t n = ids_.size();
    if (n == 0) return;
    std::vector<std::uint64_t> next(n);  // permutation[i][next_i], the entry to try
    std::vector<std::uint64_t> skip(n);
    std::vector<double> rate(n);
    std::vector<double> credit(n, 0.0);
    const double w_max = *std::max_element(weights_.begin(), weights_.end());
    for (std::size_t i = 0; i < n; ++i) {
      next[i] = hash_u64(ids_[i], kOffsetSeed) % m_;
      skip[i] = m_ > 1 ? hash_u64(ids_[i], kSkipSeed) % (m_ - 1) + 1 : 1;
      // The heaviest node gets exactly 1: its turns are not left to rounding.
      rate[i] = weights_[i] == w_max ? 1.0 : weights_[i] / w_max;
    }
    std::uint64_t filled = 0;
    while (true) {
      for (std::size_t i = 0; i < n; ++i) {
        credit[i] += rate[i];
        while (credit[i] >= 1.0) {
          credit[i] -= 1.0;
          std::uint64_t c = next[i];
          while (table_[c] != kEmpty) c = advance(c, skip[i]);
          table_[c] = ids_[i];
          next[i] = advance(c, skip[i]);
          if (++filled == m_) return;
        }
      }
    }
  }

  std::uint64_t advance(std::uint64_t c, std::uint64_t skip) const {
    c += skip;
    return c >= m_ ? c - m_ : c;
  }

  std::uint64_t m_;  // table size, prime
  ActiveNodes members_{"maglev"};
  std::vector<NodeId> table_;    // the lookup table, m_ entries
  std::vector<NodeId> ids_;      // active nodes, ascending
  std::vector<double> weights_;  // weights_[i] is the weight of ids_[i]
};

bool is_prime(std::int64_t x) {
  if (x < 2) return false;
  if (x % 2 == 0) return x == 2;
  for (std::int64_t d = 3; d * d <= x; d += 2)
    if (x % d == 0) return false;
  return true;
}

}  // namespace

std::unique_ptr<Placement> make_maglev(StrategyParams& p) {
  const std::int64_t m = p.get_int("table_size", 65537, 2, 2147483647);
  if (!is_prime(m)) {
    throw Error("strategy '" + p.strategy() + "': table_size must be prime, got " +
                std::to_string(m));
  }
  return std::make_unique<MaglevPlacement>(static_cast<std::uint64_t>(m));
}

}  // namespace ringsim
