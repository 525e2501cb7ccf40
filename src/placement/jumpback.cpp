// jumpback: JumpBackHash (Otmar Ertl, "JumpBackHash: Say Goodbye to the Modulo
// Operation to Distribute Keys Uniformly to Buckets", arXiv:2403.18682), as
// the author's reference implementation in hash4j computes it
// (ConsistentHashing.jumpBackHashSplitMix64()): the same bucket for every key
// hash and n. Where jump hash walks a key's jump points upwards from bucket 0,
// JumpBackHash walks downwards from n-1 and stops at the first (largest) jump
// point below n. The jump points are drawn per power-of-two interval
// [2^m, 2^(m+1)): bit m of U = V0 xor V1 says whether the interval holds one;
// the parity of the bits of U at and below m picks V0 or V1 to supply its
// position inside the interval; if that position is >= n (only in the top
// interval), further random values w resample it on [0, 2^(m+1)) until it is
// below n (the bucket) or below 2^m (no jump point in range: continue with the
// next lower set bit of U). No set bit left: bucket 0. Consistent, uniform,
// constant expected time, no floating point, 32-bit bucket arithmetic.
//
// The random values come from splitmix64 seeded by the key hash: state =
// key hash + golden gamma, each value is the splitmix64 finaliser of the
// state, and the state advances by the gamma before each further value. V0
// and V1 are the low and high 32 bits of the first value; each further 64-bit
// value supplies two candidates w, its low 32 bits first, then its high 32.
// Buckets map to nodes through BucketMap (bucket_map.hpp): removal=lifo
// (default, minimal) or swap (any node, not minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // splitmix64 increment

inline std::uint32_t jumpback_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  std::uint64_t state = key + kGolden;
  const std::uint64_t v = mix64(state);
  // Bits of U below bit_width(n - 1): the intervals that can hold a bucket < n.
  std::uint32_t u =
      static_cast<std::uint32_t>(v ^ (v >> 32)) & (~std::uint32_t{0} >> std::countl_zero(n - 1));
  while (u != 0) {
    const std::uint32_t low = std::uint32_t{0x80000000} >> std::countl_zero(u);  // 2^m, m = log2(u)
    // Even parity: V0 (the low half), odd: V1 (the high half).
    const auto pick = static_cast<std::uint32_t>(v >> ((std::popcount(u) & 1) * 32));
    std::uint32_t b = low + (pick & (low - 1));
    if (b < n) [[likely]]
      return b;
    const std::uint32_t mask = 2 * low - 1;  // [0, 2^(m+1)), wraps to all ones at m = 31
    for (;;) {
      state += kGolden;
      const std::uint64_t w = mix64(state);
      b = static_cast<std::uint32_t>(w) & mask;
      if (b < low) break;
      if (b < n) return b;
      b = static_cast<std::uint32_t>(w >> 32) & mask;
      if (b < low) break;
      if (b < n) return b;
    }
    u ^= low;
  }
  return 0;
}

}  // namespace

std::unique_ptr<Placement> make_jumpback(StrategyParams& p) {
  return std::make_unique<BucketPlacement<jumpback_bucket>>(p, "jumpback");
}

}  // namespace ringsim
