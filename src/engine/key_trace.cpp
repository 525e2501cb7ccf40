#include "engine/key_trace.hpp"

namespace ringsim {

std::vector<std::uint64_t> resolve_trace_keys(const KeySpace& keys,
                                              std::span<const std::uint64_t> indices,
                                              MPI_Comm comm) {
  (void)comm;
  std::vector<std::uint64_t> out;
  out.reserve(indices.size());
  for (std::uint64_t i : indices) out.push_back(keys.key(i));
  return out;
}

}  // namespace ringsim
