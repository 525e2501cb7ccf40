// Shared checks for the tests of individual placement strategies (anchor, dx,
// memento, powerch, fliphash, jumpback, binomial).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
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

inline std::unique_ptr<Placement> build(const std::string& name, std::uint32_t n,
                                        std::uint32_t max_nodes, const Params& values = {}) {
  auto p = make_placement(params(name, values));
  p->init(node_range(n), max_nodes);
  return p;
}

inline std::uint64_t key_hash(std::uint64_t i) { return hash_u64(i, 0x5eedULL); }

inline std::vector<NodeId> owners(const Placement& p, std::uint64_t keys) {
  std::vector<NodeId> out(keys);
  for (std::uint64_t i = 0; i < keys; ++i) out[i] = p.lookup(key_hash(i));
  return out;
}

// Largest node load over the mean load, for nodes 0..n-1 all active.
inline double peak_to_mean(const Placement& p, std::uint32_t n, std::uint64_t keys) {
  std::vector<std::uint64_t> load(n, 0);
  for (std::uint64_t i = 0; i < keys; ++i) {
    const NodeId o = p.lookup(key_hash(i));
    EXPECT_LT(o, n);
    if (o < n) ++load[o];
  }
  const auto peak = *std::max_element(load.begin(), load.end());
  const double ratio = static_cast<double>(peak) * n / static_cast<double>(keys);
  std::printf("[ balance  ] %u nodes, %llu keys: peak/mean %.4f\n", n,
              static_cast<unsigned long long>(keys), ratio);
  return ratio;
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
