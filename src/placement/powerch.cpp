// powerch: power consistent hashing (Eric Leu, "Fast Consistent Hashing in
// Constant Time", arXiv:2307.12448), the algorithm of the paper's Section on
// power consistent hashing: with m the smallest power of two >= n,
//   f(k, m): consistent hash onto [0, m) for power-of-two ranges: the highest
//            set bit h of the key's low log2(m) bits picks the range [h, 2h)
//            and an independent hash of (k, h) the position inside it;
//   g(k, n, s): the jump-hash walk started at s (next = floor((c + 1) / u),
//            u uniform in (0, 1]), returning its last position below n;
//   bucket = f(k, m) if that is < n, else g(k, n, m/2 - 1) if that is
//            >= m/2, else f(k, m/2).
// Every step is consistent in n, each bucket gets 1/n of the keys, and the
// expected work is constant (g starts at m/2 - 1 >= (n - 1)/2, so its walk
// below n is O(1) steps in expectation).
//
// The uniform u of g comes from splitmix64 seeded by the key hash (mix64 of
// an incremented state); the in-range hash of f is hash_pair(key, h). Buckets
// map to nodes through BucketMap (bucket_map.hpp): removal=lifo (default,
// minimal) or swap (any node, not minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kRangeSeed = 0x706f7765726368ULL;  // "powerch"
constexpr std::uint64_t kWalkSeed = 0x706f7765726a6dULL;   // "powerjm"
constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;   // splitmix64 increment

// f(k, m) with mask = m - 1.
std::uint64_t power_of_two_bucket(std::uint64_t key, std::uint64_t mask) {
  const std::uint64_t low = key & mask;
  if (low == 0) return 0;
  const std::uint64_t h = std::bit_floor(low);
  return h + (hash_pair(key, h, kRangeSeed) & (h - 1));
}

// g(k, n, s).
std::uint64_t jump_walk(std::uint64_t key, std::uint64_t n, std::uint64_t s) {
  std::uint64_t state = key ^ kWalkSeed;
  std::uint64_t c = s;
  for (;;) {
    state += kGolden;
    const double u = static_cast<double>((mix64(state) >> 11) + 1) * 0x1p-53;  // (0, 1]
    const double next = static_cast<double>(c + 1) / u;
    if (next >= static_cast<double>(n)) return c;
    c = static_cast<std::uint64_t>(next);
  }
}

std::uint32_t powerch_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  const std::uint64_t m = std::bit_ceil(std::uint64_t{n});
  const std::uint64_t r1 = power_of_two_bucket(key, m - 1);
  if (r1 < n) return static_cast<std::uint32_t>(r1);
  const std::uint64_t half = m / 2;
  const std::uint64_t r2 = jump_walk(key, n, half - 1);
  if (r2 >= half) return static_cast<std::uint32_t>(r2);
  return static_cast<std::uint32_t>(power_of_two_bucket(key, half - 1));
}

}  // namespace

std::unique_ptr<Placement> make_powerch(StrategyParams& p) {
  return std::make_unique<BucketPlacement<powerch_bucket>>(p, "powerch");
}

}  // namespace ringsim
