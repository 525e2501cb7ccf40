#include "processing.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "checksum.hpp"
#include "engine/event_metrics.hpp"
#include "engine/histogram.hpp"
#include "engine/key_trace.hpp"
#include "engine/replicas.hpp"
#include "engine/stop_token.hpp"
#include "error.hpp"
#include "hash.hpp"
#include "locks/rma_lock.hpp"
#include "workload/request_dist.hpp"
#include "workload/trace_requests.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kChoiceSalt = 0x7570646174657321ULL;   // "updates!"
constexpr std::uint64_t kReplicaSalt = 0x726561642d6f6e65ULL;  // "read-one"

std::uint64_t first_word(const std::byte* v) {
  std::uint64_t x;
  std::memcpy(&x, v, sizeof x);
  return x;
}

__extension__ typedef unsigned __int128 u128;

std::uint64_t mul_mod_p(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint64_t>(static_cast<u128>(a) * b % kDoublePrime);
}

// A stored word as a nonzero residue mod p: the identity on 1 .. p-1.
std::uint64_t to_unit(std::uint64_t s) {
  if (s >= kDoublePrime) s -= kDoublePrime;
  return s == 0 ? 1 : s;
}

std::uint64_t double_mod_p(std::uint64_t v) { return mul_mod_p(to_unit(v), 2); }

std::uint64_t pow2_mod_p(std::uint64_t t) {
  std::uint64_t result = 1, base = 2;
  for (; t; t >>= 1) {
    if (t & 1) result = mul_mod_p(result, base);
    base = mul_mod_p(base, base);
  }
  return result;
}

void busy_wait(double us) {
  if (us <= 0) return;
  const double until = MPI_Wtime() + us * 1e-6;
  while (MPI_Wtime() < until) {
  }
}

// Operation j of `rank` in round `round`: which key (by index), whether it
// only reads, and which replica a read reads (a draw in [0, 2^32), taken
// modulo the replica count). The same on every rank, so owners can count the
// updates.
struct Choice {
  std::uint64_t index;
  bool read;
  std::uint32_t replica_draw;
};

// The request distribution of a round's operations (O(1) to make).
RequestDistribution request_distribution(const ProcessingConfig& cfg, const KeySpace& keys) {
  RequestDistParams p;
  p.name = cfg.keys;
  if (cfg.keys == "zipf") {
    // Exact Zipf over the key indices in their order: index 0 the hottest.
    p.name = "zipfian";
    p.zipfian_constant = cfg.zipf_exponent;
    p.scrambled = false;
  } else if (cfg.keys == "zipfian" || cfg.keys == "latest") {
    p.zipfian_constant = cfg.zipfian_constant;
    p.scramble_seed = keys.seed ^ kChoiceSalt;
  } else if (cfg.keys == "hotspot") {
    p.hot_set_fraction = cfg.hot_set_fraction;
    p.hot_opn_fraction = cfg.hot_opn_fraction;
  } else {
    p.name = "uniform";  // "hot" draws by itself (choose)
  }
  return make_request_distribution(p, keys.count);
}

// Operation j's draw: the index, whether it reads (unit < reads) and the
// replica a read reads come from it.
std::uint64_t stream_draw(const KeySpace& keys, std::uint64_t round, int rank, std::uint64_t j) {
  const std::uint64_t stream =
      hash_pair(round, static_cast<std::uint64_t>(rank), keys.seed ^ kChoiceSalt);
  return hash_pair(stream, j, kChoiceSalt);
}

// The choice of draw u without its key index: the read by `reads`, the
// replica drawn.
Choice read_and_replica(const ProcessingConfig& cfg, std::uint64_t u) {
  const std::uint64_t w = mix64(u + 1);
  const double unit = (static_cast<double>(w >> 11) + 0.5) * 0x1p-53;  // in (0, 1)
  return Choice{0, unit < cfg.reads, static_cast<std::uint32_t>(mix64(u ^ kReplicaSalt) >> 32)};
}

Choice choose(const ProcessingConfig& cfg, const KeySpace& keys, const RequestDistribution& dist,
              std::uint64_t round, int rank, std::uint64_t j) {
  const std::uint64_t u = stream_draw(keys, round, rank, j);
  Choice c = read_and_replica(cfg, u);
  if (cfg.keys == "hot")
    c.index = u % std::min<std::uint64_t>(cfg.hot_keys, keys.count);
  else
    c.index = dist.sample(u);
  return c;
}

// The keys of a batch of key indices, drawn over the whole key set: the one
// place where processing turns a draw into a key. Every rank calls it once
// per batch (also with no indices): for a key trace, where a rank holds only
// its share of the keys, it is resolve_trace_keys (collective over comm).
std::vector<std::uint64_t> keys_of(const KeySpace& keys, std::span<const std::uint64_t> indices,
                                   MPI_Comm comm) {
  if (keys.distribution == KeyDistribution::kFile) return resolve_trace_keys(keys, indices, comm);
  std::vector<std::uint64_t> out(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) out[i] = keys.key(indices[i]);
  return out;
}

// Operations [first, last) of this rank's stream in round `round`: their
// choices and their keys (keys_of, collective).
struct Batch {
  std::vector<Choice> choices;
  std::vector<std::uint64_t> keys;
};

Batch draw_batch(const ProcessingConfig& cfg, const KeySpace& keys, std::uint64_t round, int rank,
                 std::uint64_t first, std::uint64_t last, MPI_Comm comm) {
  Batch b;
  b.choices.reserve(last - first);
  std::vector<std::uint64_t> indices;
  indices.reserve(last - first);
  const RequestDistribution dist = request_distribution(cfg, keys);
  for (std::uint64_t j = first; j < last; ++j) {
    b.choices.push_back(choose(cfg, keys, dist, round, rank, j));
    indices.push_back(b.choices.back().index);
  }
  b.keys = keys_of(keys, indices, comm);
  return b;
}

// keys = "trace": the next requests of this rank's share of the trace, at
// most n, as operations j = first, first + 1, ...: the trace's key, a read
// if the trace says get or gets (for a format without operations, drawn by
// `reads` as the other distributions do), the replica a read reads drawn as
// theirs.
Batch replay_batch(TraceRequests& trace, std::uint64_t n, const ProcessingConfig& cfg,
                   const KeySpace& keys, std::uint64_t round, int rank, std::uint64_t first) {
  std::vector<TraceRecord> records;
  records.reserve(n);
  trace.next(n, records);
  Batch b;
  b.choices.reserve(records.size());
  b.keys.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    Choice c = read_and_replica(cfg, stream_draw(keys, round, rank, first + i));
    if (records[i].has_operation) c.read = records[i].read;
    b.choices.push_back(c);
    b.keys.push_back(records[i].key);
  }
  return b;
}

// Counts per key in an open-addressing table (linear probing, load at most
// 1/2, a count of 0 marks an empty slot): one array, no allocation per key.
class KeyCounts {
 public:
  void add(std::uint64_t key, std::uint64_t n) {
    if (n == 0) return;
    if (2 * (size_ + 1) > slots_.size()) grow();
    KeyCount& s = slots_[find(key)];
    if (s.count == 0) {
      s.key = key;
      ++size_;
    }
    s.count += n;
  }
  std::uint64_t get(std::uint64_t key) const {
    return slots_.empty() ? 0 : slots_[find(key)].count;
  }
  std::size_t size() const { return size_; }
  // The (key, count) pairs, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const KeyCount& s : slots_)
      if (s.count) f(s);
  }

 private:
  std::size_t find(std::uint64_t key) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(mix64(key)) & mask;
    while (slots_[i].count != 0 && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<KeyCount> old(std::max<std::size_t>(64, 2 * slots_.size()));
    old.swap(slots_);
    for (const KeyCount& s : old)
      if (s.count) slots_[find(s.key)] = s;
  }

  std::vector<KeyCount> slots_;
  std::size_t size_ = 0;
};

// The open-addressing table of this rank's records in an MPI window. A slot's
// header is (key, replica index + 1), 0 marking an empty slot, so that two
// replicas of one key on one rank (two of its logical nodes) are two slots.
class WindowStore {
 public:
  WindowStore(const Shard& shard, const KeySpace& keys, MPI_Comm comm)
      : comm_(comm),
        // Values of variable size: the slot holds the value's first word
        // only (zero-padded), the one word the transforms change.
        value_bytes_(shard.variable_sizes ? 8 : shard.value_bytes),
        slot_bytes_((16 + value_bytes_ + 7) / 8 * 8) {
    MPI_Comm_size(comm_, &ranks_);
    std::uint64_t cap = 16;
    while (cap < 2 * shard.size()) cap *= 2;
    capacity_ = cap;
    MPI_Win_allocate(static_cast<MPI_Aint>(cap * slot_bytes_), 1, MPI_INFO_NULL, comm_, &base_,
                     &win_);
    std::memset(base_, 0, cap * slot_bytes_);
    slot_of_record_.resize(shard.size());
    for (std::size_t i = 0; i < shard.size(); ++i) {
      std::uint64_t s = keys.key_hash(shard.keys[i]) & (cap - 1);
      while (used(s)) s = (s + 1) & (cap - 1);
      std::byte* slot = base_ + s * slot_bytes_;
      const std::uint64_t tag = std::uint64_t{shard.replica_of(i)} + 1;
      std::memcpy(slot, &shard.keys[i], 8);
      std::memcpy(slot + 8, &tag, 8);
      const auto v = shard.value(i);
      std::memcpy(slot + 16, v.data(), std::min(v.size(), value_bytes_));
      slot_of_record_[i] = s;
    }
    capacities_.resize(static_cast<std::size_t>(ranks_));
    MPI_Allgather(&capacity_, 1, MPI_UINT64_T, capacities_.data(), 1, MPI_UINT64_T, comm_);
    MPI_Win_lock_all(0, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
  }
  // Collective (MPI_Win_free), except while an exception unwinds: then one
  // rank alone may be leaving and the job is being aborted, so the window is
  // leaked rather than freed in a collective the other ranks never enter.
  ~WindowStore() {
    if (std::uncaught_exceptions() > 0) return;
    MPI_Win_unlock_all(win_);
    MPI_Win_free(&win_);
  }
  WindowStore(const WindowStore&) = delete;
  WindowStore& operator=(const WindowStore&) = delete;

  // The slot of replica `replica` of `key` on `owner`, found by reading slot
  // headers; -1 if absent.
  std::int64_t find(int owner, std::uint64_t key, std::uint64_t hash, std::uint32_t replica) {
    const std::uint64_t tag = std::uint64_t{replica} + 1;
    const std::uint64_t cap = capacities_[static_cast<std::size_t>(owner)];
    std::uint64_t s = hash & (cap - 1);
    for (std::uint64_t probes = 0; probes < cap; ++probes) {
      std::uint64_t header[2];
      MPI_Get(header, 16, MPI_BYTE, owner, static_cast<MPI_Aint>(s * slot_bytes_), 16, MPI_BYTE,
              win_);
      MPI_Win_flush(owner, win_);
      if (header[1] == 0) return -1;
      if (header[0] == key && header[1] == tag) return static_cast<std::int64_t>(s);
      s = (s + 1) & (cap - 1);
    }
    return -1;
  }
  MPI_Aint value_disp(std::int64_t slot) const {
    return static_cast<MPI_Aint>(static_cast<std::uint64_t>(slot) * slot_bytes_ + 16);
  }
  MPI_Win window() const { return win_; }
  // Local view, after the round: the value of shard record i.
  const std::byte* local_value(std::size_t record) const {
    return base_ + slot_of_record_[record] * slot_bytes_ + 16;
  }
  void finish_round() {
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
    MPI_Win_sync(win_);
  }

 private:
  bool used(std::uint64_t s) const {
    std::uint64_t flag;
    std::memcpy(&flag, base_ + s * slot_bytes_ + 8, 8);
    return flag != 0;
  }

  MPI_Comm comm_;
  int ranks_ = 1;
  std::size_t value_bytes_, slot_bytes_;
  std::uint64_t capacity_ = 0;
  std::byte* base_ = nullptr;
  MPI_Win win_ = MPI_WIN_NULL;
  std::vector<std::uint64_t> capacities_;
  std::vector<std::uint64_t> slot_of_record_;
};

}  // namespace

std::vector<KeyCount> exchange_key_counts(std::span<const KeyCount> pairs,
                                          std::span<const std::uint64_t> send_counts, MPI_Comm comm,
                                          std::uint64_t max_per_round) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const auto P = static_cast<std::size_t>(ranks);
  if (send_counts.size() != P)
    throw Error("exchange_key_counts: " + std::to_string(send_counts.size()) + " send counts for " +
                std::to_string(ranks) + " ranks");
  max_per_round = std::min<std::uint64_t>(max_per_round, INT_MAX);
  if (max_per_round <= P)
    throw Error("exchange_key_counts: " + std::to_string(max_per_round) +
                " pairs per round cannot reach " + std::to_string(ranks) + " ranks");
  std::vector<std::uint64_t> recv_counts(P);
  MPI_Alltoall(send_counts.data(), 1, MPI_UINT64_T, recv_counts.data(), 1, MPI_UINT64_T, comm);
  std::vector<std::uint64_t> send_at(P + 1, 0), recv_at(P + 1, 0);  // 64-bit prefix sums
  for (std::size_t r = 0; r < P; ++r) {
    send_at[r + 1] = send_at[r] + send_counts[r];
    recv_at[r + 1] = recv_at[r] + recv_counts[r];
  }
  if (send_at[P] != pairs.size())
    throw Error("exchange_key_counts: the send counts add up to " + std::to_string(send_at[P]) +
                ", not to the " + std::to_string(pairs.size()) + " pairs");
  // Rounds: in round t of T every (source, destination) block of c pairs
  // sends its pairs [c t / T, c (t+1) / T), at most ceil(c / T) of them; with
  // T >= total / (max_per_round - ranks) on every rank, no round's count or
  // displacement passes max_per_round on either side.
  const std::uint64_t room = max_per_round - P;
  std::uint64_t rounds =
      std::max<std::uint64_t>(1, (std::max(send_at[P], recv_at[P]) + room - 1) / room);
  MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_UINT64_T, MPI_MAX, comm);
  auto cut = [rounds](std::uint64_t c, std::uint64_t t) {
    // c t / T without overflow: c < 2^63, t < T.
    return static_cast<std::uint64_t>(static_cast<u128>(c) * t / rounds);
  };
  MPI_Datatype pair_type;
  MPI_Type_contiguous(2, MPI_UINT64_T, &pair_type);
  MPI_Type_commit(&pair_type);
  std::vector<KeyCount> out(recv_at[P]);
  std::vector<int> sc(P), sd(P), rc(P), rd(P);
  std::vector<KeyCount> send_buf, recv_buf;
  for (std::uint64_t t = 0; t < rounds; ++t) {
    std::size_t ns = 0, nr = 0;
    for (std::size_t r = 0; r < P; ++r) {
      const std::uint64_t s0 = cut(send_counts[r], t), s1 = cut(send_counts[r], t + 1);
      const std::uint64_t r0 = cut(recv_counts[r], t), r1 = cut(recv_counts[r], t + 1);
      sd[r] = static_cast<int>(ns);
      sc[r] = static_cast<int>(s1 - s0);
      rd[r] = static_cast<int>(nr);
      rc[r] = static_cast<int>(r1 - r0);
      ns += s1 - s0;
      nr += r1 - r0;
    }
    send_buf.resize(ns);
    recv_buf.resize(nr);
    for (std::size_t r = 0; r < P; ++r)
      std::copy_n(pairs.begin() + static_cast<std::ptrdiff_t>(send_at[r] + cut(send_counts[r], t)),
                  sc[r], send_buf.begin() + sd[r]);
    MPI_Alltoallv(send_buf.data(), sc.data(), sd.data(), pair_type, recv_buf.data(), rc.data(),
                  rd.data(), pair_type, comm);
    for (std::size_t r = 0; r < P; ++r)
      std::copy_n(recv_buf.begin() + rd[r], rc[r],
                  out.begin() + static_cast<std::ptrdiff_t>(recv_at[r] + cut(recv_counts[r], t)));
  }
  MPI_Type_free(&pair_type);
  return out;
}

std::uint64_t processing_batch(const ProcessingConfig& cfg) {
  constexpr double kBatchSeconds = 0.05, kUpdateUs = 2;
  constexpr std::uint64_t kMin = 16, kMax = 16384;
  const double fits = kBatchSeconds * 1e6 / (kUpdateUs + cfg.work_inside_us + cfg.work_outside_us);
  std::uint64_t b = kMin;
  while (b < kMax && static_cast<double>(2 * b) <= fits) b *= 2;
  return b;
}

std::uint64_t apply_transform(const std::string& how, std::uint64_t v) {
  return how == "double" ? double_mod_p(v) : v + 1;
}

std::uint64_t apply_transform_n(const std::string& how, std::uint64_t v, std::uint64_t times) {
  if (how != "double") return v + times;  // mod 2^64
  return times == 0 ? v : mul_mod_p(to_unit(v), pow2_mod_p(times));
}

ProcessingStats run_processing_round(Shard& shard, const KeySpace& keys, const Placement& placement,
                                     const Membership& m, const ProcessingConfig& cfg,
                                     std::uint64_t round, MPI_Comm comm, bool lose_one_update,
                                     bool time_out_first_lock, StopToken* stop,
                                     std::uint32_t replicas, bool lose_one_replica_write) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  // The same arguments on every rank: every rank throws here, before any
  // collective.
  if (replicas < 1 || replicas > kMaxReplicas)
    throw Error("processing: " + std::to_string(replicas) + " replicas, not in [1, " +
                std::to_string(kMaxReplicas) + "]");
  if (replicas > 1 && !shard.track_replicas)
    throw Error("processing: " + std::to_string(replicas) +
                " replicas, but the shard keeps no replica indices");
  const std::uint32_t R = replicas;
  const bool replay = cfg.keys == "trace";
  if (replay && keys.distribution != KeyDistribution::kFile)
    throw Error(std::string("processing.keys = \"trace\" needs a key trace (keys.distribution = "
                            "\"file\"), not keys.distribution = \"") +
                to_string(keys.distribution) + "\"");
  // keys = "trace": this rank's share of the trace's requests, opened by
  // every rank before any other collective; a trace one rank cannot open
  // stops every rank with that rank's problem.
  std::optional<TraceRequests> trace;
  if (replay) {
    std::string problem;
    try {
      trace.emplace(keys, rank, ranks);
    } catch (const Error& err) {
      problem = err.what();
    }
    if (const std::string first = first_rank_problem(problem, comm); !first.empty())
      throw Error("processing: " + first);
  }
  ProcessingStats stats;
  auto store = std::make_unique<WindowStore>(shard, keys, comm);
  std::unique_ptr<RmaLockSet> locks;
  if (cfg.lock != "none") {
    LockOptions options;
    options.timeout_seconds = cfg.timeout_seconds;
    options.ranks_per_host = cfg.ranks_per_host;
    options.cohort_handoffs = cfg.cohort_handoffs;
    locks = make_lock_set(cfg.lock, comm, cfg.stripes, options);
  }
  if (locks && time_out_first_lock) locks->fail_next_acquire();
  MPI_Win win = store->window();
  const bool doubling = cfg.transform == "double";

  // The ranks of a key's replicas (replica 0 is the primary), each flushed
  // once after the writes to it.
  NodeId nodes[kMaxReplicas];
  int holder[kMaxReplicas];
  std::int64_t slots[kMaxReplicas];
  auto flush_holders = [&](std::uint32_t count) {
    for (std::uint32_t j = 0; j < count; ++j)
      if (std::find(holder, holder + j, holder[j]) == holder + j) MPI_Win_flush(holder[j], win);
  };

  std::uint64_t local[3] = {0, 0, 0};  // updates, reads, missed
  LatencyHistogram latency;
  // Operations per node (the key's primary, replica 0), every operation
  // issued, missed ones too: the request load each node would serve.
  std::vector<std::uint64_t> ops_per_node(m.nodes(), 0);
  // keys = "trace": the updates issued per key, counted as they are issued
  // (the trace is not read again for verification).
  KeyCounts issued;
  std::uint64_t replayed = 0;  // requests of this rank's share replayed
  bool replay_failed = false;  // a rank met a problem reading its share
  // Batches of `batch` operations (the last one may be shorter); the same
  // count on every rank, so the stop checks between them line up. A replay
  // reads each rank's share batch by batch and goes on while any rank has
  // requests left (cfg.updates, if not 0, caps each rank's replay).
  const std::uint64_t batch = processing_batch(cfg);
  const std::uint64_t batches = replay ? 0 : (cfg.updates + batch - 1) / batch;
  std::uint64_t ran = cfg.updates;  // operations per rank actually run (drawn streams)
  MPI_Barrier(comm);
  const double t0 = MPI_Wtime();
  bool more = replay || batches > 0;
  for (std::uint64_t b = 0; more; ++b) {
    std::uint64_t end = 0;
    Batch ops;
    if (replay) {
      const std::uint64_t want = cfg.updates ? std::min(batch, cfg.updates - replayed) : batch;
      ops = replay_batch(*trace, want, cfg, keys, round, rank, replayed);
      replayed += ops.choices.size();
      int flags[2] = {!trace->done() && (cfg.updates == 0 || replayed < cfg.updates) ? 1 : 0,
                      trace->problem().empty() ? 0 : 1};
      MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm);
      replay_failed = flags[1] != 0;
      more = flags[0] != 0 && !replay_failed;
      if (replay_failed) break;  // every rank, at the same batch
    } else {
      end = std::min(cfg.updates, (b + 1) * batch);
      ops = draw_batch(cfg, keys, round, rank, b * batch, end, comm);
      more = b + 1 < batches;
    }
    for (std::size_t o = 0; o < ops.choices.size(); ++o) {
      const Choice c = ops.choices[o];
      const std::uint64_t key = ops.keys[o];
      const std::uint64_t hash = keys.key_hash(key);
      if (R == 1)
        nodes[0] = placement.lookup(hash);
      else
        replica_owners(placement, m, hash, R, nodes);
      ++ops_per_node[nodes[0]];
      for (std::uint32_t j = 0; j < R; ++j) holder[j] = m.rank_of(nodes[j]);
      // The slots this operation touches (the table's shape is fixed for
      // the round, so they are found outside the lock): a read, the one
      // replica it reads (in slots[0]); a write, every replica. A key's
      // replicas are lost together or not at all (redistribution re-creates
      // those of surviving keys), so a missing first slot is a lost key.
      const std::uint32_t read_replica = c.replica_draw % R;
      const std::uint32_t first = c.read ? read_replica : 0;
      slots[0] = store->find(holder[first], key, hash, first);
      if (slots[0] < 0) {
        ++local[2];  // lost with every replica in a failure
        continue;
      }
      for (std::uint32_t j = 1; j < (c.read ? 1 : R); ++j) {
        slots[j] = store->find(holder[j], key, hash, j);
        if (slots[j] < 0)
          throw Error("processing: key " + std::to_string(key) + " has replica 0 on rank " +
                      std::to_string(holder[0]) + " but no replica " + std::to_string(j) +
                      " on rank " + std::to_string(holder[j]));
      }
      const int stripe = static_cast<int>(hash % static_cast<std::uint64_t>(cfg.stripes));
      // A write's first update by this rank: the test hooks' target.
      const bool first_write = !c.read && local[0] == 0;
      const double start = MPI_Wtime();
      if (c.read) {
        // Read-one: the drawn replica, under the primary's lock in shared
        // mode (every write holds it exclusively and completes all its
        // replicas before release, so any replica is current).
        const int target = holder[read_replica];
        const MPI_Aint disp = store->value_disp(slots[0]);
        std::uint64_t v = 0;
        if (!locks) {
          MPI_Fetch_and_op(nullptr, &v, MPI_UINT64_T, target, disp, MPI_NO_OP, win);
          MPI_Win_flush(target, win);
          busy_wait(cfg.work_inside_us);
        } else {
          locks->acquire_shared(holder[0], stripe);
          MPI_Get(&v, 8, MPI_BYTE, target, disp, 8, MPI_BYTE, win);
          MPI_Win_flush(target, win);
          busy_wait(cfg.work_inside_us);
          locks->release_shared(holder[0], stripe);
        }
      } else if (!locks) {
        // Lock-free baseline: the increment as one atomic accumulate on
        // every replica (replicas agree once the round's accumulates have
        // all landed, not in between).
        for (std::uint32_t j = 0; j < R; ++j) {
          std::uint64_t one = 1;
          if (first_write && (lose_one_update || (lose_one_replica_write && j == R - 1))) one = 0;
          MPI_Accumulate(&one, 1, MPI_UINT64_T, holder[j], store->value_disp(slots[j]), 1,
                         MPI_UINT64_T, MPI_SUM, win);
        }
        flush_holders(R);
        busy_wait(cfg.work_inside_us);
      } else {
        // Write-all: the primary's lock exclusively, the primary's value,
        // the transform, the new value to every replica, all flushed before
        // release.
        locks->acquire(holder[0], stripe);
        std::uint64_t v = 0;
        MPI_Get(&v, 8, MPI_BYTE, holder[0], store->value_disp(slots[0]), 8, MPI_BYTE, win);
        MPI_Win_flush(holder[0], win);
        busy_wait(cfg.work_inside_us);
        const std::uint64_t old = v;
        if (!(first_write && lose_one_update)) v = doubling ? double_mod_p(v) : v + 1;
        std::uint64_t out[kMaxReplicas];
        for (std::uint32_t j = 0; j < R; ++j) {
          out[j] = first_write && lose_one_replica_write && j == R - 1 ? old : v;
          MPI_Put(&out[j], 8, MPI_BYTE, holder[j], store->value_disp(slots[j]), 8, MPI_BYTE, win);
        }
        flush_holders(R);
        locks->release(holder[0], stripe);
      }
      latency.add((MPI_Wtime() - start) * 1e6);
      ++local[c.read ? 1 : 0];
      if (replay && !c.read) issued.add(key, 1);
      busy_wait(cfg.work_outside_us);
    }
    ++stats.batches;
    // A safe point: no lock held, every operation of the batch flushed.
    if (stop && more && stop->requested()) {
      ran = end;
      stats.stopped = true;
      break;
    }
  }
  const double mine = MPI_Wtime() - t0;
  store->finish_round();
  locks.reset();  // collective
  if (replay_failed) {
    const std::string first = first_rank_problem(trace->problem(), comm);
    store.reset();  // collective: every rank stops here
    throw Error("processing: " + first);
  }
  trace.reset();

  // Count the updates of this rank's stream (as far as it ran) per key, and
  // send (key, count) to every rank holding a replica of the key (once per
  // rank, however many of its replicas it holds: each got every update);
  // the holders sum them.
  const double v0 = MPI_Wtime();
  KeyCounts expected_updates;
  {
    KeyCounts mine_per_key;
    if (replay) mine_per_key = std::move(issued);
    // The same batches as the round (ran is the same on every rank).
    for (std::uint64_t first = 0; !replay && first < ran; first += batch) {
      const Batch ops =
          draw_batch(cfg, keys, round, rank, first, std::min(ran, first + batch), comm);
      for (std::size_t o = 0; o < ops.choices.size(); ++o)
        if (!ops.choices[o].read) mine_per_key.add(ops.keys[o], 1);
    }
    std::vector<std::uint64_t> send_counts(static_cast<std::size_t>(ranks), 0);
    // (destination rank, pair) for every distinct holder of every key.
    std::vector<std::pair<int, KeyCount>> dest;
    dest.reserve(mine_per_key.size());
    mine_per_key.for_each([&](const KeyCount& kc) {
      const std::uint64_t hash = keys.key_hash(kc.key);
      if (R == 1)
        nodes[0] = placement.lookup(hash);
      else
        replica_owners(placement, m, hash, R, nodes);
      for (std::uint32_t j = 0; j < R; ++j) {
        holder[j] = m.rank_of(nodes[j]);
        if (std::find(holder, holder + j, holder[j]) != holder + j) continue;
        dest.emplace_back(holder[j], kc);
        ++send_counts[static_cast<std::size_t>(holder[j])];
      }
    });
    mine_per_key = KeyCounts();
    std::vector<std::uint64_t> offset(static_cast<std::size_t>(ranks), 0);
    for (int r = 1; r < ranks; ++r)
      offset[static_cast<std::size_t>(r)] =
          offset[static_cast<std::size_t>(r - 1)] + send_counts[static_cast<std::size_t>(r - 1)];
    std::vector<KeyCount> pairs(dest.size());
    for (const auto& [r, kc] : dest) pairs[offset[static_cast<std::size_t>(r)]++] = kc;
    std::vector<std::pair<int, KeyCount>>().swap(dest);
    for (const KeyCount& kc : exchange_key_counts(pairs, send_counts, comm))
      expected_updates.add(kc.key, kc.count);
  }
  // Check every local record (every replica) exactly, then take the new
  // values into the shard; the checksum delta covers every replica changed.
  std::uint64_t wrong = 0, delta = 0;
  for (std::size_t i = 0; i < shard.size(); ++i) {
    const std::span<std::byte> value = shard.value(i);
    const std::byte* now = store->local_value(i);
    const std::uint64_t times = expected_updates.get(shard.keys[i]);
    // A value shorter than 8 bytes (variable sizes) keeps its first bytes
    // of the word: the transforms run on the word, zero-padded.
    std::uint64_t before = 0;
    std::memcpy(&before, value.data(), std::min<std::size_t>(value.size(), 8));
    if (first_word(now) != apply_transform_n(cfg.transform, before, times)) ++wrong;
    if (times) {
      delta -= record_digest(shard.keys[i], shard.replica_of(i), shard.value(i));
      std::memcpy(value.data(), now, std::min<std::size_t>(value.size(), 8));
      delta += record_digest(shard.keys[i], shard.replica_of(i), shard.value(i));
    }
  }
  const double verify = MPI_Wtime() - v0;
  store.reset();  // collective, on the normal path of every rank
  std::uint64_t sums[5], locals[5] = {local[0], local[1], local[2], wrong, shard.size()};
  MPI_Allreduce(locals, sums, 5, MPI_UINT64_T, MPI_SUM, comm);
  stats.updates = sums[0];
  stats.reads = sums[1];
  stats.missed = sums[2];
  stats.checked = sums[4];
  MPI_Allreduce(&delta, &stats.checksum_delta, 1, MPI_UINT64_T, MPI_SUM, comm);
  MPI_Allreduce(&mine, &stats.seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(&verify, &stats.verify_seconds, 1, MPI_DOUBLE, MPI_MAX, comm);

  // Latency percentiles over every rank's operations: the histograms summed
  // on rank 0.
  latency.reduce(0, comm);
  double pct[3] = {latency.percentile(0.5), latency.percentile(0.99), latency.max()};
  MPI_Bcast(pct, 3, MPI_DOUBLE, 0, comm);
  stats.latency_p50_us = pct[0];
  stats.latency_p99_us = pct[1];
  stats.latency_max_us = pct[2];

  // The request load's shape over the active nodes (0 without operations).
  MPI_Allreduce(MPI_IN_PLACE, ops_per_node.data(), static_cast<int>(ops_per_node.size()),
                MPI_UINT64_T, MPI_SUM, comm);
  std::uint64_t ops_total = 0;
  for (std::uint64_t x : ops_per_node) ops_total += x;
  if (ops_total > 0 && m.active_count() > 0)
    std::tie(stats.ops_peak_to_mean, stats.ops_cv) =
        load_shape(ops_per_node, m, static_cast<double>(ops_total));

  if (sums[3])
    throw VerificationError("processing after event " + std::to_string(round) + ": " +
                            std::to_string(sums[3]) +
                            " value(s) differ from the updates applied to them " +
                            "(lost or doubled updates) with lock '" + cfg.lock + "'" +
                            (stats.stopped ? " (round stopped early)" : ""));
  return stats;
}

}  // namespace ringsim
