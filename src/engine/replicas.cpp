#include "engine/replicas.hpp"

#include <algorithm>

#include "hash.hpp"

namespace ringsim {

void replica_owners(const Placement& p, const Membership& m, std::uint64_t key_hash,
                    std::uint32_t r, NodeId* out) {
  out[0] = p.lookup(key_hash);
  for (std::uint32_t j = 1; j < r; ++j) {
    auto taken = [&](NodeId n) { return std::find(out, out + j, n) != out + j; };
    NodeId pick = out[0];
    for (std::uint64_t attempt = 0; attempt < 64 && taken(pick); ++attempt)
      pick =
          p.lookup(hash_pair(key_hash, (attempt << 8) | j, 0x7265706c69636173ULL));  // "replicas"
    for (NodeId step = 0; taken(pick) && step < m.nodes(); ++step) {
      const NodeId n = static_cast<NodeId>((key_hash + j + step) % m.nodes());
      if (m.active(n) && !taken(n)) pick = n;
    }
    out[j] = pick;
  }
}

}  // namespace ringsim
