#include "engine/redistribution.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <numeric>
#include <string>

#include "checksum.hpp"
#include "engine/replicas.hpp"
#include "error.hpp"

namespace ringsim {

namespace {

// Tags on the sparse method's own communicator: the counts of consecutive
// events alternate between two tags; the records have a third.
constexpr int kCountTag = 1;
constexpr int kRecordTag = 3;

}  // namespace

ExchangeMethod parse_exchange(std::string_view name) {
  if (name == "alltoallv") return ExchangeMethod::kAlltoallv;
  if (name == "sparse") return ExchangeMethod::kSparse;
  throw Error("run.exchange must be \"alltoallv\" or \"sparse\", got \"" + std::string(name) +
              "\"");
}

const char* to_string(ExchangeMethod m) {
  return m == ExchangeMethod::kSparse ? "sparse" : "alltoallv";
}

void check_exchange_limits(int rank, std::span<const std::uint64_t> counts, bool sending,
                           ExchangeMethod method, std::uint64_t limit, const char* unit) {
  const std::string units = std::string(" ") + unit;
  const std::string me = "rank " + std::to_string(rank) + " would ";
  const std::string verb = sending ? "send " : "receive ";
  std::uint64_t displacement = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    const std::uint64_t c = counts[r];
    if (c > limit)
      throw Error(me + verb + std::to_string(c) + units + (sending ? " to" : " from") + " rank " +
                  std::to_string(r) + ", more than the limit of " + std::to_string(limit) + units +
                  " in one MPI message; use more ranks");
    if (method == ExchangeMethod::kAlltoallv && c > 0 && displacement > limit) {
      const std::uint64_t total = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
      throw Error(me + verb + std::to_string(total) + units +
                  " in one MPI_Alltoallv, whose displacements stop at " + std::to_string(limit) +
                  units + "; use more ranks or run.exchange = \"sparse\"");
    }
    displacement += c;
  }
}

Redistributor::Redistributor(MPI_Comm comm, const KeySpace& keys, std::uint32_t replicas)
    : comm_(comm),
      keys_(keys),
      replicas_(replicas),
      // key, value, and with replication one byte for the replica index
      record_bytes_(keys.variable_values()
                        ? 1
                        : sizeof(std::uint64_t) + keys.value_bytes + (replicas > 1 ? 1 : 0)),
      variable_(keys.variable_values()),
      header_bytes_(sizeof(std::uint64_t) + sizeof(std::uint32_t) + (replicas > 1 ? 1 : 0)) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  // Counts and displacements are in records, so a rank pair can exchange up
  // to 2^31 - 1 records whatever the value size.
  MPI_Type_contiguous(static_cast<int>(record_bytes_), MPI_BYTE, &record_type_);
  MPI_Type_commit(&record_type_);
  const auto p = static_cast<std::size_t>(ranks_);
  wide_.resize(p);
  recv_counts_.resize(p);
  send_displs_.resize(p);
  recv_displs_.resize(p);
  cursor_.resize(p);
  bytes_to_.resize(p);
}

Redistributor::~Redistributor() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (record_type_ != MPI_DATATYPE_NULL) MPI_Type_free(&record_type_);
  if (sparse_comm_ != MPI_COMM_NULL) MPI_Comm_free(&sparse_comm_);
}

void Redistributor::release_buffers() {
  send_buf_ = RawBuffer();
  recv_buf_ = RawBuffer();
  std::vector<std::size_t>().swap(holes_);
  std::vector<NodeId>().swap(new_owner_);
  std::vector<NodeId>().swap(new_primary_);
}

NodeId Redistributor::owner_of(const Placement& p, const Membership& m, std::uint64_t hash,
                               std::uint32_t replica, NodeId* all) const {
  if (replicas_ == 1) return all[0] = p.lookup(hash);
  replica_owners(p, m, hash, replicas_, all);
  return all[replica];
}

LocalFailureStats Redistributor::drop_failed(Shard& shard, const Placement& placement,
                                             const Membership& m,
                                             const std::vector<NodeId>& failed) {
  LocalFailureStats st;
  std::vector<char> is_failed(m.nodes(), 0);
  for (NodeId n : failed) is_failed[n] = 1;
  const std::uint8_t all = static_cast<std::uint8_t>((1u << replicas_) - 1);
  NodeId owners[kMaxReplicas];
  std::size_t out = 0;
  survivors_.assign(shard.size(), all);
  for (std::size_t i = 0; i < shard.size(); ++i) {
    owner_of(placement, m, keys_.key_hash(shard.keys[i]), shard.replica_of(i), owners);
    std::uint8_t alive = 0;
    for (std::uint32_t j = 0; j < replicas_; ++j)
      if (!is_failed[owners[j]]) alive = static_cast<std::uint8_t>(alive | (1u << j));
    if (is_failed[shard.owners[i]]) {
      ++st.records_dropped;
      if (alive == 0) {
        ++st.records_lost;
        st.keys_lost += shard.replica_of(i) == 0;
        st.lost_digest += record_digest(shard.keys[i], shard.replica_of(i), shard.value(i));
      }
      continue;
    }
    // The surviving replica with the lowest index speaks for its key.
    if (std::countr_zero(alive) == shard.replica_of(i))
      st.to_recreate +=
          static_cast<std::uint64_t>(std::popcount(static_cast<std::uint8_t>(all & ~alive)));
    if (out != i) shard.move_entry(i, out);
    survivors_[out] = alive;
    ++out;
  }
  shard.resize(out);
  survivors_.resize(out);
  return st;
}

LocalMoveStats Redistributor::redistribute(Shard& shard, const Placement& placement,
                                           const Membership& m, PhaseTimer& timer,
                                           const RedistributeOptions& opt) {
  LocalMoveStats st;
  const std::size_t n = shard.size();
  const std::size_t vb = keys_.value_bytes;
  // A record's bytes (key, value, replica index) and, variable sizes, on the wire.
  const std::uint64_t fixed_record = sizeof(std::uint64_t) + vb + (replicas_ > 1 ? 1 : 0);
  const auto payload = [&](std::size_t i) -> std::uint64_t {
    return variable_ ? sizeof(std::uint64_t) + shard.sizes[i] + (replicas_ > 1 ? 1 : 0)
                     : fixed_record;
  };
  const std::uint8_t all = static_cast<std::uint8_t>((1u << replicas_) - 1);
  const bool after_failure = survivors_.size() == n && n > 0;
  NodeId owners[kMaxReplicas];

  // plan: the new owner of every local record, the copies to make for
  // replicas lost in a failure (index of the source record, replica, owner),
  // and the count of records for each destination rank.
  struct Copy {
    std::size_t source;
    std::uint8_t replica;
    NodeId owner;
  };
  std::vector<Copy> copies;
  // The sparse method's communicator, at its first use: collective, and
  // before the first phase, so that no phase times it.
  if (opt.exchange == ExchangeMethod::kSparse && sparse_comm_ == MPI_COMM_NULL)
    MPI_Comm_dup(comm_, &sparse_comm_);
  timer.start(Phase::kPlan);
  node_rank_.resize(m.nodes());
  for (NodeId v = 0; v < m.nodes(); ++v) node_rank_[v] = m.rank_of(v);
  std::fill(wide_.begin(), wide_.end(), 0);
  std::fill(bytes_to_.begin(), bytes_to_.end(), 0);
  new_owner_.resize(n);
  const bool load_aware = placement.traits().load_aware;
  if (load_aware) new_primary_.resize(n);
  auto note_pair = [&](NodeId from, NodeId to) {
    st.node_pairs.push_back(std::uint64_t{from} << 32 | to);
  };
  // A block at a time: hash the keys, look them up in one call, then count
  // moves and destinations while the block is in cache.
  constexpr std::size_t kBlock = 4096;
  hash_block_.resize(kBlock);
  for (std::size_t b = 0; b < n; b += kBlock) {
    const std::size_t len = std::min(kBlock, n - b);
    for (std::size_t j = 0; j < len; ++j) hash_block_[j] = keys_.key_hash(shard.keys[b + j]);
    NodeId* out = new_owner_.data() + b;
    if (replicas_ == 1) {
      placement.lookup_many({hash_block_.data(), len}, out);
    } else {
      for (std::size_t j = 0; j < len; ++j)
        out[j] = owner_of(placement, m, hash_block_[j], shard.replica_of(b + j), owners);
    }
    if (load_aware)
      for (std::size_t j = 0; j < len; ++j) new_primary_[b + j] = placement.primary(hash_block_[j]);
    for (std::size_t j = 0; j < len; ++j) {
      const std::size_t i = b + j;
      ++wide_[node_rank_[out[j]]];
      if (variable_) bytes_to_[node_rank_[out[j]]] += header_bytes_ + shard.sizes[i];
      if (out[j] == shard.owners[i]) continue;
      ++st.keys_moved;
      st.bytes_moved += payload(i);
      if (variable_ && opt.node_pairs && shard.owners[i] != kNoNode)
        st.node_pair_bytes.push_back(payload(i));
      if (opt.node_pairs && shard.owners[i] != kNoNode) note_pair(shard.owners[i], out[j]);
      if (load_aware)
        st.keys_moved_by_load +=
            shard.primary_of(i) != kNoNode && new_primary_[i] == shard.primary_of(i);
    }
  }
  if (after_failure) {
    for (std::size_t i = 0; i < n; ++i) {
      if (survivors_[i] == all || std::countr_zero(survivors_[i]) != shard.replica_of(i)) continue;
      replica_owners(placement, m, keys_.key_hash(shard.keys[i]), replicas_, owners);
      for (std::uint32_t j = 0; j < replicas_; ++j)
        if (!(survivors_[i] & (1u << j))) {
          copies.push_back({i, static_cast<std::uint8_t>(j), owners[j]});
          st.bytes_copied += payload(i);
          if (opt.node_pairs) note_pair(shard.owners[i], owners[j]);
          if (variable_ && opt.node_pairs) st.node_pair_bytes.push_back(payload(i));
        }
    }
  }
  survivors_.clear();
  st.replicas_created = copies.size();
  for (const Copy& c : copies) {
    ++wide_[node_rank_[c.owner]];
    if (variable_) bytes_to_[node_rank_[c.owner]] += header_bytes_ + shard.sizes[c.source];
  }
  const auto me = static_cast<std::size_t>(rank_);
  wide_[me] = 0;
  bytes_to_[me] = 0;
  st.records_sent = std::accumulate(wide_.begin(), wide_.end(), std::uint64_t{0});
  st.records_to_rank.assign(wide_.begin(), wide_.end());
  if (variable_) {
    // From here on the exchange counts bytes: wide_ holds them.
    st.bytes_to_rank.assign(bytes_to_.begin(), bytes_to_.end());
    std::swap(wide_, bytes_to_);
  } else {
    st.bytes_to_rank.resize(wide_.size());
    for (std::size_t r = 0; r < wide_.size(); ++r) st.bytes_to_rank[r] = wide_[r] * fixed_record;
  }
  const std::uint64_t units_sent = std::accumulate(wide_.begin(), wide_.end(), std::uint64_t{0});
  st.bytes_sent = variable_ ? units_sent : units_sent * fixed_record;
  const char* unit = variable_ ? "bytes" : "records";
  // Before any collective: a rank over the limit throws alone, and the
  // terminate handler ends the job.
  check_exchange_limits(rank_, wide_, true, opt.exchange, opt.count_limit, unit);
  timer.stop(Phase::kPlan);

  // counts: how many records this rank will receive from each rank.
  timer.start(Phase::kCounts);
  if (opt.exchange == ExchangeMethod::kSparse)
    counts_sparse();
  else
    counts_alltoall();
  timer.stop(Phase::kCounts);

  // pack: records leaving this rank, grouped by destination rank, and the
  // receive buffer made ready, so that the exchange is the payload alone.
  timer.start(Phase::kPack);
  // The receive side's limits: one rank may see them alone, after the
  // counts; it throws before the exchange, which the others then wait in
  // until the terminate handler ends the job.
  check_exchange_limits(rank_, recv_counts_, false, opt.exchange, opt.count_limit, unit);
  const std::uint64_t incoming =
      std::accumulate(recv_counts_.begin(), recv_counts_.end(), std::uint64_t{0});
  for (std::size_t r = 0; r < wide_.size(); ++r)
    st.peer_ranks += r != me && (wide_[r] > 0 || recv_counts_[r] > 0);
  st.records_received = incoming;  // variable sizes: counted in apply
  st.bytes_received = variable_ ? incoming : incoming * fixed_record;
  std::exclusive_scan(wide_.begin(), wide_.end(), send_displs_.begin(), std::uint64_t{0});
  std::exclusive_scan(recv_counts_.begin(), recv_counts_.end(), recv_displs_.begin(),
                      std::uint64_t{0});
  if (opt.exchange == ExchangeMethod::kAlltoallv) {
    // Within the limit (checked above); an empty peer's displacement is 0.
    const std::size_t p = wide_.size();
    int_send_counts_.resize(p);
    int_send_displs_.resize(p);
    int_recv_displs_.resize(p);
    for (std::size_t r = 0; r < p; ++r) {
      int_send_counts_[r] = static_cast<int>(wide_[r]);
      int_send_displs_[r] = wide_[r] ? static_cast<int>(send_displs_[r]) : 0;
      int_recv_displs_[r] = recv_counts_[r] ? static_cast<int>(recv_displs_[r]) : 0;
    }
  }
  send_buf_.ensure(units_sent * record_bytes_, false);
  std::copy(send_displs_.begin(), send_displs_.end(), cursor_.begin());
  auto pack_record = [&](std::size_t i, std::uint8_t replica, int r) {
    if (variable_) {
      std::byte* rec = send_buf_.data() + cursor_[static_cast<std::size_t>(r)];
      const std::uint32_t size = shard.sizes[i];
      std::memcpy(rec, &shard.keys[i], sizeof(std::uint64_t));
      std::memcpy(rec + sizeof(std::uint64_t), &size, sizeof size);
      if (replicas_ > 1) std::memcpy(rec + sizeof(std::uint64_t) + sizeof size, &replica, 1);
      if (size) std::memcpy(rec + header_bytes_, shard.value(i).data(), size);
      cursor_[static_cast<std::size_t>(r)] += header_bytes_ + size;
      return;
    }
    std::byte* rec = send_buf_.data() + cursor_[static_cast<std::size_t>(r)]++ * record_bytes_;
    std::memcpy(rec, &shard.keys[i], sizeof(std::uint64_t));
    std::memcpy(rec + sizeof(std::uint64_t), shard.values.data() + i * vb, vb);
    if (replicas_ > 1) std::memcpy(rec + sizeof(std::uint64_t) + vb, &replica, 1);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const int r = node_rank_[new_owner_[i]];
    if (r != rank_) pack_record(i, shard.replica_of(i), r);
  }
  for (const Copy& c : copies) {
    const int r = node_rank_[c.owner];
    if (r != rank_) {
      pack_record(c.source, c.replica, r);
      ++st.copies_sent;
    }
  }
  recv_buf_.ensure(incoming * record_bytes_, true);
  timer.stop(Phase::kPack);

  // exchange: the records, after a barrier, so that the phase measures the
  // transfer and not the wait for the slowest packer (that wait is in the
  // pack phase's span and imbalance, and in the event's critical path).
  auto exchange = [&] {
    if (opt.exchange == ExchangeMethod::kSparse)
      exchange_sparse();
    else
      exchange_alltoallv();
  };
  MPI_Barrier(comm_);
  timer.start(Phase::kExchange);
  exchange();
  timer.stop(Phase::kExchange);

  // apply: local copies are appended (their source records are still in
  // place); records that left become holes, which arriving records fill
  // first; holes left over are filled from the end. Only moved records are
  // touched, not the whole shard.
  timer.start(Phase::kApply);
  std::vector<std::byte> value(variable_ ? 0 : vb);
  for (const Copy& c : copies) {
    if (node_rank_[c.owner] != rank_) continue;
    if (variable_) {
      // The arena's chunks never move, so the source's value stays in place.
      shard.push(shard.keys[c.source], c.owner, shard.value(c.source), c.replica);
    } else {
      // Copy the value out first: push() may reallocate the storage it points into.
      std::memcpy(value.data(), shard.values.data() + c.source * vb, vb);
      shard.push(shard.keys[c.source], c.owner, value.data(), c.replica);
    }
    new_owner_.push_back(c.owner);
  }
  if (variable_) {
    // The records in the receive buffer: they follow each other, each its
    // header then its value.
    std::uint64_t records = 0;
    for (std::uint64_t at = 0; at < incoming; ++records) {
      std::uint32_t size = 0;
      std::memcpy(&size, recv_buf_.data() + at + sizeof(std::uint64_t), sizeof size);
      at += header_bytes_ + size;
    }
    st.records_received = records;
  }
  const std::size_t total = shard.size();
  holes_.clear();
  for (std::size_t i = 0; i < total; ++i) {
    if (node_rank_[new_owner_[i]] != rank_) {
      holes_.push_back(i);
      continue;
    }
    shard.owners[i] = new_owner_[i];
    if (load_aware)
      shard.set_primary(i,
                        i < n ? new_primary_[i] : placement.primary(keys_.key_hash(shard.keys[i])));
  }
  const std::uint64_t arriving = st.records_received;
  const std::size_t filled = std::min<std::size_t>(holes_.size(), arriving);
  if (arriving > holes_.size()) shard.resize(total + (arriving - holes_.size()));
  const std::byte* next = recv_buf_.data();
  for (std::uint64_t j = 0; j < arriving; ++j) {
    const std::byte* rec = next;
    const std::size_t slot = j < filled ? holes_[j] : total + (j - filled);
    std::memcpy(&shard.keys[slot], rec, sizeof(std::uint64_t));
    std::uint8_t replica = 0;
    if (variable_) {
      // set_value frees the value of the record that left this slot.
      std::uint32_t size = 0;
      std::memcpy(&size, rec + sizeof(std::uint64_t), sizeof size);
      if (replicas_ > 1) std::memcpy(&replica, rec + sizeof(std::uint64_t) + sizeof size, 1);
      shard.set_value(slot, {rec + header_bytes_, size});
      next += header_bytes_ + size;
    } else {
      std::memcpy(shard.values.data() + slot * vb, rec + sizeof(std::uint64_t), vb);
      if (replicas_ > 1) std::memcpy(&replica, rec + sizeof(std::uint64_t) + vb, 1);
      next += record_bytes_;
    }
    if (shard.track_replicas) shard.replica[slot] = replica;
    const std::uint64_t hash = keys_.key_hash(shard.keys[slot]);
    shard.owners[slot] = owner_of(placement, m, hash, replica, owners);
    shard.set_primary(slot, load_aware ? placement.primary(hash) : kNoNode);
  }
  if (filled < holes_.size()) {
    // Fill the remaining holes (ascending) with kept records from the end.
    std::size_t end = total, h = filled, last_hole = holes_.size();
    while (h < last_hole) {
      if (end - 1 == holes_[last_hole - 1]) {  // the tail is itself a hole: drop it
        --end;
        --last_hole;
        continue;
      }
      shard.move_entry(--end, holes_[h++]);
    }
    shard.resize(end);
  }
  timer.stop(Phase::kApply);

  // The exchange floor: the same buffers through the same method's bare
  // exchange again (the receive buffer gets the same bytes; apply has
  // already read it).
  st.floor_seconds.resize(opt.floor_repeats);
  for (std::uint32_t k = 0; k < opt.floor_repeats; ++k) {
    MPI_Barrier(comm_);
    const double t = MPI_Wtime();
    exchange();
    st.floor_seconds[k] = MPI_Wtime() - t;
  }
  return st;
}

void Redistributor::counts_alltoall() {
  const std::size_t p = wide_.size();
  int_send_counts_.resize(p);
  int_recv_counts_.resize(p);
  for (std::size_t r = 0; r < p; ++r) int_send_counts_[r] = static_cast<int>(wide_[r]);
  MPI_Alltoall(int_send_counts_.data(), 1, MPI_INT, int_recv_counts_.data(), 1, MPI_INT, comm_);
  for (std::size_t r = 0; r < p; ++r)
    recv_counts_[r] = static_cast<std::uint64_t>(int_recv_counts_[r]);
}

void Redistributor::counts_sparse() {
  const int tag = kCountTag + static_cast<int>(sparse_events_++ & 1);
  // A synchronous send of its 64-bit count to every rank this rank sends to:
  // such a send completes only once the receiver has matched it.
  send_peers_.clear();
  for (std::size_t r = 0; r < wide_.size(); ++r)
    if (wide_[r] > 0) send_peers_.push_back(static_cast<int>(r));
  requests_.assign(send_peers_.size(), MPI_REQUEST_NULL);
  for (std::size_t k = 0; k < send_peers_.size(); ++k) {
    const int r = send_peers_[k];
    MPI_Issend(&wide_[static_cast<std::size_t>(r)], 1, MPI_UINT64_T, r, tag, sparse_comm_,
               &requests_[k]);
  }
  // Take counts as they come; once this rank's sends are all matched, enter
  // a non-blocking barrier; when the barrier completes every rank's sends
  // have been matched, so every count meant for this rank has arrived.
  std::fill(recv_counts_.begin(), recv_counts_.end(), 0);
  recv_peers_.clear();
  MPI_Request barrier = MPI_REQUEST_NULL;
  bool in_barrier = false;
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, tag, sparse_comm_, &arrived, &status);
    if (arrived) {
      std::uint64_t count = 0;
      MPI_Recv(&count, 1, MPI_UINT64_T, status.MPI_SOURCE, tag, sparse_comm_, MPI_STATUS_IGNORE);
      recv_counts_[static_cast<std::size_t>(status.MPI_SOURCE)] = count;
      recv_peers_.push_back(status.MPI_SOURCE);
      continue;
    }
    int done = 0;
    if (!in_barrier) {
      MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE);
      if (done) {
        MPI_Ibarrier(sparse_comm_, &barrier);
        in_barrier = true;
      }
    } else {
      MPI_Test(&barrier, &done, MPI_STATUS_IGNORE);
      if (done) break;
    }
  }
  // The receive buffer is laid out by source rank (recv_displs_), as
  // MPI_Alltoallv lays it; the peers are sorted so that the receives are
  // posted in the same order whatever order the counts came in.
  std::sort(recv_peers_.begin(), recv_peers_.end());
}

void Redistributor::exchange_alltoallv() {
  MPI_Alltoallv(send_buf_.data(), int_send_counts_.data(), int_send_displs_.data(), record_type_,
                recv_buf_.data(), int_recv_counts_.data(), int_recv_displs_.data(), record_type_,
                comm_);
}

void Redistributor::exchange_sparse() {
  // Receives first, so that arriving records land in place.
  requests_.assign(recv_peers_.size() + send_peers_.size(), MPI_REQUEST_NULL);
  std::size_t k = 0;
  for (const int r : recv_peers_) {
    const auto i = static_cast<std::size_t>(r);
    MPI_Irecv(recv_buf_.data() + recv_displs_[i] * record_bytes_, static_cast<int>(recv_counts_[i]),
              record_type_, r, kRecordTag, sparse_comm_, &requests_[k++]);
  }
  for (const int r : send_peers_) {
    const auto i = static_cast<std::size_t>(r);
    MPI_Isend(send_buf_.data() + send_displs_[i] * record_bytes_, static_cast<int>(wide_[i]),
              record_type_, r, kRecordTag, sparse_comm_, &requests_[k++]);
  }
  MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
}

}  // namespace ringsim
