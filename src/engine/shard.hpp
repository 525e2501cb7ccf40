// One rank's share of the keys: struct-of-arrays so that the hot loops (plan,
// verify) touch only the keys and owners. A key's hash is recomputed where it is
// needed (XXH3 of 8 bytes costs a few ns) rather than stored: 8 bytes per key
// less, which matters most for small values.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
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

// Values of variable size (keys.value_size other than fixed) live in size
// classes: a value of s bytes takes one slot of the smallest class of at
// least s bytes. Classes step by 8 bytes up to 128, then by an eighth of the
// power of two below them (so a slot wastes at most 1/8 of its bytes above
// 128 B, at most 7 bytes below), up to kMaxValueBytes (1 MiB); size 0 has
// class 0 and no storage. Each class keeps its slots in chunks of at most
// 64 KiB (a power of two slots, one for the largest), so growing never
// copies values, and
// freed slots are reused first. Fixed overhead per rank: at most one partly
// used chunk per class, 121 x 64 KiB.
class ValueArena {
 public:
  static constexpr std::uint32_t kClasses = 1 + 16 + 13 * 8;
  static constexpr std::size_t kChunkBytes = std::size_t{64} << 10;

  // The class of a value of `bytes` bytes (<= 1 MiB) and its slot size.
  static std::uint32_t class_of(std::uint32_t bytes) {
    if (bytes <= 128) return (bytes + 7) / 8;
    const std::uint32_t e =
        31 - static_cast<std::uint32_t>(__builtin_clz(bytes - 1));      // 2^e < bytes <= 2^(e+1)
    const std::uint32_t step = (1u << e) / 8;                           // 2^(e-3)
    const std::uint32_t k = (bytes - (1u << e) + step - 1) >> (e - 3);  // 1 .. 8
    return 16 + (e - 7) * 8 + k;
  }
  static std::uint32_t class_bytes(std::uint32_t c) {
    if (c <= 16) return 8 * c;
    const std::uint32_t e = 7 + (c - 17) / 8, k = (c - 17) % 8 + 1;
    return (1u << e) + k * ((1u << e) / 8);
  }

  // A free slot of class c (c > 0).
  std::uint32_t allocate(std::uint32_t c) {
    Pool& p = pools_[c];
    if (!p.free.empty()) {
      const std::uint32_t s = p.free.back();
      p.free.pop_back();
      return s;
    }
    if (p.per_chunk == 0) {
      // A power of two slots a chunk, so that finding a slot is a shift and
      // a mask (at() runs once per record moved).
      p.per_chunk = static_cast<std::uint32_t>(
          std::bit_floor(std::max<std::size_t>(1, kChunkBytes / class_bytes(c))));
      p.shift = static_cast<std::uint32_t>(std::countr_zero(p.per_chunk));
      p.bytes = class_bytes(c);
    }
    if ((p.used & (p.per_chunk - 1)) == 0) {
      p.chunks.emplace_back(new std::byte[std::size_t{p.per_chunk} * class_bytes(c)]);
      reserved_ += std::size_t{p.per_chunk} * class_bytes(c);
    }
    return p.used++;
  }
  void release(std::uint32_t c, std::uint32_t slot) { pools_[c].free.push_back(slot); }
  std::byte* at(std::uint32_t c, std::uint32_t slot) {
    const Pool& p = pools_[c];
    return p.chunks[slot >> p.shift].get() + std::size_t{slot & (p.per_chunk - 1)} * p.bytes;
  }
  const std::byte* at(std::uint32_t c, std::uint32_t slot) const {
    return const_cast<ValueArena*>(this)->at(c, slot);
  }
  // Bytes of the chunks allocated so far.
  std::size_t reserved_bytes() const { return reserved_; }

 private:
  struct Pool {
    std::vector<std::unique_ptr<std::byte[]>> chunks;
    std::uint32_t per_chunk = 0, shift = 0, bytes = 0, used = 0;
    std::vector<std::uint32_t> free;
  };
  std::array<Pool, kClasses> pools_;
  std::size_t reserved_ = 0;
};

// Columns that only some runs need (replica index with replication, primary
// owner for load-aware strategies) stay empty otherwise, so that a plain run
// holds 28 bytes per key besides its value.
//
// With variable sizes (`variable`), `values` stays empty: record i's value
// is sizes[i] bytes in slot slots[i] of its size class in `arena`, 8 bytes
// per key more. Record i owns its slot while sizes[i] > 0: overwriting a
// record (set_value, move_entry onto it) or dropping it (resize) frees it,
// and move_entry hands the slot over (the source then owns none).
struct Shard {
  explicit Shard(std::size_t value_size = 8, bool with_replicas = false,
                 bool with_primaries = false, bool variable = false)
      : value_bytes(value_size),
        track_replicas(with_replicas),
        track_primaries(with_primaries),
        variable_sizes(variable) {}

  std::size_t value_bytes;  // fixed sizes: every value's bytes
  bool track_replicas, track_primaries, variable_sizes;
  Column<std::uint64_t> keys;
  Column<NodeId> owners;         // the node that holds keys[i]
  Column<std::uint8_t> replica;  // which replica of its key (0 .. replicas-1), if tracked
  // For load-aware strategies: the primary owner (Placement::primary) at the
  // last redistribution, to tell moves caused by load from moves caused by
  // membership; kNoNode where unknown.
  Column<NodeId> primaries;
  Column<std::byte> values;            // fixed sizes: value_bytes per key
  Column<std::uint32_t> sizes, slots;  // variable sizes
  ValueArena arena;

  std::size_t size() const { return keys.size(); }
  std::uint8_t replica_of(std::size_t i) const { return track_replicas ? replica[i] : 0; }
  NodeId primary_of(std::size_t i) const { return track_primaries ? primaries[i] : kNoNode; }
  void set_primary(std::size_t i, NodeId n) {
    if (track_primaries) primaries[i] = n;
  }
  std::size_t value_size(std::size_t i) const { return variable_sizes ? sizes[i] : value_bytes; }
  std::span<std::byte> value(std::size_t i) {
    if (variable_sizes) {
      if (sizes[i] == 0) return {};
      return {arena.at(ValueArena::class_of(sizes[i]), slots[i]), sizes[i]};
    }
    return {values.data() + i * value_bytes, value_bytes};
  }
  std::span<const std::byte> value(std::size_t i) const {
    return const_cast<Shard*>(this)->value(i);
  }
  // Variable sizes: gives record i a value of v.size() bytes (freeing its
  // old one) and copies v in; fixed sizes: copies v (value_bytes) in.
  void set_value(std::size_t i, std::span<const std::byte> v) {
    if (variable_sizes) {
      free_value(i);
      sizes[i] = static_cast<std::uint32_t>(v.size());
      if (v.empty()) return;
      const std::uint32_t c = ValueArena::class_of(sizes[i]);
      slots[i] = arena.allocate(c);
      std::memcpy(arena.at(c, slots[i]), v.data(), v.size());
      return;
    }
    std::memcpy(values.data() + i * value_bytes, v.data(), value_bytes);
  }
  void reserve(std::size_t n) {
    keys.reserve(n);
    owners.reserve(n);
    if (track_replicas) replica.reserve(n);
    if (track_primaries) primaries.reserve(n);
    if (variable_sizes) {
      sizes.reserve(n);
      slots.reserve(n);
    } else {
      values.reserve(n * value_bytes);
    }
  }
  // Fixed sizes: value_bytes from v.
  void push(std::uint64_t key, NodeId owner, const std::byte* v, std::uint8_t replica_index = 0) {
    push(key, owner, std::span<const std::byte>(v, variable_sizes ? 0 : value_bytes),
         replica_index);
  }
  void push(std::uint64_t key, NodeId owner, std::span<const std::byte> v,
            std::uint8_t replica_index) {
    keys.push_back(key);
    owners.push_back(owner);
    if (track_replicas) replica.push_back(replica_index);
    if (track_primaries) primaries.push_back(kNoNode);
    if (variable_sizes) {
      sizes.push_back(0);
      slots.push_back(0);
      set_value(keys.size() - 1, v);
    } else {
      values.insert(values.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(value_bytes));
    }
  }
  // Growing: new records have no owner yet and (variable sizes) an empty
  // value; shrinking drops the last records (freeing their values).
  void resize(std::size_t n) {
    if (variable_sizes)
      for (std::size_t i = n; i < keys.size(); ++i) free_value(i);
    keys.resize(n);
    owners.resize(n);
    if (track_replicas) replica.resize(n);
    if (track_primaries) primaries.resize(n, kNoNode);
    if (variable_sizes) {
      sizes.resize(n, 0);
      slots.resize(n, 0);
    } else {
      values.resize(n * value_bytes);
    }
  }
  void append(const Shard& o) {
    if (variable_sizes) {
      for (std::size_t i = 0; i < o.size(); ++i) {
        push(o.keys[i], o.owners[i], o.value(i), o.replica_of(i));
        if (track_primaries) primaries.back() = o.primary_of(i);
      }
      return;
    }
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
    if (variable_sizes) {
      if (to == from) return;
      free_value(to);
      sizes[to] = sizes[from];
      slots[to] = slots[from];
      sizes[from] = 0;  // the slot is `to`'s now
      return;
    }
    std::memmove(values.data() + to * value_bytes, values.data() + from * value_bytes, value_bytes);
  }
  // Bytes of values held: value_bytes x records, or the sum of the sizes.
  std::uint64_t value_bytes_held() const {
    if (!variable_sizes) return std::uint64_t{value_bytes} * size();
    std::uint64_t sum = 0;
    for (std::uint32_t s : sizes) sum += s;
    return sum;
  }

 private:
  void free_value(std::size_t i) {
    if (sizes[i] > 0) arena.release(ValueArena::class_of(sizes[i]), slots[i]);
    sizes[i] = 0;
  }
};

}  // namespace ringsim
