// Where the replicas of a key live: replica 0 on the node the strategy names
// for the key's hash, replica j on the node it names for hash(key hash, j),
// re-drawn until it differs from the replicas before it. Every strategy thus
// places replicas through its own lookup, and removing a node that holds no
// replica of a key leaves that key's replicas where they are.
#pragma once

#include <cstdint>

#include "engine/membership.hpp"
#include "placement.hpp"

namespace ringsim {

inline constexpr std::uint32_t kMaxReplicas = 8;

// Fills out[0..r) with r distinct active nodes. After 64 draws without a new
// node (only when r is close to the active count) it takes the next active
// node by id, so it always ends.
void replica_owners(const Placement& p, const Membership& m, std::uint64_t key_hash,
                    std::uint32_t r, NodeId* out);

}  // namespace ringsim
