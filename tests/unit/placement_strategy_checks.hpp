// Shared helpers and checks for the tests of individual placement strategies.
// Key hashes take a seed so that each test keeps the keys its bounds were
// measured with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "hash.hpp"
#include "registry.hpp"

namespace ringsim::checks {

using Params = std::map<std::string, StrategyParams::Value>;

inline StrategyParams params(const std::string& name, const Params& values = {}) {
  StrategyParams p(name);
  for (const auto& [k, v] : values) p.set(k, v);
  return p;
}

inline std::vector<NodeSpec> node_range(std::uint32_t n) {
  std::vector<NodeSpec> out;
  for (NodeId i = 0; i < n; ++i) out.push_back({i, 1.0});
  return out;
}

inline std::unique_ptr<Placement> build(const std::string& name, const std::vector<NodeSpec>& specs,
                                        std::uint32_t max_nodes, const Params& values = {}) {
  auto p = make_placement(params(name, values));
  p->init(specs, max_nodes);
  return p;
}

inline std::unique_ptr<Placement> build(const std::string& name, std::uint32_t n,
                                        std::uint32_t max_nodes, const Params& values = {}) {
  return build(name, node_range(n), max_nodes, values);
}

// Nodes 0..n-1 where the odd ids weigh 2 and the even ones 1.
inline std::vector<NodeSpec> alternating_weights(std::uint32_t n) {
  std::vector<NodeSpec> out;
  for (NodeId i = 0; i < n; ++i) out.push_back({i, i % 2 ? 2.0 : 1.0});
  return out;
}

inline constexpr std::uint64_t kKeySeed = 0x5eedULL;

inline std::uint64_t key_hash(std::uint64_t i, std::uint64_t seed = kKeySeed) {
  return hash_u64(i, seed);
}

inline std::vector<NodeId> owners(const Placement& p, std::uint64_t keys,
                                  std::uint64_t seed = kKeySeed) {
  std::vector<NodeId> out(keys);
  for (std::uint64_t i = 0; i < keys; ++i) out[i] = p.lookup(key_hash(i, seed));
  return out;
}

// Keys per node id 0..ids-1; a key on an id >= ids fails the test.
inline std::vector<std::uint64_t> load_counts(const Placement& p, std::uint32_t ids,
                                              std::uint64_t keys, std::uint64_t seed = kKeySeed) {
  std::vector<std::uint64_t> load(ids, 0);
  for (std::uint64_t i = 0; i < keys; ++i) {
    const NodeId o = p.lookup(key_hash(i, seed));
    EXPECT_LT(o, ids);
    if (o < ids) ++load[o];
  }
  return load;
}

// Largest count over the mean count of `active` nodes sharing `keys` keys.
inline double peak_over_mean(const std::vector<std::uint64_t>& load, std::uint32_t active,
                             std::uint64_t keys) {
  return static_cast<double>(*std::max_element(load.begin(), load.end())) * active /
         static_cast<double>(keys);
}

// Largest node load over the mean load, for nodes 0..n-1 all active.
inline double peak_to_mean(const Placement& p, std::uint32_t n, std::uint64_t keys,
                           std::uint64_t seed = kKeySeed) {
  const double ratio = peak_over_mean(load_counts(p, n, keys, seed), n, keys);
  std::printf("[ balance  ] %u nodes, %llu keys: peak/mean %.4f\n", n,
              static_cast<unsigned long long>(keys), ratio);
  return ratio;
}

// With nodes 0..n-1 weighted as alternating_weights(n), every heavy (odd) node
// must get between 1.8 and 2.2 times the mean count of the light (even) ones.
inline void expect_heavy_nodes_get_twice(const Placement& p, std::uint32_t n, std::uint64_t keys,
                                         std::uint64_t seed) {
  const auto c = load_counts(p, n, keys, seed);
  double light = 0;
  for (NodeId i = 0; i < n; i += 2) light += static_cast<double>(c[i]) / ((n + 1) / 2);
  for (NodeId i = 1; i < n; i += 2) {
    const double ratio = static_cast<double>(c[i]) / light;
    EXPECT_GE(ratio, 1.8) << "node " << i << " of " << n;
    EXPECT_LE(ratio, 2.2) << "node " << i << " of " << n;
  }
}

inline void expect_traits(const Placement& p, bool weighted, Removal removal,
                          bool minimal_disruption) {
  const auto t = p.traits();
  EXPECT_EQ(t.weighted, weighted);
  EXPECT_EQ(t.removal, removal);
  EXPECT_EQ(t.minimal_disruption, minimal_disruption);
}

// Runs `f`, which must throw ringsim::Error whose message contains `needle`.
template <class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no ringsim::Error thrown, expected one containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

// Removes `leaving` one by one (checking after each step that only the leaving
// node's keys moved and that none went to a removed node), then re-adds them in
// reverse order and expects every key's original owner back.
inline void remove_then_readd_restores(Placement& p, const std::vector<NodeId>& leaving,
                                       std::uint64_t keys) {
  const auto original = owners(p, keys);
  auto before = original;
  std::vector<NodeId> gone;
  for (NodeId node : leaving) {
    p.remove_node(node);
    gone.push_back(node);
    const auto after = owners(p, keys);
    for (std::size_t i = 0; i < keys; ++i) {
      ASSERT_EQ(std::count(gone.begin(), gone.end(), after[i]), 0)
          << "key " << i << " on removed node " << after[i];
      if (before[i] != node) {
        ASSERT_EQ(after[i], before[i]) << "key " << i << " moved needlessly";
      }
    }
    before = after;
  }
  for (auto it = leaving.rbegin(); it != leaving.rend(); ++it) {
    p.add_node({*it, 1.0});
    const auto after = owners(p, keys);
    for (std::size_t i = 0; i < keys; ++i) {
      if (after[i] != before[i]) {
        ASSERT_EQ(after[i], *it) << "key " << i << " moved elsewhere";
      }
    }
    before = after;
  }
  EXPECT_EQ(owners(p, keys), original);
}

}  // namespace ringsim::checks
