#include "engine/verifier.hpp"

#include <sstream>

#include "checksum.hpp"
#include "engine/replicas.hpp"

namespace ringsim {

void Verifier::expect(std::uint64_t local_records, std::uint64_t local_digest) {
  std::uint64_t local[2] = {local_records, local_digest}, global[2];
  MPI_Allreduce(local, global, 2, MPI_UINT64_T, MPI_SUM, comm_);
  expected_ = {global[0], global[1], 0};
}

void Verifier::check(const Shard& shard, const Placement& p, const Membership& m,
                     const std::string& what) const {
  std::uint64_t local[3] = {shard.size(), 0, 0};
  NodeId owners[kMaxReplicas];
  for (std::size_t i = 0; i < shard.size(); ++i) {
    const std::uint32_t replica = shard.replica_of(i);
    local[1] += record_digest(shard.keys[i], replica, shard.value(i));
    const NodeId o = shard.owners[i];
    bool ok = o != kNoNode && o < m.nodes() && m.active(o) && m.rank_of(o) == rank_ &&
              replica < replicas_;
    if (ok) {
      replica_owners(p, m, keys_.key_hash(shard.keys[i]), replicas_, owners);
      ok = owners[replica] == o;
    }
    local[2] += !ok;
  }
  std::uint64_t got[3];
  MPI_Allreduce(local, got, 3, MPI_UINT64_T, MPI_SUM, comm_);
  std::ostringstream why;
  if (got[0] != expected_.count)
    why << got[0] << " records found, " << expected_.count << " expected";
  else if (got[1] != expected_.checksum)
    why << "the (key, value) checksum changed: a key or value was lost, duplicated or altered";
  else if (got[2])
    why << got[2] << " record(s) not on the node the strategy names";
  if (!why.str().empty())
    throw VerificationError("verification failed after " + what + ": " + why.str());
}

void inject_fault(Fault f, Shard& shard, const Membership& m) {
  if (shard.size() == 0) return;
  switch (f) {
    case Fault::kNone:
    case Fault::kLostUpdate:  // applied in the processing stage
    case Fault::kLockTimeout:
    case Fault::kSlowEvent:
      break;
    case Fault::kDropKey:
      shard.resize(shard.size() - 1);
      break;
    case Fault::kCorruptValue:
      // The first record with a value (values of variable size may be empty).
      for (std::size_t i = 0; i < shard.size(); ++i)
        if (!shard.value(i).empty()) {
          shard.value(i)[0] ^= std::byte{1};
          return;
        }
      shard.resize(shard.size() - 1);  // no value to alter: drop a record instead
      break;
    case Fault::kMisplaceKey:
      // Retag the first key to another active node: count and checksum hold,
      // only the placement check can see it.
      for (NodeId n : m.active_nodes())
        if (n != shard.owners[0]) {
          shard.owners[0] = n;
          break;
        }
      break;
  }
}

}  // namespace ringsim
