// Hashing used everywhere in ringsim: one seeded 64-bit hash (xxHash's XXH3),
// identical on every rank, run and machine of the same endianness.
#pragma once

// XXH_INLINE_ALL compiles xxHash into every caller, so that a strategy's
// internal rehash is inlined into its lookup loop instead of a call into
// libxxhash; the results are the same.
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <cstdint>

namespace ringsim {

// Hash of a key's bytes; the seed is the experiment's hash seed.
inline std::uint64_t hash_bytes(const void* data, std::size_t len, std::uint64_t seed) {
  return XXH3_64bits_withSeed(data, len, seed);
}

inline std::uint64_t hash_u64(std::uint64_t x, std::uint64_t seed) {
  return XXH3_64bits_withSeed(&x, sizeof x, seed);
}

// Hash of two 64-bit words, e.g. (node id, replica index) for a ring point.
inline std::uint64_t hash_pair(std::uint64_t a, std::uint64_t b, std::uint64_t seed) {
  const std::uint64_t words[2] = {a, b};
  return XXH3_64bits_withSeed(words, sizeof words, seed);
}

// A bijection on 64-bit integers (the splitmix64 finaliser). Because it is
// invertible, distinct key indices always give distinct keys.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Multiplicative inverse of an odd number modulo 2^64 (Newton's iteration:
// each step doubles the number of correct low bits).
constexpr std::uint64_t inverse_mod_2_64(std::uint64_t a) {
  std::uint64_t x = a;  // correct to 3 bits for odd a
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}

// The inverse of mix64: unmix64(mix64(x)) == x.
constexpr std::uint64_t unmix64(std::uint64_t x) {
  x ^= x >> 31 ^ x >> 62;
  x *= inverse_mod_2_64(0x94d049bb133111ebULL);
  x ^= x >> 27 ^ x >> 54;
  x *= inverse_mod_2_64(0xbf58476d1ce4e5b9ULL);
  x ^= x >> 30 ^ x >> 60;
  return x;
}

}  // namespace ringsim
