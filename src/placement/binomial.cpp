// binomial: BinomialHash (Coluzzi, Brocco, Antonucci, "BinomialHash: A
// Constant Time, Minimal Memory Consistent Hash Algorithm", arXiv:2406.19836),
// the algorithm of the paper's pseudo-code. Buckets are the nodes of a binary
// tree numbered level by level (level l holds [2^l, 2^(l+1)), bucket 0 and 1 on
// top); the enclosing tree is the smallest one holding n buckets (E = 2^r with
// 2^(r-1) < n <= 2^r), the minor tree its upper half (2^(r-1) buckets).
//  1. b = hash & (E - 1), relocated to a uniform position of its own level (an
//     independent hash of (k, level)): uniform on [0, E). If b < n: done.
//  2. Otherwise up to four rehashes of the key on [0, E): a value in the
//     minor tree stops the search, a value in [E/2, n) is the bucket.
//  3. Fallback: the key's relocated position in the minor tree.
// Step 1 and 3 agree on every key whose hash has a 0 at bit r-1, which keeps
// the map consistent when n crosses a power of two; within one enclosing
// tree, growing n only captures keys for the new bucket. The bounded number
// of rehashes makes the split slightly uneven: at n = 10, buckets 8 and 9 get
// 0.7% less than the mean and the minor tree 0.2% more (computed from the
// steps above); there is no bias when n is a power of two.
//
// Hashes: the key hash is the first hash; relocation and rehashes are
// hash_pair under separate seeds. Buckets map to nodes through BucketMap
// (bucket_map.hpp): removal=lifo (default, minimal) or swap (any node, not
// minimal). Unweighted.
#include <bit>

#include "bucket_map.hpp"
#include "hash.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kLevelSeed = 0x62696e6f6d6c766cULL;   // "binomlvl"
constexpr std::uint64_t kRehashSeed = 0x62696e6f6d726568ULL;  // "binomreh"
constexpr int kRehashes = 4;

// A uniform position in the level of tree node b.
std::uint64_t relocate_within_level(std::uint64_t b, std::uint64_t key) {
  if (b < 2) return b;
  const std::uint64_t base = std::bit_floor(b);
  return base + (hash_pair(key, base, kLevelSeed) & (base - 1));
}

std::uint32_t binomial_bucket(std::uint64_t key, std::uint32_t n) {
  if (n <= 1) return 0;
  const std::uint64_t enclosing = std::bit_ceil(std::uint64_t{n}) - 1;  // E - 1
  const std::uint64_t minor = enclosing >> 1;                           // E/2 - 1
  const std::uint64_t b = relocate_within_level(key & enclosing, key);
  if (b < n) return static_cast<std::uint32_t>(b);
  std::uint64_t h = key;
  for (int i = 0; i < kRehashes; ++i) {
    h = hash_pair(h, enclosing, kRehashSeed);
    const std::uint64_t c = h & enclosing;
    if (c <= minor) break;
    if (c < n) return static_cast<std::uint32_t>(c);
  }
  return static_cast<std::uint32_t>(relocate_within_level(key & minor, key));
}

}  // namespace

std::unique_ptr<Placement> make_binomial(StrategyParams& p) {
  return std::make_unique<BucketPlacement<binomial_bucket>>(p, "binomial");
}

}  // namespace ringsim
