// powerch: power consistent hashing (Eric Leu, "Fast Consistent Hashing in
// Constant Time", arXiv:2307.12448), the algorithm of the paper's Section on
// power consistent hashing: with m the smallest power of two >= n,
//   f(k, m): consistent hash onto [0, m) for power-of-two ranges: the highest
//            set bit h of the key's low log2(m) bits picks the range [h, 2h)
//            and an independent random draw seeded by (k, h) the position
//            inside it;
//   g(k, n, s): the jump-hash walk started at s (next = ceil((c + 1) / u) - 1,
//            u uniform in (0, 1]), returning its last position below n;
//   bucket = f(k, m) if that is < n, else g(k, n, m/2 - 1) if that is
//            >= m/2, else f(k, m/2).
// Every step is consistent in n, each bucket gets 1/n of the keys, and the
// expected work is constant (g starts at m/2 - 1 >= (n - 1)/2, so its walk
// below n is O(1) steps in expectation).
//
// Hashes and random draws: those of the implementation the MementoHash and
// BinomialHash authors publish with theirs (PowerEngine::getBucketCRC32c with
// seed 0), so ringsim gives the buckets that code gives
// (tests/unit/kat/powerch.tsv). The key hash is reduced to k = crc32c(key, 0),
// 32 bits, and everything after depends on k alone. f seeds pcg32 (PCG-XSH-RR
// with 64-bit state and 32-bit output, O'Neill) with state k and stream j, the
// index of the top set bit, and takes h + (draw & (h - 1)), h = 2^j. g goes on
// drawing from that same generator: u = draw / (2^32 - 1) and
// r = ceil((x + 1) / u) - 1. Where (x + 1) / u is beyond n (u tiny or 0), the
// walk ends; the conversion of such a value to a 32-bit integer, which is
// undefined in C++, is never made.
//
// Buckets map to nodes through BucketMap (bucket_map.hpp): removal=lifo
// (default, minimal) or swap (any node, not minimal). Unweighted.
#include <bit>
#include <cmath>

#include "bucket_map.hpp"
#include "placement/crc32c.hpp"

namespace ringsim {
namespace {

// pcg32: a 64-bit LCG whose increment selects the stream, and the XSH RR
// output (xorshift the high bits, then a random rotation) of the state before
// each step. Seeding as pcg-cpp's pcg32(state, stream) does: increment
// 2 * stream + 1, then one LCG step from state + increment.
class Pcg32 {
 public:
  Pcg32(std::uint64_t state, std::uint64_t stream)
      : inc_((stream << 1) | 1), state_((state + inc_) * kMultiplier + inc_) {}

  std::uint32_t operator()() {
    const std::uint64_t old = state_;
    state_ = old * kMultiplier + inc_;
    const auto xorshifted = static_cast<std::uint32_t>(((old >> 18) ^ old) >> 27);
    return std::rotr(xorshifted, static_cast<int>(old >> 59));
  }
  static constexpr std::uint32_t max() { return 0xFFFFFFFFU; }

 private:
  static constexpr std::uint64_t kMultiplier = 6364136223846793005ULL;
  std::uint64_t inc_;
  std::uint64_t state_;
};

// f(k, mask + 1) for a non-zero k & mask: seeds `rng` and draws once.
inline std::uint32_t power_of_two_bucket(std::uint32_t k, std::uint32_t low, Pcg32& rng) {
  const int j = std::bit_width(low) - 1;
  const std::uint32_t h = std::uint32_t{1} << j;
  rng = Pcg32(k, static_cast<std::uint64_t>(j));
  return h + (rng() & (h - 1));
}

// g(k, n, s), drawing from `rng` as left by f.
inline std::uint32_t jump_walk(std::uint32_t n, std::uint32_t s, Pcg32& rng) {
  std::uint32_t x = s;
  const double limit = static_cast<double>(n);
  for (;;) {
    const double u = static_cast<double>(rng()) / static_cast<double>(Pcg32::max());
    const double next = std::ceil(static_cast<double>(x + 1) / u);  // r + 1
    if (!(next <= limit)) return x;                                 // r >= n (u = 0 gives +inf)
    x = static_cast<std::uint32_t>(next) - 1;
  }
}

class PowerPlacement final : public PlacementBase<PowerPlacement> {
 public:
  explicit PowerPlacement(StrategyParams& p) : map_(p, "powerch") {}

  void init(std::span<const NodeSpec> nodes, std::uint32_t max_nodes) override {
    map_.init(nodes, max_nodes);
    resized();
  }

  // PowerEngine::getBucketCRC32c(key_hash, seed = 0).
  NodeId lookup(std::uint64_t key_hash) const override {
    const std::uint32_t k = crc32c_u64(key_hash, 0);
    const std::uint32_t low = k & mask_;
    if (low == 0) return map_.node(0);
    Pcg32 rng(0, 0);
    const std::uint32_t r1 = power_of_two_bucket(k, low, rng);
    if (r1 < n_) return map_.node(r1);
    return map_.node(second_choice(k, rng));
  }

  void add_node(const NodeSpec& node) override {
    map_.add(node.id);
    resized();
  }
  void remove_node(NodeId node) override {
    map_.remove(node);
    resized();
  }
  std::size_t state_bytes() const override { return map_.bytes(); }
  PlacementTraits traits() const override { return map_.traits(); }

 private:
  // The rare case f(k, m) >= n (so n > m/2 >= 1).
  std::uint32_t second_choice(std::uint32_t k, Pcg32& rng) const {
    const std::uint32_t r2 = jump_walk(n_, half_mask_, rng);
    if (r2 > half_mask_) return r2;
    const std::uint32_t low = k & half_mask_;
    return low == 0 ? 0 : power_of_two_bucket(k, low, rng);
  }

  void resized() {
    n_ = map_.size();
    const std::uint64_t m = std::bit_ceil(std::uint64_t{n_ == 0 ? 1 : n_});
    mask_ = static_cast<std::uint32_t>(m - 1);
    half_mask_ = static_cast<std::uint32_t>(m / 2) - (m > 1 ? 1 : 0);
  }

  BucketMap map_;
  std::uint32_t n_ = 0;          // buckets
  std::uint32_t mask_ = 0;       // m - 1
  std::uint32_t half_mask_ = 0;  // m/2 - 1 (0 when m = 1)
};

}  // namespace

std::unique_ptr<Placement> make_powerch(StrategyParams& p) {
  return std::make_unique<PowerPlacement>(p);
}

}  // namespace ringsim
