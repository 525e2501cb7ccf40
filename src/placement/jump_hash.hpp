// Jump consistent hash (Lamping & Veach, arXiv:1406.2294, figure 1), shared
// by jump and MementoHash (which falls back to it for the buckets in use).
#pragma once

#include <cstdint>

namespace ringsim {

// The paper's function, line for line: b is the current bucket, j the next
// jump target; a 64-bit LCG drives the jumps and the loop ends when the next
// jump leaves [0, num_buckets).
inline std::uint32_t jump_hash(std::uint64_t key, std::uint32_t num_buckets) {
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < static_cast<std::int64_t>(num_buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(
        static_cast<double>(b + 1) *
        (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(b);
}

}  // namespace ringsim
