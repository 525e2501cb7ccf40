// The CRC-32C that anchor, memento and powerch hash with: the build's version
// (the SSE4.2 instruction when RINGSIM_SSE42 is on) against the portable one,
// and both against published check values.
#include <gtest/gtest.h>

#include <cstdint>

#include "placement/crc32c.hpp"

namespace ringsim {
namespace {

// CRC-32C of the 8 bytes of `word` with the standard initial value ~0 and
// final inversion, from crc32c_u64, which has neither.
std::uint32_t standard_crc32c(std::uint64_t word) { return ~crc32c_u64(word, 0xFFFFFFFFu); }

TEST(Crc32c, MatchesPublishedCheckValues) {
  // RFC 3720 (iSCSI), appendix B.4: 32 bytes of zeros give 0x8A9136AA; four
  // 8-byte words fed in sequence through the register are the same bytes.
  std::uint32_t reg = 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) reg = crc32c_u64(0, reg);
  EXPECT_EQ(~reg, 0x8A9136AAu);
  // 32 bytes of 0xFF give 0x62A8AB43.
  reg = 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) reg = crc32c_u64(~std::uint64_t{0}, reg);
  EXPECT_EQ(~reg, 0x62A8AB43u);
  // "12345678" alone: the first 8 bytes of the classic check string.
  EXPECT_EQ(standard_crc32c(0x3837363534333231ULL), 0x6087809Au);
}

TEST(Crc32c, SoftwareAgreesWithTheBuildsVersion) {
  std::uint64_t s = 1;
  for (int i = 0; i < 200000; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::uint64_t word = s ^ (s >> 29), seed = s * 0x9e3779b97f4a7c15ULL;
    ASSERT_EQ(crc32c_u64(word, seed), crc32c_u64_software(word, seed)) << i;
  }
  // Only the low 32 bits of the seed count, as in the instruction.
  EXPECT_EQ(crc32c_u64(123, 0x1234567800000005ULL), crc32c_u64(123, 5));
}

}  // namespace
}  // namespace ringsim
