// The key source: a rank's share of the keys, generated in rounds from
// (seed, key index), with the expected count and checksum summed as the
// records are made (so verification never trusts the shard for them).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/shard.hpp"
#include "keys.hpp"

namespace ringsim {

// Rounds of the initial placement, the same on every rank: 8 from 2^20
// keys, and at least one per 128 MiB of keys and values (nominal sizes), at
// most 256, so that a round's batch and buffers stay a small part of the
// shard whatever the value sizes.
std::uint64_t placement_rounds(const KeySpace& keys);

class KeySource {
 public:
  KeySource(const KeySpace& keys, std::uint32_t replicas, int rank, int ranks);

  // Rounds are the same on every rank, so that each round's redistribution
  // is one collective and its buffers stay a fraction of the shard.
  std::uint64_t rounds() const { return rounds_; }
  // The records (every replica) of round `round`, with no owner yet.
  Shard round(std::uint64_t round, bool track_primary);
  // This rank's key hashes (load-aware strategies count them before placing).
  std::vector<std::uint64_t> hashes() const;

  std::uint64_t records_made() const { return records_; }
  std::uint64_t digest_made() const { return digest_; }

 private:
  const KeySpace& keys_;
  std::uint32_t replicas_;
  std::uint64_t first_, last_, rounds_;
  std::uint64_t records_ = 0, digest_ = 0;
};

}  // namespace ringsim
