// Redistribution after a membership event: every rank computes the new owner
// of each local record and counts them by destination rank (plan), tells the
// receivers their counts (counts), packs the records that leave the rank by
// destination (pack), sends them (exchange), and rebuilds its shard (apply).
// Only moved records cross the wire, and no rank ever holds more than its own
// share.
//
// Two exchange methods (ExchangeMethod): the dense one, MPI_Alltoall of the
// counts and MPI_Alltoallv of the records over all ranks, costs O(ranks) per
// rank whoever moves; the sparse one learns who sends to this rank with a
// non-blocking consensus (NBX: synchronous sends of the counts to the
// destinations, probes, and a non-blocking barrier once those sends are
// matched; Hoefler, Siebert, Lumsdaine, PPoPP 2010), then sends and receives
// the records with the peers involved only. Both give the same shards, in the
// same order (records arrive grouped by source rank, ascending).
//
// Every count and displacement is 64-bit. Where one that must be handed to
// MPI as an int would exceed RedistributeOptions::count_limit (INT_MAX), the
// rank that sees it throws ringsim::Error naming itself, the count and the
// limit, before it enters any further collective: nothing catches it, and
// ringsim's terminate handler aborts the job. The dense method passes
// per-peer counts and displacements to MPI; the sparse one only per-peer
// counts, so it has no limit on a rank's total.
//
// With replication (r copies of each key on distinct nodes, see replicas.hpp)
// a record is one replica. After a failure, the failed nodes' records are
// dropped first (drop_failed); then, in the same exchange, the surviving
// replica with the lowest index of each key sends copies to the new owners of
// the replicas that were lost (re-replication, counted apart from migration).
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/membership.hpp"
#include "engine/phase_timer.hpp"
#include "engine/shard.hpp"
#include "keys.hpp"
#include "placement.hpp"

namespace ringsim {

// How an event's records cross ranks (run.exchange).
enum class ExchangeMethod {
  kAlltoallv,  // MPI_Alltoall of the counts, MPI_Alltoallv of the records
  kSparse,     // NBX consensus of the counts, MPI_Isend / MPI_Irecv with the peers only
};

// "alltoallv" or "sparse"; anything else throws Error naming the value.
ExchangeMethod parse_exchange(std::string_view name);
const char* to_string(ExchangeMethod m);

// The largest count or displacement an MPI call takes (an int).
inline constexpr std::uint64_t kMpiCountLimit = INT_MAX;

// Throws Error if `method` would hand MPI a count or displacement above
// `limit` for these per-rank record counts: `counts[r]` records this rank
// (`rank`) sends to rank r (sending) or receives from it (!sending). Counts
// above the limit per peer fail for either method, displacements (the records
// for lower ranks) only for kAlltoallv. Local: no MPI call.
// `unit` names what the counts count ("records", or "bytes" for values of
// variable size, whose exchange counts bytes).
void check_exchange_limits(int rank, std::span<const std::uint64_t> counts, bool sending,
                           ExchangeMethod method, std::uint64_t limit = kMpiCountLimit,
                           const char* unit = "records");

struct RedistributeOptions {
  // The same on every rank.
  ExchangeMethod exchange = ExchangeMethod::kAlltoallv;
  // After apply, the same buffers go through the same method's bare payload
  // exchange this many times, each after a barrier (the exchange floor).
  std::uint32_t floor_repeats = 0;
  // Record (from node, to node) of every moved or copied record, for the
  // node-level traffic (projection, node matrix).
  bool node_pairs = false;
  // The count and displacement limit (see check_exchange_limits); tests lower
  // it to reach the guard with a few records.
  std::uint64_t count_limit = kMpiCountLimit;
};

// What one rank saw; the runner reduces these over ranks.
struct LocalMoveStats {
  std::uint64_t keys_moved = 0;    // local records whose owner node changed
  std::uint64_t records_sent = 0;  // records sent to another rank (moves and copies)
  std::uint64_t records_received = 0;
  int peer_ranks = 0;  // other ranks this rank sends to or receives from
  // Load-aware strategies: moved records whose primary owner did not change,
  // i.e. that moved only because loads changed.
  std::uint64_t keys_moved_by_load = 0;
  std::uint64_t replicas_created = 0;          // copies made for replicas lost in a failure
  std::uint64_t copies_sent = 0;               // of those, sent to another rank
  std::vector<std::uint64_t> records_to_rank;  // records this rank sent to each rank
  // Bytes, exact for values of any size. A record's bytes are its key (8),
  // its value, and with replication one byte for the replica index; on the
  // wire a record of variable size also carries its size (4 bytes).
  std::uint64_t bytes_moved = 0;                     // of the keys_moved records
  std::uint64_t bytes_copied = 0;                    // of the replicas_created records
  std::uint64_t bytes_sent = 0, bytes_received = 0;  // on the wire
  std::vector<std::uint64_t> bytes_to_rank;          // on the wire, to each rank
  // Values of variable size, with node_pairs: the bytes of each pair's record.
  std::vector<std::uint64_t> node_pair_bytes;
  // With node_pairs: (from << 32 | to) for every record that changed node,
  // re-created replicas included (from = the node of the surviving copy).
  std::vector<std::uint64_t> node_pairs;
  // Seconds of each bare repeat of the exchange on this rank (floor_repeats).
  std::vector<double> floor_seconds;
};

// What one rank dropped in a failure.
struct LocalFailureStats {
  std::uint64_t records_dropped = 0;  // records held by the failed nodes
  std::uint64_t keys_lost = 0;        // keys whose every replica was on a failed node
  std::uint64_t records_lost = 0;     // their records (keys_lost * replicas)
  std::uint64_t lost_digest = 0;      // sum of the lost records' digests
  std::uint64_t to_recreate = 0;      // replicas of surviving keys that must be re-created
};

class Redistributor {
 public:
  Redistributor(MPI_Comm comm, const KeySpace& keys, std::uint32_t replicas);
  ~Redistributor();
  Redistributor(const Redistributor&) = delete;
  Redistributor& operator=(const Redistributor&) = delete;

  // Before the membership and the strategy change: drops the records of the
  // `failed` nodes and notes, for each surviving record, which replicas of its
  // key survived. `placement` and `m` are still those before the failure.
  LocalFailureStats drop_failed(Shard& shard, const Placement& placement, const Membership& m,
                                const std::vector<NodeId>& failed);

  // Moves every record of `shard` to the node `placement` names for its
  // replica, and re-creates replicas lost in the last drop_failed. Records
  // whose owner is kNoNode (fresh from the generator) count as moved.
  // The phases are timed with `timer` (plan, counts, pack, exchange, apply);
  // the caller resets it after the barrier that starts the event. Collective
  // over the communicator, with the same opt.exchange on every rank.
  LocalMoveStats redistribute(Shard& shard, const Placement& placement, const Membership& m,
                              PhaseTimer& timer, const RedistributeOptions& opt = {});

  // Fixed value sizes: the bytes of one record (key, value, replica index).
  // Variable sizes: 1, the exchange's unit being the byte.
  std::size_t record_bytes() const { return record_bytes_; }
  // Frees the exchange buffers (they keep the largest size seen otherwise).
  void release_buffers();

 private:
  NodeId owner_of(const Placement& p, const Membership& m, std::uint64_t hash,
                  std::uint32_t replica, NodeId* all) const;
  // counts: fills recv_counts_ from the send counts in wide_.
  void counts_alltoall();
  void counts_sparse();
  // exchange: the packed send buffer into the receive buffer.
  void exchange_alltoallv();
  void exchange_sparse();

  MPI_Comm comm_;
  // The sparse method's own communicator (duplicated at its first use, which
  // is collective), so that its point-to-point messages never meet others.
  MPI_Comm sparse_comm_ = MPI_COMM_NULL;
  // Events so far with the sparse method: consecutive events use different
  // count tags, so that a rank still in one event's consensus could never
  // take the next event's counts from a rank that is ahead (the barrier
  // before the exchange keeps them apart today; the tags do not rely on it).
  std::uint64_t sparse_events_ = 0;
  const KeySpace& keys_;
  std::uint32_t replicas_;
  int rank_ = 0, ranks_ = 1;
  std::size_t record_bytes_;
  // Values of variable size: records go as [key][u32 size][replica index if
  // replicated][value], header_bytes_ before the value, counted in bytes.
  bool variable_;
  std::size_t header_bytes_;
  std::vector<std::uint64_t> bytes_to_;
  MPI_Datatype record_type_ = MPI_DATATYPE_NULL;
  // Per record after drop_failed: bit j set if replica j of its key survived.
  std::vector<std::uint8_t> survivors_;
  // Reused across events so that steady-state events do not allocate.
  std::vector<NodeId> new_owner_, new_primary_;
  std::vector<std::uint64_t> hash_block_;
  // A byte buffer kept across events. When the receive buffer grows, its
  // pages are touched at once (in the pack phase), so that first-touch page
  // faults do not land inside the timed exchange; the send buffer is
  // touched by packing anyway.
  struct RawBuffer {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t capacity = 0;
    void ensure(std::size_t n, bool touch) {
      if (n > capacity) {
        bytes.reset(new std::byte[n]);
        if (touch)  // one write per page faults the pages in
          for (std::size_t i = 0; i < n; i += 4096) bytes[i] = std::byte{0};
        capacity = n;
      }
    }
    std::byte* data() { return bytes.get(); }
  };

  std::vector<std::uint64_t> wide_;
  std::vector<int> node_rank_;
  std::vector<std::size_t> holes_;
  // Per rank, in records: wide_ (send counts), recv_counts_, and both
  // displacements; cursor_ packs.
  std::vector<std::uint64_t> recv_counts_, send_displs_, recv_displs_, cursor_;
  // The dense method's int copies for MPI.
  std::vector<int> int_send_counts_, int_send_displs_, int_recv_counts_, int_recv_displs_;
  // The sparse method's peers, ascending: the ranks this rank sends to and
  // receives from (non-zero counts), and its requests.
  std::vector<int> send_peers_, recv_peers_;
  std::vector<MPI_Request> requests_;
  RawBuffer send_buf_, recv_buf_;
};

}  // namespace ringsim
