// The order-independent checksum that verification compares after each event.
#pragma once

#include <cstdint>
#include <span>

namespace ringsim {

// Digest of one (key, replica index, value) record. The checksum of a set of records is the
// sum of their digests modulo 2^64: independent of order and of which rank
// holds which record, and changed by a lost, duplicated or altered record
// (unless two such changes cancel, with probability about 2^-64).
std::uint64_t record_digest(std::uint64_t key, std::uint32_t replica,
                            std::span<const std::byte> value);

}  // namespace ringsim
