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
//   [u64 key][u64 replica index + 1, or 0 for an empty slot][value bytes],
// and a record whose key has hash h sits in the first slot at or after
// h mod C (linear probing, wrapping). The replica index tells apart two
// replicas of one key on one rank (several logical nodes live on a rank).
// Capacities are exchanged once per round, so any rank can find a replica's
// slot on its holder with MPI_Get of slot headers. The table's shape does not
// change during a round, only values do.
//
// An operation picks a key (from a request distribution and the run's seed)
// and is a read with probability `reads`; with keys = "trace" the operations
// are the key trace's own requests instead (below). The key's replicas
// (engine/replicas.hpp; one with cluster.replicas = 1) sit on their nodes'
// ranks; replica 0's holder, the primary, owns the key's lock, stripe key
// hash mod stripes. Write-all, read-one:
//   update  take the primary's lock exclusively (acquire), MPI_Get the
//           primary's value, apply the transform to its first 8 bytes,
//           MPI_Put the new value into every replica's slot, flush every
//           holder, release. The exclusive lock serializes all writers of the
//           key, and no replica lags once it is released.
//   read    take the primary's lock in shared mode (acquire_shared: readers
//           run together under a reader-writer lock, one at a time under an
//           exclusive-only one), MPI_Get one replica, the one drawn from the
//           operation's stream (uniform over the replicas), release_shared.
// lock = "none" is the lock-free baseline for increments: an update is one
// MPI_Accumulate(MPI_SUM) on every replica, a read one atomic
// MPI_Fetch_and_op(MPI_NO_OP) on the drawn replica. Increments commute, so
// the replicas agree once the round's accumulates have landed, but a read
// may see replicas that differ during the round.
//
// Transforms, on the value's first 8 bytes read as a uint64 s (host order):
//   increment  s -> s + 1 mod 2^64.
//   double     the seed's "value * 2", taken modulo the prime
//              p = 2^64 - 59 so that repeating it never collapses to a
//              constant (doubling mod 2^64 is 0 after 64 steps, whatever was
//              lost on the way). s is first mapped into the nonzero residues
//              1 .. p-1: s itself if it lies there, else s mod p, and 1 where
//              that is 0 (s = 0 or s = p); this is the identity on every value
//              a doubling writes. Then r -> 2r mod p (128-bit product).
// Both are bijections without a fixed point on the values they write (2 is a
// unit mod p and 2r = r only for r = 0, which is never a residue here), so a
// value updated t times but written t - k times differs from the expected one
// unless k is a multiple of 2^64 (increment) or of p - 1 (double: 2 is a
// primitive root mod p, its order is p - 1): one lost or repeated update
// always shows, as does any count of them a round can reach. The expected value after t updates is
// exact: s + t, or r * 2^t mod p by fast exponentiation (t = 0: s unchanged).
//
// Trace replay (keys = "trace", a kFile key space): each rank replays its
// share of the trace's requests (workload/trace_requests.hpp) in trace order,
// every round from the share's start, at most `updates` of them per round
// (0: the whole share). A get or gets is a read, every other Twitter
// operation an update; a format without operations (lines, oracle) gives
// updates, or reads with probability `reads`. A request for a key outside
// the key set (keys.count below the trace's distinct keys) finds no record
// and counts as missed. The ranks' shares differ in length, so after each
// batch one allreduce says whether any rank has requests left; a problem
// reading a share (the trace changed since it was loaded) ends the round on
// every rank at the same batch and throws ringsim::Error on every rank,
// naming the first rank that met it.
//
// Batches and stops: every rank runs the same number of updates per round, in
// batches of processing_batch(cfg) (below); between batches the round asks
// the StopToken (one small allreduce, collective, so batch boundaries match on
// every rank) whether to stop. A stop ends the round after the batch in
// progress on every rank, and verification covers exactly the updates applied
// (the first b batches of every rank's stream).
//
// Verification: every update stream is a function of (seed, event, rank,
// index). After the round each rank draws its own stream again (as far as it
// ran; a trace replay instead counts its updates per key as it issues them,
// so the trace is read once a round), counts its updates per key, and sends (key, count) to the
// rank hosting every rank hosting a replica of the key, once per rank (exchange_key_counts:
// MPI_Alltoall of counts, then MPI_Alltoallv); each holder sums the counts it receives and checks
// that every record it holds, every replica, equals its value before the round transformed that
// many times. A lost update, or one replica's lost write, is thus caught replica by replica (a
// replica write lost on a key updated again later is healed by that write, which copies the
// primary's value); the checksum delta covers every replica changed. No rank regenerates another
// rank's stream, so the work per rank is O(replicas x updates per rank) plus O(ranks) for the
// counts.
//
// The request load: every operation issued (missed ones too) is counted on
// its key's primary node (replica 0); the counts, summed over the ranks, give
// the round's ops_peak_to_mean and ops_cv (ProcessingStats). Key indices become keys through one
// helper (keys_of in processing.cpp), called once per batch on every rank.
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config.hpp"
#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "keys.hpp"
#include "placement.hpp"

namespace ringsim {

class StopToken;

// Updates per batch in a round of `cfg`, the same on every rank (it depends
// on the configuration alone): the largest power of two in [16, 16384] whose
// updates take at most 50 ms at 2 us each (lock, get, put, release on one
// node) plus the configured work inside and outside the lock. The stop check
// between batches costs one allreduce of an int plus the wait for the
// slowest rank's batch: small against >= 16384 x 2 us or >= 50 ms of work
// (with 1024-update batches on two ranks sharing busy cores it cost 14-98%
// of the round; with 16384, less than the run-to-run noise). A stop is
// honoured within about one batch, ~50 ms on one node.
std::uint64_t processing_batch(const ProcessingConfig& cfg);

// The modulus of the "double" transform, the largest prime below 2^64.
inline constexpr std::uint64_t kDoublePrime = 0xFFFFFFFFFFFFFFC5ULL;  // 2^64 - 59

// The transform (increment or double, see above) applied once to a value's
// first word, and `times` times (exactly, in O(log times)).
std::uint64_t apply_transform(const std::string& how, std::uint64_t v);
std::uint64_t apply_transform_n(const std::string& how, std::uint64_t v, std::uint64_t times);

struct ProcessingStats {
  std::uint64_t updates = 0;  // writes applied, all ranks
  std::uint64_t reads = 0;    // read-only operations, all ranks
  std::uint64_t missed = 0;   // chosen keys that no longer exist (lost in a failure)
  double seconds = 0;         // the round, max over ranks
  // Per operation, all ranks: p50 and p99 by the rule of engine/histogram.hpp
  // from the ranks' latency histograms summed, the maximum exact.
  double latency_p50_us = 0, latency_p99_us = 0, latency_max_us = 0;
  double verify_seconds = 0;  // counting, exchanging and checking after the round, max over ranks
  std::uint64_t checked = 0;  // records whose value was checked
  std::uint64_t checksum_delta = 0;  // change of the (key, value) checksum, all ranks
  // The request load: operations per node (the key's primary, replica 0),
  // every operation issued (missed ones too), all ranks; their peak-to-mean
  // and coefficient of variation over the active nodes, relative to each
  // node's fair share (engine/event_metrics.hpp, load_shape); 0 without
  // operations.
  double ops_peak_to_mean = 0, ops_cv = 0;
  std::uint64_t batches = 0;  // batches run (the same on every rank)
  bool stopped = false;       // a stop request ended the round early (every rank)
};

// Collective. Runs one round (number `round`, for the update streams) on the
// current shard and strategy, with `replicas` replicas per key (the shard
// then tracks replica indices), and verifies it; throws VerificationError on
// every rank if any value is wrong, ringsim::Error (one rank) if a lock
// cannot be acquired in time, ringsim::Error (every rank, before any
// collective) for replicas outside [1, kMaxReplicas] or a shard without
// replica indices when replicas > 1.
// `lose_one_update` (tests): this rank writes its first update back
// unchanged, as a broken lock would, so that verification must catch it (on
// every replica of the key).
// `lose_one_replica_write` (tests): this rank's first update writes the old
// value to the key's last replica (replica replicas - 1) and the new one to
// the others, as a lost replica write would; verification catches it unless
// a later update of that key overwrites it.
// `time_out_first_lock` (tests, --inject-fault lock-timeout): this rank's
// first lock acquisition fails at once as a timeout does, the same
// ringsim::Error naming algorithm, rank, owner and stripe (with lock =
// "none" no lock is taken and it has no effect).
// `stop` (may be null): asked between batches, see above; stats.stopped says
// whether it ended the round.
// The number of updates one rank applied to one key, sent to the key's owner.
struct KeyCount {
  std::uint64_t key = 0, count = 0;
};

// Collective. `pairs` are ordered by destination rank, send_counts[r] of them
// for rank r (one count per rank of comm). Returns the pairs every rank sent
// to this one, ordered by source rank: an MPI_Alltoall of the 64-bit counts,
// then MPI_Alltoallv in as many rounds as keep every count and displacement
// of a round at most max_per_round pairs (capped at INT_MAX; it must exceed
// the rank count). Throws ringsim::Error if the counts do not match `pairs`.
std::vector<KeyCount> exchange_key_counts(std::span<const KeyCount> pairs,
                                          std::span<const std::uint64_t> send_counts, MPI_Comm comm,
                                          std::uint64_t max_per_round = INT_MAX);

ProcessingStats run_processing_round(Shard& shard, const KeySpace& keys, const Placement& placement,
                                     const Membership& m, const ProcessingConfig& cfg,
                                     std::uint64_t round, MPI_Comm comm,
                                     bool lose_one_update = false, bool time_out_first_lock = false,
                                     StopToken* stop = nullptr, std::uint32_t replicas = 1,
                                     bool lose_one_replica_write = false);

}  // namespace ringsim
