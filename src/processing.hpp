// The processing stage: between membership events every rank applies a
// stream of updates to keys owned anywhere, through one-sided MPI on a store
// in an MPI window, under a distributed lock (src/locks/), and the owners
// check every updated value exactly afterwards.
//
// The store in a window (rebuilt collectively for each processing round, as
// the shard changes with every event): each rank exposes an open-addressing
// table allocated with MPI_Win_allocate. Its capacity C is the power of two
// >= 2 x local records (load <= 1/2); slot i, at byte i * S with
// S = 16 + value_bytes rounded up to 8, holds
//   [u64 key][u64 used (1) or empty (0)][value bytes],
// and a key with hash h sits in the first slot at or after h mod C (linear
// probing, wrapping). Capacities are exchanged once per round, so any rank can
// find a key's slot on its owner with MPI_Get of slot headers. The table's
// shape does not change during a round, only values do.
//
// An update: pick a key (uniform, zipf or a few hot keys, from the run's seed),
// find its owner (the strategy's node, that node's rank) and its stripe (key
// hash mod stripes), take that lock, MPI_Get the value, apply the transform to
// its first 8 bytes (increment, or the seed's "value * 2"), MPI_Put it back,
// flush, release. lock = "none" is the lock-free baseline for increments:
// one MPI_Accumulate(MPI_SUM) on the value.
//
// Verification: every update stream is a function of (seed, event, rank,
// index), so each owner regenerates all ranks' streams, counts the updates to
// each key it holds, and checks after the round that every value equals its
// value before the round transformed that many times. A lost update is thus
// caught key by key.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "config.hpp"
#include "keys.hpp"
#include "membership.hpp"
#include "placement.hpp"
#include "shard.hpp"

namespace ringsim {

struct ProcessingStats {
  std::uint64_t updates = 0;  // writes applied, all ranks
  std::uint64_t reads = 0;    // read-only operations, all ranks
  std::uint64_t missed = 0;   // chosen keys that no longer exist (lost in a failure)
  double seconds = 0;         // the round, max over ranks
  double latency_p50_us = 0, latency_p99_us = 0;  // per operation, all ranks
  std::uint64_t checked = 0;                      // records whose value was checked
  std::uint64_t checksum_delta = 0;               // change of the (key, value) checksum, all ranks
};

// Collective. Runs one round (number `round`, for the update streams) on the
// current shard and strategy and verifies it; throws VerificationError on
// every rank if any value is wrong, ringsim::Error (one rank) if a lock
// cannot be acquired in time.
// `lose_one_update` (tests): this rank writes its first update back
// unchanged, as a broken lock would, so that verification must catch it.
ProcessingStats run_processing_round(Shard& shard, const KeySpace& keys, const Placement& placement,
                                     const Membership& m, const ProcessingConfig& cfg,
                                     std::uint64_t round, MPI_Comm comm,
                                     bool lose_one_update = false);

}  // namespace ringsim
