// jumpback, binomial and fliphash:
//  - the bucket for every n from 1 to 1100 and around larger powers of two is
//    the one a plain 64-bit transcription of the authors' reference gives
//    (the known-answer vectors in tests/unit/kat hold only six n; ringsim's
//    versions use 32-bit and branch-free forms of the same steps);
//  - the membership guards of their bucket map in both removal modes, one
//    change at a time and in batches (removing the last active node, removing
//    a node that is not active, adding one that is), and that a rejected
//    single change leaves every owner as it was.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

constexpr std::uint64_t kLow32 = 0xffffffff;

// floor(log2(x)) for x > 0, by shifting.
int log2_floor(std::uint64_t x) {
  int l = -1;
  while (x != 0) {
    x >>= 1;
    ++l;
  }
  return l;
}

std::uint64_t splitmix_finaliser(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// hash4j's getBucket(hash, n) with the SplitMix64 generator, in 64-bit values.
std::uint64_t plain_jumpback(std::uint64_t hash, std::uint64_t n) {
  if (n <= 1) return 0;
  std::uint64_t state = hash + 0x9e3779b97f4a7c15ULL;
  const std::uint64_t r0 = splitmix_finaliser(state);
  const std::uint64_t width_mask = (std::uint64_t{1} << (log2_floor(n - 1) + 1)) - 1;
  std::uint64_t x = ((r0 ^ (r0 >> 32)) & kLow32) & width_mask;
  while (x != 0) {
    const std::uint64_t range_min = std::uint64_t{1} << log2_floor(x);
    int ones = 0;
    for (std::uint64_t y = x; y != 0; y >>= 1) ones += static_cast<int>(y & 1);
    const std::uint64_t half = ones % 2 == 0 ? (r0 & kLow32) : (r0 >> 32);
    std::uint64_t b = range_min + (half & (range_min - 1));
    if (b < n) return b;
    const std::uint64_t range_mask = 2 * range_min - 1;
    for (bool done = false; !done;) {
      state += 0x9e3779b97f4a7c15ULL;
      const std::uint64_t r1 = splitmix_finaliser(state);
      for (const std::uint64_t candidate : {r1 & kLow32, r1 >> 32}) {
        b = candidate & range_mask;
        if (b < range_min) {
          done = true;
          break;
        }
        if (b < n) return b;
      }
    }
    x -= range_min;
  }
  return 0;
}

// The SUPSI BinomialEngine's getBucket for a key whose hash is `hash`.
std::uint64_t binomial_rehash(std::uint64_t value, std::uint64_t seed) {
  const std::uint64_t h = 2862933555777941757ULL * value + 1;
  return (h * h * seed) >> 32;
}
std::uint64_t binomial_relocate(std::uint64_t bucket, std::uint64_t hash) {
  if (bucket < 2) return bucket;
  const std::uint64_t base = std::uint64_t{1} << log2_floor(bucket);
  return base + (binomial_rehash(hash, base - 1) & (base - 1));
}
std::uint64_t plain_binomial(std::uint64_t hash, std::uint64_t n) {
  if (n < 2) return 0;
  std::uint64_t capacity = 1;
  while (capacity < n) capacity *= 2;
  const std::uint64_t enclosing = capacity - 1;
  const std::uint64_t minor = enclosing / 2;
  std::uint64_t bucket = binomial_relocate(hash & enclosing, hash);
  if (bucket < n) return bucket;
  std::uint64_t h = hash;
  for (int i = 0; i < 4; ++i) {
    h = binomial_rehash(h, enclosing);
    bucket = binomial_relocate(h & enclosing, h);
    if (bucket <= minor) break;
    if (bucket < n) return bucket;
  }
  return binomial_relocate(hash & minor, hash);
}

// DataDog's fliphash_64(key, ..=n-1) (seed 0).
std::uint64_t flip_hash(std::uint64_t key, std::uint64_t bit_len, std::uint64_t iteration) {
  std::uint64_t k = key * (bit_len * 2 + 1);
  k = (k ^ (k >> 27)) * 0x3c79ac492ba7b653ULL;
  k = k * (iteration * 2 + 1);
  k = (k ^ (k >> 33)) * 0x1c69b3f74ac4ae35ULL;
  return k ^ (k >> 27);
}
std::uint64_t flip_pow2(std::uint64_t key, std::uint64_t hash, std::uint64_t pow2_mask) {
  const std::uint64_t masked = hash & pow2_mask;
  if (masked == 0) return 0;
  const int top = log2_floor(masked);
  return masked ^
         (flip_hash(key, static_cast<std::uint64_t>(top), 0) & ((std::uint64_t{1} << top) - 1));
}
std::uint64_t plain_fliphash(std::uint64_t key, std::uint64_t n) {
  const std::uint64_t end = n - 1;
  if (end == 0) return 0;
  const int end_log2 = log2_floor(end);
  const std::uint64_t pow2_mask = (std::uint64_t{2} << end_log2) - 1;
  const std::uint64_t hash = flip_hash(key, 0, 0);
  const std::uint64_t first = flip_pow2(key, hash, pow2_mask);
  if (first <= end) return first;
  for (std::uint64_t i = 1; i <= 64; ++i) {
    const std::uint64_t draw = flip_hash(key, static_cast<std::uint64_t>(end_log2), i) & pow2_mask;
    if (draw <= pow2_mask / 2) break;
    if (draw <= end) return draw;
  }
  return flip_pow2(key, hash, pow2_mask / 2);
}

using PlainBucket = std::uint64_t (*)(std::uint64_t, std::uint64_t);

PlainBucket plain(const std::string& name) {
  if (name == "jumpback") return plain_jumpback;
  if (name == "binomial") return plain_binomial;
  return plain_fliphash;
}

// Node i is bucket i after adding nodes 0, 1, ... in order.
void expect_plain_buckets(const std::string& name, const Placement& p, std::uint64_t n,
                          std::uint64_t keys) {
  const PlainBucket bucket = plain(name);
  for (std::uint64_t i = 0; i < keys; ++i) {
    const std::uint64_t k = key_hash(i, n);
    ASSERT_EQ(p.lookup(k), bucket(k, n)) << name << " n=" << n << " key hash " << k;
  }
}

class LifoReference : public ::testing::TestWithParam<std::string> {};

TEST_P(LifoReference, EveryNUpTo1100MatchesThePlainReference) {
  auto p = build(GetParam(), 1, 1100);
  for (NodeId n = 1; n <= 1100; ++n) {
    if (n > 1) p->add_node({n - 1, 1.0});
    expect_plain_buckets(GetParam(), *p, n, 300);
  }
}

TEST_P(LifoReference, AroundLargerPowersOfTwo) {
  for (std::uint32_t n : {65535u, 65536u, 65537u, 100000u, 131071u, 131072u, 131073u}) {
    auto p = build(GetParam(), n, n);
    expect_plain_buckets(GetParam(), *p, n, 5000);
  }
}

INSTANTIATE_TEST_SUITE_P(Strategies, LifoReference,
                         ::testing::Values("jumpback", "binomial", "fliphash"),
                         [](const auto& param_info) { return param_info.param; });

// (strategy, removal mode)
class LifoGuards : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  std::unique_ptr<Placement> make(std::uint32_t n, std::uint32_t max_nodes) const {
    return build(std::get<0>(GetParam()), n, max_nodes, {{"removal", std::get<1>(GetParam())}});
  }
};

TEST_P(LifoGuards, RefusesToRemoveTheLastActiveNode) {
  auto p = make(1, 8);
  expect_error([&] { p->remove_node(0); }, "cannot remove the last active node");
  const std::vector<NodeId> only{0};
  expect_error([&] { p->remove_nodes(only); }, "cannot remove the last active node");
  auto q = make(3, 8);
  const std::vector<NodeId> all{2, 1, 0};
  expect_error([&] { q->remove_nodes(all); }, "cannot remove the last active node");
}

TEST_P(LifoGuards, RefusesToRemoveAnInactiveNode) {
  auto p = make(5, 8);
  expect_error([&] { p->remove_node(6); }, "node 6 is not active");
  expect_error([&] { p->remove_node(100); }, "node 100 is not active");
  const std::vector<NodeId> batch{4, 6};
  expect_error([&] { make(5, 8)->remove_nodes(batch); }, "node 6 is not active");
  const std::vector<NodeId> twice{4, 4};
  expect_error([&] { make(5, 8)->remove_nodes(twice); }, "node 4 is not active");
  p->remove_node(4);
  expect_error([&] { p->remove_node(4); }, "node 4 is not active");
}

TEST_P(LifoGuards, RefusesToAddAnActiveNode) {
  auto p = make(5, 8);
  expect_error([&] { p->add_node({2, 1.0}); }, "node 2 is already active");
  const std::vector<NodeSpec> batch{{5, 1.0}, {0, 1.0}};
  expect_error([&] { make(5, 8)->add_nodes(batch); }, "node 0 is already active");
  const std::vector<NodeSpec> twice{{6, 1.0}, {6, 1.0}};
  expect_error([&] { make(5, 8)->add_nodes(twice); }, "node 6 is already active");
  expect_error([&] { p->add_node({8, 1.0}); }, "outside cluster.nodes (8)");
}

TEST_P(LifoGuards, ARejectedChangeLeavesTheOwners) {
  auto p = make(6, 8);
  const auto before = owners(*p, 20000);
  EXPECT_THROW(p->add_node({3, 1.0}), Error);
  EXPECT_THROW(p->remove_node(7), Error);
  EXPECT_EQ(owners(*p, 20000), before);
  auto single = make(1, 8);
  const auto alone = owners(*single, 1000);
  EXPECT_THROW(single->remove_node(0), Error);
  EXPECT_EQ(owners(*single, 1000), alone);
  for (NodeId o : alone) ASSERT_EQ(o, 0u);
}

INSTANTIATE_TEST_SUITE_P(Strategies, LifoGuards,
                         ::testing::Combine(::testing::Values("jumpback", "binomial", "fliphash"),
                                            ::testing::Values("lifo", "swap")),
                         [](const auto& param_info) {
                           return std::get<0>(param_info.param) + "_" +
                                  std::get<1>(param_info.param);
                         });

}  // namespace
}  // namespace ringsim
