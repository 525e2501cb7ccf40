#include "redistribution.hpp"

#include <climits>
#include <cstring>
#include <numeric>
#include <string>

#include "error.hpp"

namespace ringsim {

Redistributor::Redistributor(MPI_Comm comm, const KeySpace& keys)
    : comm_(comm), keys_(keys), record_bytes_(sizeof(std::uint64_t) + keys.value_bytes) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  // One record = key then value; counts and displacements are in records, so
  // a rank pair can exchange up to 2^31 - 1 records whatever the value size.
  MPI_Type_contiguous(static_cast<int>(record_bytes_), MPI_BYTE, &record_type_);
  MPI_Type_commit(&record_type_);
  send_counts_.resize(ranks_);
  send_displs_.resize(ranks_);
  recv_counts_.resize(ranks_);
  recv_displs_.resize(ranks_);
  cursor_.resize(ranks_);
}

Redistributor::~Redistributor() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && record_type_ != MPI_DATATYPE_NULL) MPI_Type_free(&record_type_);
}

LocalMoveStats Redistributor::redistribute(Shard& shard, const Placement& placement,
                                           const Membership& m, const RedistributeOptions& opt) {
  LocalMoveStats st;
  const std::size_t n = shard.size();
  const std::size_t vb = keys_.value_bytes;

  // plan: the new owner of every local key.
  double t0 = MPI_Wtime();
  new_owner_.resize(n);
  for (std::size_t i = 0; i < n; ++i) new_owner_[i] = placement.lookup(shard.hashes[i]);
  for (std::size_t i = 0; i < n; ++i) st.keys_moved += new_owner_[i] != shard.owners[i];
  if (opt.node_moves) {
    const std::size_t nodes = m.nodes();
    for (std::size_t i = 0; i < n; ++i)
      if (shard.owners[i] != kNoNode && new_owner_[i] != shard.owners[i])
        ++(*opt.node_moves)[shard.owners[i] * nodes + new_owner_[i]];
  }
  const bool load_aware = placement.traits().load_aware;
  if (load_aware) {
    new_primary_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      new_primary_[i] = placement.primary(shard.hashes[i]);
      st.keys_moved_by_load += shard.primaries[i] != kNoNode && new_owner_[i] != shard.owners[i] &&
                               new_primary_[i] == shard.primaries[i];
    }
  }
  double t1 = MPI_Wtime();
  st.t.plan = t1 - t0;

  // pack: records leaving this rank, grouped by destination rank.
  std::fill(send_counts_.begin(), send_counts_.end(), 0);
  std::vector<std::uint64_t> wide(ranks_, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const int r = m.rank_of(new_owner_[i]);
    if (r != rank_) ++wide[r];
  }
  for (int r = 0; r < ranks_; ++r) {
    if (wide[r] > static_cast<std::uint64_t>(INT_MAX))
      throw Error("rank " + std::to_string(rank_) + " would send " + std::to_string(wide[r]) +
                  " records to rank " + std::to_string(r) +
                  ", more than MPI_Alltoallv can count; use more ranks");
    send_counts_[r] = static_cast<int>(wide[r]);
    st.records_sent += wide[r];
  }
  std::exclusive_scan(send_counts_.begin(), send_counts_.end(), send_displs_.begin(), 0);
  send_buf_.resize(st.records_sent * record_bytes_);
  std::copy(send_displs_.begin(), send_displs_.end(), cursor_.begin());
  for (std::size_t i = 0; i < n; ++i) {
    const int r = m.rank_of(new_owner_[i]);
    if (r == rank_) continue;
    std::byte* rec = send_buf_.data() + static_cast<std::size_t>(cursor_[r]++) * record_bytes_;
    std::memcpy(rec, &shard.keys[i], sizeof(std::uint64_t));
    std::memcpy(rec + sizeof(std::uint64_t), shard.values.data() + i * vb, vb);
  }
  double t2 = MPI_Wtime();
  st.t.pack = t2 - t1;

  // exchange: counts, then the records themselves. The barrier keeps the
  // imbalance of the earlier phases (already in their own times) out of it.
  st.records_to_rank.assign(send_counts_.begin(), send_counts_.end());
  MPI_Barrier(comm_);
  t2 = MPI_Wtime();
  MPI_Alltoall(send_counts_.data(), 1, MPI_INT, recv_counts_.data(), 1, MPI_INT, comm_);
  std::uint64_t incoming = 0;
  for (int c : recv_counts_) incoming += static_cast<std::uint64_t>(c);
  if (incoming > static_cast<std::uint64_t>(INT_MAX))
    throw Error("rank " + std::to_string(rank_) + " would receive " + std::to_string(incoming) +
                " records, more than MPI_Alltoallv can address; use more ranks");
  std::exclusive_scan(recv_counts_.begin(), recv_counts_.end(), recv_displs_.begin(), 0);
  recv_buf_.resize(incoming * record_bytes_);
  MPI_Alltoallv(send_buf_.data(), send_counts_.data(), send_displs_.data(), record_type_,
                recv_buf_.data(), recv_counts_.data(), recv_displs_.data(), record_type_, comm_);
  double t3 = MPI_Wtime();
  st.t.exchange = t3 - t2;

  // apply: keep what stays (with its new owner), then append what arrived.
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (m.rank_of(new_owner_[i]) != rank_) continue;
    if (out != i) shard.move_entry(i, out);
    shard.owners[out] = new_owner_[i];
    if (load_aware) shard.primaries[out] = new_primary_[i];
    ++out;
  }
  shard.resize(out + incoming);
  for (std::uint64_t j = 0; j < incoming; ++j) {
    const std::byte* rec = recv_buf_.data() + j * record_bytes_;
    const std::size_t slot = out + j;
    std::memcpy(&shard.keys[slot], rec, sizeof(std::uint64_t));
    shard.hashes[slot] = keys_.key_hash(shard.keys[slot]);
    shard.owners[slot] = placement.lookup(shard.hashes[slot]);
    shard.primaries[slot] = load_aware ? placement.primary(shard.hashes[slot]) : kNoNode;
    std::memcpy(shard.values.data() + slot * vb, rec + sizeof(std::uint64_t), vb);
  }
  st.t.apply = MPI_Wtime() - t3;

  if (opt.measure_lower_bound) {
    MPI_Barrier(comm_);
    const double t4 = MPI_Wtime();
    MPI_Alltoallv(send_buf_.data(), send_counts_.data(), send_displs_.data(), record_type_,
                  recv_buf_.data(), recv_counts_.data(), recv_displs_.data(), record_type_, comm_);
    st.t.lower_bound = MPI_Wtime() - t4;
  }
  return st;
}

}  // namespace ringsim
