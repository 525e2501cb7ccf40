// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of one 64-bit word,
// as the x86 SSE4.2 instruction crc32q computes it: the register starts at the
// low 32 bits of `seed`, the 8 bytes of `word` are processed in little-endian
// order, and there is no final inversion. AnchorHash, MementoHash and
// power consistent hashing use it as their internal hash in their authors'
// implementations, so ringsim uses it there too (the known-answer vectors in
// tests/unit/kat/ depend on it).
//
// With -msse4.2 (the CMake option RINGSIM_SSE42, on by default where the build
// machine has the instruction) crc32c_u64 is the instruction itself; without
// it, a table-driven software version that gives the same result for every
// input (tests/unit/test_crc32c.cpp checks the two against each other).
#pragma once

#include <array>
#include <cstdint>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

namespace ringsim {

namespace crc32c_detail {

// tables[k][b]: the CRC register after feeding byte b followed by k zero bytes
// (slicing-by-8).
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1U)));
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}

inline constexpr auto kTables = make_tables();

}  // namespace crc32c_detail

// The software version: always available, and constexpr.
constexpr std::uint32_t crc32c_u64_software(std::uint64_t word, std::uint64_t seed) {
  const auto& t = crc32c_detail::kTables;
  const std::uint64_t x = word ^ static_cast<std::uint32_t>(seed);
  return t[7][x & 0xFF] ^ t[6][(x >> 8) & 0xFF] ^ t[5][(x >> 16) & 0xFF] ^ t[4][(x >> 24) & 0xFF] ^
         t[3][(x >> 32) & 0xFF] ^ t[2][(x >> 40) & 0xFF] ^ t[1][(x >> 48) & 0xFF] ^
         t[0][(x >> 56) & 0xFF];
}

// True when crc32c_u64 is the SSE4.2 instruction in this build.
constexpr bool crc32c_is_hardware() {
#if defined(__SSE4_2__)
  return true;
#else
  return false;
#endif
}

inline std::uint32_t crc32c_u64(std::uint64_t word, std::uint64_t seed) {
#if defined(__SSE4_2__)
  return static_cast<std::uint32_t>(_mm_crc32_u64(static_cast<std::uint32_t>(seed), word));
#else
  return crc32c_u64_software(word, seed);
#endif
}

}  // namespace ringsim
