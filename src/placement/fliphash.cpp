// fliphash: FlipHash (Masson, Lee, "FlipHash: A Constant-Time Consistent Range-
// Hashing Algorithm", arXiv:2402.17549), as the authors' reference
// implementation computes it (DataDog's fliphash_64 with seed 0): the same
// bucket for every key hash and n. The paper's two steps:
//  - power-of-two range [0, 2^r): keep the low r bits of the key's first hash;
//    if they are not 0, keep their highest set bit b and "flip" the bits below
//    it with the key's hash for bit length b: the result is uniform on
//    [0, 2^r) and consistent as r grows (a key moves only when bit r of its
//    hash is set, and then into the new half);
//  - general n with 2^(r-1) < n <= 2^r: take the power-of-two result on 2^r if
//    it is below n; otherwise draw the key's hashes for bit length r-1 and
//    iteration i = 1, 2, ... on [0, 2^r): a draw below 2^(r-1) sends the key to
//    the power-of-two result on 2^(r-1), a draw in [2^(r-1), n) is the bucket,
//    any other draws again. After 64 draws (probability < 2^-64 of reaching
//    it) the key falls back to the 2^(r-1) result.
// Constant expected time, uniform and consistent in n.
//
// Every hash, the first included, is the reference's moremur-style mixer of
// (key, bit length, iteration): two odd multipliers 2*bit_length+1 and
// 2*iteration+1 between xor-shift-multiply rounds. The key hash goes in
// unchanged. Buckets map to nodes through BucketMap (bucket_map.hpp):
// removal=lifo (default, minimal) or swap (any node, not minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"

namespace ringsim {
namespace {

constexpr int kMaxDraws = 64;

// The key's hash for (bit length, iteration).
inline std::uint64_t flip_mix(std::uint64_t key, std::uint64_t bit_length,
                              std::uint64_t iteration) {
  std::uint64_t k = key * (2 * bit_length + 1);
  k = (k ^ (k >> 27)) * 0x3c79ac492ba7b653ULL;
  k *= 2 * iteration + 1;
  k = (k ^ (k >> 33)) * 0x1c69b3f74ac4ae35ULL;
  return k ^ (k >> 27);
}

// FlipHash on [0, 2^r), given as mask = 2^r - 1, from the key's first hash.
inline std::uint32_t flip_power_of_two(std::uint64_t key, std::uint64_t first, std::uint32_t mask) {
  const std::uint32_t low = static_cast<std::uint32_t>(first) & mask;
  if (low == 0) [[unlikely]]
    return 0;
  const int top = 31 ^ std::countl_zero(low);  // floor(log2(low)), low != 0
  const std::uint32_t below = (std::uint32_t{1} << top) - 1;
  return low ^
         (static_cast<std::uint32_t>(flip_mix(key, static_cast<std::uint64_t>(top), 0)) & below);
}

inline std::uint32_t fliphash_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  const std::uint32_t end = n - 1;  // the range is [0, end]
  const int lz = std::countl_zero(end);
  const std::uint32_t mask = ~std::uint32_t{0} >> lz;  // 2^r - 1
  const std::uint64_t first = flip_mix(key, 0, 0);
  const std::uint32_t d = flip_power_of_two(key, first, mask);
  if (d <= end) [[likely]]
    return d;
  const auto log2_end = static_cast<std::uint64_t>(31 - lz);
  for (std::uint64_t i = 1; i <= kMaxDraws; ++i) {
    const std::uint32_t draw = static_cast<std::uint32_t>(flip_mix(key, log2_end, i)) & mask;
    if (draw <= mask >> 1) break;
    if (draw <= end) return draw;
  }
  return flip_power_of_two(key, first, mask >> 1);
}

}  // namespace

std::unique_ptr<Placement> make_fliphash(StrategyParams& p) {
  return std::make_unique<BucketPlacement<fliphash_bucket>>(p, "fliphash");
}

}  // namespace ringsim
