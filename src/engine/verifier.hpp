// The verifier: after every event, all records are counted and their
// (key, replica, value) digests summed over ranks, and every record is
// checked to sit on the node the strategy names for its replica, on the rank
// that hosts that node. The expected count and checksum come from the key
// source and follow every failure (records lost) and processing round
// (values changed), so nothing the shard says about itself is trusted.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "error.hpp"
#include "keys.hpp"
#include "placement.hpp"

namespace ringsim {

struct Tally {
  std::uint64_t count = 0;
  std::uint64_t checksum = 0;
  std::uint64_t misplaced = 0;
};

class Verifier {
 public:
  Verifier(const KeySpace& keys, std::uint32_t replicas, int rank, MPI_Comm comm)
      : keys_(keys), replicas_(replicas), rank_(rank), comm_(comm) {}

  // Collective: the expected figures, summed over ranks from what each
  // rank's key source made.
  void expect(std::uint64_t local_records, std::uint64_t local_digest);
  void lose(std::uint64_t records, std::uint64_t digest) {
    expected_.count -= records;
    expected_.checksum -= digest;
  }
  void change_checksum(std::uint64_t delta) { expected_.checksum += delta; }

  // Collective: one pass over the shard and one allreduce. Throws
  // VerificationError on every rank if the shard is not what is expected;
  // `what` names the event for the message.
  void check(const Shard& shard, const Placement& p, const Membership& m,
             const std::string& what) const;

 private:
  const KeySpace& keys_;
  std::uint32_t replicas_;
  int rank_;
  MPI_Comm comm_;
  Tally expected_;
};

// Tests: damage this rank's shard so that verification must fail.
void inject_fault(Fault f, Shard& shard, const Membership& m);

}  // namespace ringsim
