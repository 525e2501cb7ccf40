// fliphash: FlipHash (Masson, Lee, "FlipHash: A Constant-Time Consistent Range-
// Hashing Algorithm", arXiv:2402.17549), the paper's two-step algorithm:
//  - power-of-two range [0, 2^r): keep the key hash's low r bits; if they are
//    not 0, keep their highest set bit b and "flip" the bits below it with an
//    independent hash of (k, b): the result is uniform on [0, 2^r) and
//    consistent as r grows (a key moves only when bit r of its hash is set,
//    and then into the new half);
//  - general n with 2^(r-1) < n <= 2^r: take the power-of-two result on 2^r if
//    it is below n; otherwise draw hashes of (k, r, i) on [0, 2^r), i = 1,
//    2, ...: a draw below 2^(r-1) sends the key to the power-of-two result on
//    2^(r-1), a draw in [2^(r-1), n) is the bucket, any other draws again.
//    After 64 draws (the paper's bound on the loop; probability < 2^-64 of
//    reaching it) the key falls back to the 2^(r-1) result.
// Constant expected time, uniform and consistent in n. Hashes: the key hash
// itself is the first hash; the flips and draws are hash_pair of the key hash
// with (b) or (r, i) under separate seeds. Buckets map to nodes through
// BucketMap (bucket_map.hpp): removal=lifo (default, minimal) or swap (any
// node, not minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kFlipSeed = 0x666c6970666c6970ULL;  // "flipflip"
constexpr std::uint64_t kDrawSeed = 0x666c697064726177ULL;  // "flipdraw"
constexpr int kMaxDraws = 64;

// FlipHash on [0, 2^r), given as mask = 2^r - 1.
std::uint64_t flip_power_of_two(std::uint64_t key, std::uint64_t mask) {
  const std::uint64_t low = key & mask;
  if (low == 0) return 0;
  const std::uint64_t top = std::bit_floor(low);
  return low ^ (hash_pair(key, top, kFlipSeed) & (top - 1));
}

std::uint32_t fliphash_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  const int r = std::bit_width(n - 1);  // 2^(r-1) < n <= 2^r
  const std::uint64_t mask = (std::uint64_t{1} << r) - 1;
  const std::uint64_t d = flip_power_of_two(key, mask);
  if (d < n) return static_cast<std::uint32_t>(d);
  const std::uint64_t half = std::uint64_t{1} << (r - 1);
  for (int i = 1; i <= kMaxDraws; ++i) {
    const std::uint64_t draw =
        hash_pair(key, (static_cast<std::uint64_t>(r) << 32) | static_cast<std::uint64_t>(i),
                  kDrawSeed) &
        mask;
    if (draw < half) break;
    if (draw < n) return static_cast<std::uint32_t>(draw);
  }
  return static_cast<std::uint32_t>(flip_power_of_two(key, half - 1));
}

}  // namespace

std::unique_ptr<Placement> make_fliphash(StrategyParams& p) {
  return std::make_unique<BucketPlacement<fliphash_bucket>>(p, "fliphash");
}

}  // namespace ringsim
