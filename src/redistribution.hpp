// Redistribution after a membership event: every rank computes the new owner
// of each local key (plan), packs the keys that leave the rank by destination
// (pack), exchanges counts with MPI_Alltoall and records with MPI_Alltoallv
// (exchange), and rebuilds its shard (apply). Only moved keys cross the wire,
// and no rank ever holds more than its own share.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "keys.hpp"
#include "membership.hpp"
#include "placement.hpp"
#include "shard.hpp"

namespace ringsim {

struct PhaseTimes {
  double plan = 0, pack = 0, exchange = 0, apply = 0;
  // The same records pushed through one bare MPI_Alltoallv again: the in-run
  // lower bound of the exchange phase.
  double lower_bound = 0;
};

struct RedistributeOptions {
  bool measure_lower_bound = true;
  // If set (nodes x nodes, row-major), counts local keys moved from node a
  // (row) to node b (column).
  std::vector<std::uint64_t>* node_moves = nullptr;
};

// What one rank saw; the runner reduces these over ranks.
struct LocalMoveStats {
  std::uint64_t keys_moved = 0;    // local keys whose owner node changed
  std::uint64_t records_sent = 0;  // of those, records sent to another rank
  // Load-aware strategies: moved keys whose primary owner did not change,
  // i.e. that moved only because loads changed.
  std::uint64_t keys_moved_by_load = 0;
  std::vector<std::uint64_t> records_to_rank;  // records this rank sent to each rank
  PhaseTimes t;
};

class Redistributor {
 public:
  Redistributor(MPI_Comm comm, const KeySpace& keys);
  ~Redistributor();
  Redistributor(const Redistributor&) = delete;
  Redistributor& operator=(const Redistributor&) = delete;

  // Moves every key of `shard` to the node `placement` names. Keys whose owner
  // is kNoNode (fresh from the generator) count as moved.
  LocalMoveStats redistribute(Shard& shard, const Placement& placement, const Membership& m,
                              const RedistributeOptions& opt = {});

  std::size_t record_bytes() const { return record_bytes_; }

 private:
  MPI_Comm comm_;
  const KeySpace& keys_;
  int rank_ = 0, ranks_ = 1;
  std::size_t record_bytes_;
  MPI_Datatype record_type_ = MPI_DATATYPE_NULL;
  // Reused across events so that steady-state events do not allocate.
  std::vector<NodeId> new_owner_, new_primary_;
  std::vector<int> send_counts_, send_displs_, recv_counts_, recv_displs_, cursor_;
  std::vector<std::byte> send_buf_, recv_buf_;
};

}  // namespace ringsim
