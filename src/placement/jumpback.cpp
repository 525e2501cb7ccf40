// jumpback: JumpBackHash (Otmar Ertl, "JumpBackHash: Say Goodbye to the Modulo
// Operation to Distribute Keys Uniformly to Buckets", arXiv:2403.18682), the
// paper's algorithm (its non-optimized listing). Where jump hash walks a key's
// jump points upwards from bucket 0, JumpBackHash walks downwards from n-1 and
// stops at the first (largest) jump point below n. The jump points are drawn
// per power-of-two interval [2^m, 2^(m+1)): bit m of U = V0 xor V1 says whether
// the interval holds one; the parity of the bits of U at and below m picks V0
// or V1 to supply its position inside the interval; if that position is >= n
// (only in the top interval), further random values w resample it on
// [0, 2^(m+1)) until it is below n (the bucket) or below 2^m (no jump point in
// range: continue with the next lower set bit of U). No set bit left: bucket 0.
// Consistent, uniform, constant expected time, no floating point.
//
// The random values come from splitmix64 seeded by the key hash (mix64 of an
// incremented state); V0 and V1 are the two 32-bit halves of the first value,
// each later 64-bit value supplies one w. Buckets map to nodes through
// BucketMap (bucket_map.hpp): removal=lifo (default, minimal) or swap (any
// node, not minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // splitmix64 increment

std::uint32_t jumpback_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  std::uint64_t state = key;
  auto next = [&state] {
    state += kGolden;
    return mix64(state);
  };
  const std::uint64_t v = next();
  const std::uint64_t v0 = v & 0xffffffffULL;
  const std::uint64_t v1 = v >> 32;
  const int bits = std::bit_width(n - 1);  // intervals below n: m < bits
  std::uint64_t u = (v0 ^ v1) & ((std::uint64_t{1} << bits) - 1);
  while (u != 0) {
    const std::uint64_t q = std::bit_floor(u);  // 2^m, m = floor(log2(u))
    const std::uint64_t pick = (std::popcount(u) & 1) == 0 ? v0 : v1;
    std::uint64_t b = q + (pick & (q - 1));
    for (;;) {
      if (b < n) return static_cast<std::uint32_t>(b);
      b = next() & (2 * q - 1);
      if (b < q) break;
    }
    u ^= q;
  }
  return 0;
}

}  // namespace

std::unique_ptr<Placement> make_jumpback(StrategyParams& p) {
  return std::make_unique<BucketPlacement<jumpback_bucket>>(p, "jumpback");
}

}  // namespace ringsim
