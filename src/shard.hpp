// One rank's share of the keys: struct-of-arrays so that the hot loops (plan,
// verify) touch only the hashes and owners.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "placement.hpp"

namespace ringsim {

inline constexpr NodeId kNoNode = UINT32_MAX;

struct Shard {
  explicit Shard(std::size_t value_size = 8) : value_bytes(value_size) {}

  std::size_t value_bytes;
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> hashes;  // key_hash(keys[i]), cached
  std::vector<NodeId> owners;         // the node that holds keys[i]
  std::vector<std::uint8_t> replica;  // which replica of its key (0 .. replicas-1)
  // For load-aware strategies: the primary owner (Placement::primary) at the
  // last redistribution, to tell moves caused by load from moves caused by
  // membership. Sized like keys; kNoNode where unknown.
  std::vector<NodeId> primaries;
  std::vector<std::byte> values;  // value_bytes per key

  std::size_t size() const { return keys.size(); }
  std::span<std::byte> value(std::size_t i) {
    return {values.data() + i * value_bytes, value_bytes};
  }
  std::span<const std::byte> value(std::size_t i) const {
    return {values.data() + i * value_bytes, value_bytes};
  }
  void reserve(std::size_t n) {
    keys.reserve(n);
    hashes.reserve(n);
    owners.reserve(n);
    replica.reserve(n);
    primaries.reserve(n);
    values.reserve(n * value_bytes);
  }
  void push(std::uint64_t key, std::uint64_t hash, NodeId owner, const std::byte* v,
            std::uint8_t replica_index = 0) {
    keys.push_back(key);
    hashes.push_back(hash);
    owners.push_back(owner);
    replica.push_back(replica_index);
    primaries.push_back(UINT32_MAX);
    values.insert(values.end(), v, v + value_bytes);
  }
  void resize(std::size_t n) {
    keys.resize(n);
    hashes.resize(n);
    owners.resize(n);
    replica.resize(n);
    primaries.resize(n);
    values.resize(n * value_bytes);
  }
  // Moves entry `from` to slot `to` (to <= from), for in-place compaction.
  void move_entry(std::size_t from, std::size_t to) {
    keys[to] = keys[from];
    hashes[to] = hashes[from];
    owners[to] = owners[from];
    replica[to] = replica[from];
    primaries[to] = primaries[from];
    std::memmove(values.data() + to * value_bytes, values.data() + from * value_bytes, value_bytes);
  }
};

}  // namespace ringsim
