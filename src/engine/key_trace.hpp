// Key traces spread over the ranks: each rank holds the keys of its own share
// of the key indices, and a key another rank holds is asked of that rank.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <span>
#include <vector>

#include "keys.hpp"

namespace ringsim {

// Collective over `comm`: the key of each global key index in `indices`, in
// the same order. Every rank calls it, with its own indices (possibly none).
// For a kFile key space each index is sent to the rank whose share holds it
// and the key comes back; the other distributions compute keys.key(i) locally
// (no communication beyond the collective's agreement). Indices must be below
// keys.count.
std::vector<std::uint64_t> resolve_trace_keys(const KeySpace& keys,
                                              std::span<const std::uint64_t> indices,
                                              MPI_Comm comm);

}  // namespace ringsim
