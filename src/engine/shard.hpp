// One rank's share of the keys: struct-of-arrays so that the hot loops (plan,
// verify) touch only the keys and owners. A key's hash is recomputed where it is
// needed (XXH3 of 8 bytes costs a few ns) rather than stored: 8 bytes per key
// less, which matters most for small values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "placement.hpp"

namespace ringsim {

inline constexpr NodeId kNoNode = UINT32_MAX;

// An allocator that leaves new elements uninitialised (default-init) instead
// of zeroing them: a shard that grows by millions of arriving records is then
// written once, by the records, not twice.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using Column = std::vector<T, DefaultInitAllocator<T>>;

// Columns that only some runs need (replica index with replication, primary
// owner for load-aware strategies) stay empty otherwise, so that a plain run
// holds 28 bytes per key besides its value.
struct Shard {
  explicit Shard(std::size_t value_size = 8, bool with_replicas = false,
                 bool with_primaries = false)
      : value_bytes(value_size), track_replicas(with_replicas), track_primaries(with_primaries) {}

  std::size_t value_bytes;
  bool track_replicas, track_primaries;
  Column<std::uint64_t> keys;
  Column<NodeId> owners;         // the node that holds keys[i]
  Column<std::uint8_t> replica;  // which replica of its key (0 .. replicas-1), if tracked
  // For load-aware strategies: the primary owner (Placement::primary) at the
  // last redistribution, to tell moves caused by load from moves caused by
  // membership; kNoNode where unknown.
  Column<NodeId> primaries;
  Column<std::byte> values;  // value_bytes per key

  std::size_t size() const { return keys.size(); }
  std::uint8_t replica_of(std::size_t i) const { return track_replicas ? replica[i] : 0; }
  NodeId primary_of(std::size_t i) const { return track_primaries ? primaries[i] : kNoNode; }
  void set_primary(std::size_t i, NodeId n) {
    if (track_primaries) primaries[i] = n;
  }
  std::span<std::byte> value(std::size_t i) {
    return {values.data() + i * value_bytes, value_bytes};
  }
  std::span<const std::byte> value(std::size_t i) const {
    return {values.data() + i * value_bytes, value_bytes};
  }
  void reserve(std::size_t n) {
    keys.reserve(n);
    owners.reserve(n);
    if (track_replicas) replica.reserve(n);
    if (track_primaries) primaries.reserve(n);
    values.reserve(n * value_bytes);
  }
  void push(std::uint64_t key, NodeId owner, const std::byte* v, std::uint8_t replica_index = 0) {
    keys.push_back(key);
    owners.push_back(owner);
    if (track_replicas) replica.push_back(replica_index);
    if (track_primaries) primaries.push_back(kNoNode);
    values.insert(values.end(), v, v + value_bytes);
  }
  void resize(std::size_t n) {
    keys.resize(n);
    owners.resize(n);
    if (track_replicas) replica.resize(n);
    if (track_primaries) primaries.resize(n, kNoNode);
    values.resize(n * value_bytes);
  }
  void append(const Shard& o) {
    keys.insert(keys.end(), o.keys.begin(), o.keys.end());
    owners.insert(owners.end(), o.owners.begin(), o.owners.end());
    if (track_replicas) replica.insert(replica.end(), o.replica.begin(), o.replica.end());
    if (track_primaries) primaries.insert(primaries.end(), o.primaries.begin(), o.primaries.end());
    values.insert(values.end(), o.values.begin(), o.values.end());
  }
  // Moves entry `from` to slot `to` (to <= from), for in-place compaction.
  void move_entry(std::size_t from, std::size_t to) {
    keys[to] = keys[from];
    owners[to] = owners[from];
    if (track_replicas) replica[to] = replica[from];
    if (track_primaries) primaries[to] = primaries[from];
    std::memmove(values.data() + to * value_bytes, values.data() + from * value_bytes, value_bytes);
  }
};

}  // namespace ringsim
