#include "keys.hpp"

#include <cstring>

#include "hash.hpp"

namespace ringsim {

namespace {
constexpr std::uint64_t kKeySalt = 0x6b6579736b657973ULL;    // "keyskeys"
constexpr std::uint64_t kHashSalt = 0x686173686b657973ULL;   // "hashkeys"
constexpr std::uint64_t kValueSalt = 0x76616c7565736565ULL;  // "valuesee"
}  // namespace

std::uint64_t KeySpace::key(std::uint64_t index) const {
  if (distribution == KeyDistribution::kSequential) return index;
  return mix64(index ^ mix64(seed ^ kKeySalt));
}

std::uint64_t KeySpace::key_hash(std::uint64_t k) const { return hash_u64(k, seed ^ kHashSalt); }

void KeySpace::fill_value(std::uint64_t k, std::span<std::byte> out) const {
  std::uint64_t word = hash_u64(k, seed ^ kValueSalt);
  for (std::size_t off = 0; off < out.size(); off += sizeof word) {
    const std::size_t n = std::min(sizeof word, out.size() - off);
    std::memcpy(out.data() + off, &word, n);
    word = mix64(word + 1);
  }
}

std::uint64_t KeySpace::share_begin(int rank, int ranks) const {
  // floor(count * rank / ranks) without the product overflowing 64 bits.
  const auto p = static_cast<std::uint64_t>(ranks), r = static_cast<std::uint64_t>(rank);
  return count / p * r + count % p * r / p;
}

const char* to_string(KeyDistribution d) {
  return d == KeyDistribution::kSequential ? "sequential" : "uniform";
}

}  // namespace ringsim
