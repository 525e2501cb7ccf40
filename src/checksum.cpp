#include "checksum.hpp"

#include "hash.hpp"

namespace ringsim {

std::uint64_t record_digest(std::uint64_t key, std::uint32_t replica,
                            std::span<const std::byte> value) {
  return hash_bytes(value.data(), value.size(), mix64(key ^ 0x636865636b73756dULL) + replica);
}

}  // namespace ringsim
