#include "engine/key_trace.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>
#include <memory>
#include <optional>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "error.hpp"
#include "hash.hpp"

namespace ringsim {

namespace {

constexpr std::uint64_t kOwnerSalt = 0x74726163656f776eULL;  // "traceown"
constexpr std::uint64_t kSlotSalt = 0x7472616365736c6fULL;   // "traceslo"
// Bins of first offsets: 1024 per rank, at most 2^20 (8 MiB summed over the
// ranks). A bin of w bytes holds at most w / 2 first lines.
constexpr std::uint64_t kBinsPerRank = 1024;
constexpr std::uint64_t kMaxBins = std::uint64_t{1} << 20;

struct Pair {
  std::uint64_t a, b;
};

// A key's first appearance as one word: the offset of its first request in
// the high bits, the largest value size its requests give (clamped to
// kMaxValueBytes) in the low kSizeBits, so that the smallest word of a key
// is its first offset. Offsets stop at 2^43 (8 TiB of trace).
constexpr int kSizeBits = 21;
constexpr std::uint64_t kSizeMask = (std::uint64_t{1} << kSizeBits) - 1;
constexpr std::uint64_t kMaxOffset = std::uint64_t{1} << (64 - kSizeBits);
std::uint64_t seen_word(std::uint64_t offset, const TraceRecord& r) {
  const std::uint64_t size = r.sized ? std::min(r.value_bytes, kMaxValueBytes) : 0;
  return std::min(offset, kMaxOffset - 1) << kSizeBits | size;
}
std::uint64_t offset_of(std::uint64_t word) { return word >> kSizeBits; }
// Two sightings of one key: the earlier offset, the larger size.
std::uint64_t merge_seen(std::uint64_t x, std::uint64_t y) {
  return std::min(x & ~kSizeMask, y & ~kSizeMask) | std::max(x & kSizeMask, y & kSizeMask);
}

int comm_rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

int comm_size(MPI_Comm comm) {
  int n = 1;
  MPI_Comm_size(comm, &n);
  return n;
}

// The first of part r of [0, total) split into n parts: floor(total r / n),
// as KeySpace::share_begin.
std::uint64_t part_begin(std::uint64_t total, int r, int n) {
  const auto p = static_cast<std::uint64_t>(n), q = static_cast<std::uint64_t>(r);
  return total / p * q + total % p * q / p;
}

// The part (of n) of [0, total) that holds i < total.
int part_of(std::uint64_t total, std::uint64_t i, int n) {
  int lo = 0, hi = n - 1;  // part_begin(lo) <= i < part_begin(hi + 1)
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (part_begin(total, mid, n) <= i)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// Collective: `mine` of rank `who` on every rank, prefixed "rank R: " unless
// R is 0; "" if who is the rank count (no rank has a problem).
std::string share_problem(const std::string& mine, int who, MPI_Comm comm) {
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  if (who == ranks) return "";
  unsigned long long len = rank == who ? mine.size() : 0;
  MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, who, comm);
  std::string msg = rank == who ? mine : std::string(len, ' ');
  MPI_Bcast(msg.data(), static_cast<int>(len), MPI_CHAR, who, comm);
  return who == 0 ? msg : "rank " + std::to_string(who) + ": " + msg;
}

// Collective: the problem of the first rank that has one, on every rank,
// prefixed "rank R: " unless R is 0; "" if no rank has one.
std::string agree(const std::string& mine, MPI_Comm comm) {
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  int first = mine.empty() ? ranks : rank, who = ranks;
  MPI_Allreduce(&first, &who, 1, MPI_INT, MPI_MIN, comm);
  return share_problem(mine, who, comm);
}

// Collective: as agree(), but the problem that comes first in the trace:
// the one of smallest `position`, the lowest rank among equals.
std::string agree_first(const std::string& mine, std::uint64_t position, MPI_Comm comm) {
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  std::uint64_t at = mine.empty() ? UINT64_MAX : position, first = UINT64_MAX;
  MPI_Allreduce(&at, &first, 1, MPI_UINT64_T, MPI_MIN, comm);
  int me = !mine.empty() && at == first ? rank : ranks, who = ranks;
  MPI_Allreduce(&me, &who, 1, MPI_INT, MPI_MIN, comm);
  return share_problem(mine, who, comm);
}

// Collective: the trace statistics summed (the maximum: the largest) over
// the ranks.
TraceStats sum_stats(const TraceStats& s, MPI_Comm comm) {
  std::uint64_t sums[5] = {s.requests, s.reads, s.other_ops, s.sized, s.value_bytes_sum};
  std::uint64_t most = s.value_bytes_max;
  MPI_Allreduce(MPI_IN_PLACE, sums, 5, MPI_UINT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_UINT64_T, MPI_MAX, comm);
  TraceStats t;
  t.requests = sums[0];
  t.reads = sums[1];
  t.other_ops = sums[2];
  t.sized = sums[3];
  t.value_bytes_sum = sums[4];
  t.value_bytes_max = most;
  return t;
}

int as_count(std::uint64_t n) {
  if (n > static_cast<std::uint64_t>(INT_MAX))
    throw Error("key trace: " + std::to_string(n) +
                " items in one exchange, more than MPI counts can address");
  return static_cast<int>(n);
}

// Collective: MPI_Alltoallv of `send` (grouped by destination, scounts[d]
// items for rank d), receiving rcounts[s] items from rank s.
template <class T>
std::vector<T> alltoallv(const T* send, const std::vector<int>& scounts,
                         const std::vector<int>& rcounts, MPI_Datatype type, MPI_Comm comm) {
  const std::size_t n = scounts.size();
  std::vector<int> sdispl(n), rdispl(n);
  std::uint64_t s = 0, r = 0;
  for (std::size_t d = 0; d < n; ++d) {
    sdispl[d] = as_count(s);
    rdispl[d] = as_count(r);
    s += static_cast<std::uint64_t>(scounts[d]);
    r += static_cast<std::uint64_t>(rcounts[d]);
  }
  as_count(s);
  std::vector<T> recv(as_count(r));
  MPI_Alltoallv(send, scounts.data(), sdispl.data(), type, recv.data(), rcounts.data(),
                rdispl.data(), type, comm);
  return recv;
}

// Collective: items[j] to rank dest[j]; returns what this rank receives,
// grouped by source rank, each source's items in its order. `placed` (if
// given) gets where items[j] stood in the send buffer, `scounts` and
// `rcounts` the counts per rank.
template <class T>
std::vector<T> exchange(std::span<const T> items, std::span<const int> dest, MPI_Datatype type,
                        MPI_Comm comm, std::vector<std::size_t>* placed = nullptr,
                        std::vector<int>* scounts_out = nullptr,
                        std::vector<int>* rcounts_out = nullptr) {
  const auto ranks = static_cast<std::size_t>(comm_size(comm));
  std::vector<std::uint64_t> count(ranks, 0);
  for (int d : dest) ++count[static_cast<std::size_t>(d)];
  std::vector<int> scounts(ranks), rcounts(ranks);
  std::vector<std::size_t> at(ranks);
  std::size_t sum = 0;
  for (std::size_t d = 0; d < ranks; ++d) {
    scounts[d] = as_count(count[d]);
    at[d] = sum;
    sum += count[d];
  }
  std::vector<T> send(items.size());
  if (placed) placed->resize(items.size());
  for (std::size_t j = 0; j < items.size(); ++j) {
    const std::size_t pos = at[static_cast<std::size_t>(dest[j])]++;
    send[pos] = items[j];
    if (placed) (*placed)[j] = pos;
  }
  MPI_Alltoall(scounts.data(), 1, MPI_INT, rcounts.data(), 1, MPI_INT, comm);
  std::vector<T> recv = alltoallv(send.data(), scounts, rcounts, type, comm);
  if (scounts_out) *scounts_out = std::move(scounts);
  if (rcounts_out) *rcounts_out = std::move(rcounts);
  return recv;
}

// Gives the heap's free pages back to the system (glibc), so that memory
// freed in one stage of the load is not counted again in the next.
void give_back_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

// A send buffer grouped by destination rank, and its count per rank. The
// buffer is not initialized: its pages count only once they are written.
struct Outbox {
  std::unique_ptr<Pair[]> items;
  std::vector<int> counts;
  // Sizes the buffer for `at[d]` items to rank d and turns `at` into where
  // rank d's items start.
  void size_for(std::vector<std::size_t>& at) {
    counts.assign(at.size(), 0);
    std::size_t sum = 0;
    for (std::size_t d = 0; d < at.size(); ++d) {
      counts[d] = as_count(at[d]);
      const std::size_t n = at[d];
      at[d] = sum;
      sum += n;
    }
    items.reset(new Pair[sum]);
  }
};

// Collective: sends each rank its part of `out` (consumed); returns what
// this rank receives, grouped by source rank.
std::vector<Pair> exchange(Outbox&& out, MPI_Datatype type, MPI_Comm comm) {
  std::vector<int> rcounts(out.counts.size());
  MPI_Alltoall(out.counts.data(), 1, MPI_INT, rcounts.data(), 1, MPI_INT, comm);
  std::vector<Pair> recv = alltoallv(out.items.get(), out.counts, rcounts, type, comm);
  out = {};
  return recv;
}

// Keys with the smallest offset seen for each: 64 open-addressing tables
// (linear probing, at most 80% full, a Pair of 16 bytes a slot), chosen by
// the key's hash, so that growing one moves a 64th of the keys: 20 to 40
// bytes a key.
class FirstSeen {
 public:
  void insert(std::uint64_t key, std::uint64_t offset) {
    const std::uint64_t h = mix64(key ^ kSlotSalt);
    parts_[h >> 58].insert(key, offset, h);
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const Part& p : parts_) n += p.size;
    return n;
  }
  // f(key, offset) for each key, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const Part& p : parts_)
      for (const Pair& s : p.slots)
        if (s.b != kEmpty) f(s.a, s.b);
  }
  // for_each, freeing each table once it is visited (and the memory of
  // each eighth of them): the tables are empty after.
  template <class F>
  void drain(F&& f) {
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      for (const Pair& s : parts_[i].slots)
        if (s.b != kEmpty) f(s.a, s.b);
      parts_[i] = Part{};
      if (i % 8 == 7) give_back_free_memory();
    }
  }
  // Empties the tables and keeps their slots.
  void clear() {
    for (Part& p : parts_) {
      for (Pair& s : p.slots) s.b = kEmpty;
      p.size = 0;
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = UINT64_MAX;
  struct Part {
    std::vector<Pair> slots;
    std::size_t size = 0, mask = 0;
    void insert(std::uint64_t key, std::uint64_t offset, std::uint64_t h) {
      if ((size + 1) * 5 > slots.size() * 4) grow();
      std::size_t s = static_cast<std::size_t>(h) & mask;
      while (slots[s].b != kEmpty && slots[s].a != key) s = (s + 1) & mask;
      if (slots[s].b == kEmpty) {
        slots[s] = {key, offset};
        ++size;
      } else {
        slots[s].b = merge_seen(slots[s].b, offset);
      }
    }
    void grow() {
      std::vector<Pair> old = std::move(slots);
      slots.assign(std::max<std::size_t>(16, old.size() * 2), Pair{0, kEmpty});
      mask = slots.size() - 1;
      size = 0;
      for (const Pair& p : old)
        if (p.b != kEmpty) insert(p.a, p.b, mix64(p.a ^ kSlotSalt));
    }
  };
  std::array<Part, 64> parts_;
};

// A committed MPI type of two uint64 (a Pair), freed with the guard.
struct PairType {
  MPI_Datatype type = MPI_DATATYPE_NULL;
  PairType() {
    MPI_Type_contiguous(2, MPI_UINT64_T, &type);
    MPI_Type_commit(&type);
  }
  ~PairType() { MPI_Type_free(&type); }
  PairType(const PairType&) = delete;
  PairType& operator=(const PairType&) = delete;
};

}  // namespace

void load_key_trace(KeySpace& ks, bool count_given, const std::string& source, MPI_Comm comm,
                    std::uint64_t round_bytes) {
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  // Does any rank need the trace, and do all of them?
  const int wants = ks.distribution == KeyDistribution::kFile && !ks.listed ? 1 : 0;
  int in[2] = {wants, -wants}, all[2] = {0, 0};
  MPI_Allreduce(in, all, 2, MPI_INT, MPI_MAX, comm);
  if (all[0] == 0) return;
  if (all[1] != -1)
    throw Error(source + ": the key trace is needed on some ranks only (keys.distribution or " +
                "keys.file differs between ranks)");
  const auto fail = [&](const std::string& problem) {
    const std::string first = agree(problem.empty() ? "" : source + ": " + problem, comm);
    if (!first.empty()) throw Error(first);
  };

  // Every rank can read the file, and sees the same size.
  const std::string path = ks.path.empty() ? ks.file : ks.path;
  std::string problem = key_file_problem(ks);
  std::uint64_t size = 0;
  if (problem.empty()) {
    std::error_code ec;
    size = std::filesystem::file_size(path, ec);
    if (ec) problem = "keys.file: cannot read " + path + ": " + ec.message();
  }
  fail(problem);
  std::uint64_t size0 = size;
  MPI_Bcast(&size0, 1, MPI_UINT64_T, 0, comm);
  if (size != size0)
    problem = "keys.file: " + path + " has " + std::to_string(size) + " bytes here but " +
              std::to_string(size0) + " bytes on rank 0 (every rank must read the same trace)";
  fail(problem);

  const PairType pair;
  const auto owner_of = [ranks](std::uint64_t key) {
    return static_cast<std::size_t>(mix64(key ^ kOwnerSalt) % static_cast<std::uint64_t>(ranks));
  };
  FirstSeen owned, round_keys;
  TraceStats stats;
  // Each round's distinct keys (with their first offset) go to the rank
  // hash(key) mod P, which keeps the smallest offset per key.
  const auto send_round = [&] {
    Outbox sends;
    std::vector<std::size_t> at(static_cast<std::size_t>(ranks), 0);
    round_keys.for_each([&](std::uint64_t key, std::uint64_t) { ++at[owner_of(key)]; });
    sends.size_for(at);
    round_keys.for_each([&](std::uint64_t key, std::uint64_t off) {
      sends.items[at[owner_of(key)]++] = {key, off};
    });
    for (const Pair& p : exchange(std::move(sends), pair.type, comm)) owned.insert(p.a, p.b);
    round_keys.clear();
  };
  round_bytes = std::max<std::uint64_t>(1, round_bytes);
  const TraceFormat format = ks.format;
  if (!trace_is_zstd(path, ks.compression)) {
    // Read: the records that start in this rank's byte range, in rounds of
    // the same count on every rank.
    const std::uint64_t begin = part_begin(size, rank, ranks),
                        end = part_begin(size, rank + 1, ranks);
    const std::uint64_t widest =
        (size + static_cast<std::uint64_t>(ranks) - 1) / static_cast<std::uint64_t>(ranks);
    const std::uint64_t rounds =
        std::max<std::uint64_t>(1, (widest + round_bytes - 1) / round_bytes);
    std::optional<TraceRangeReader> reader;
    try {
      reader.emplace(path, format, begin);
    } catch (const Error& err) {
      problem = err.what();
    }
    fail(problem);
    for (std::uint64_t k = 0; k < rounds; ++k) {
      const std::uint64_t limit =
          k + 1 == rounds ? end : std::min(end, begin + (k + 1) * round_bytes);
      std::uint64_t offset = 0;
      TraceRecord rec;
      while (reader->next(limit, offset, rec)) {
        round_keys.insert(rec.key, seen_word(offset, rec));
        stats.add(rec);
      }
      send_round();
    }
    // A problem while reading, with its line number counted over the ranks.
    const std::uint64_t lines = reader->lines();
    std::uint64_t before = 0;
    MPI_Exscan(&lines, &before, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0) before = 0;
    if (reader->failed()) problem = reader->problem(before);
    reader.reset();
    round_keys = FirstSeen{};
    give_back_free_memory();
    fail(problem);
  } else {
    // A compressed trace cannot be split by byte range: rank 0 decompresses
    // it in rounds, each a chunk of about round_bytes for every rank in rank
    // order (sent as it is cut, so rank 0 holds two chunks at most), and
    // every rank parses its own. Offsets and line numbers are those of the
    // decompressed trace, so the order of first appearance is the same as
    // for the plain file.
    std::optional<ZstdTraceChunks> chunks;
    if (rank == 0) {
      try {
        chunks.emplace(path, format);
      } catch (const Error& err) {
        problem = err.what();
      }
    }
    fail(problem);
    std::uint64_t problem_at = 0;
    TraceChunk mine;
    for (bool more = true; more;) {
      if (rank == 0) {
        for (int d = 0; d < ranks; ++d) {
          TraceChunk c;
          const bool got = problem.empty() && chunks->next(round_bytes, c);
          if (!got) c.offset = chunks->offset();
          if (d == 0) {
            mine = std::move(c);
            continue;
          }
          std::uint64_t head[3] = {c.offset, c.first_line, c.bytes.size()};
          MPI_Send(head, 3, MPI_UINT64_T, d, 0, comm);
          MPI_Send(c.bytes.data(), as_count(c.bytes.size()), MPI_CHAR, d, 1, comm);
        }
        if (!chunks->problem().empty() && problem.empty()) {
          problem = chunks->problem();
          problem_at = chunks->offset();
        }
      } else {
        std::uint64_t head[3] = {0, 0, 0};
        MPI_Recv(head, 3, MPI_UINT64_T, 0, 0, comm, MPI_STATUS_IGNORE);
        mine.offset = head[0];
        mine.first_line = head[1];
        mine.bytes.resize(head[2]);
        MPI_Recv(mine.bytes.data(), as_count(head[2]), MPI_CHAR, 0, 1, comm, MPI_STATUS_IGNORE);
      }
      std::string parsed =
          parse_trace_chunk(format, mine, [&](std::uint64_t off, const TraceRecord& r) {
            round_keys.insert(r.key, seen_word(off, r));
            stats.add(r);
          });
      if (!parsed.empty() && (problem.empty() || mine.offset < problem_at)) {
        problem = "keys.file: " + path + ": " + parsed;
        problem_at = mine.offset;
      }
      send_round();
      // Another round while the trace goes on and no rank has a problem.
      int go[2] = {rank == 0 && !chunks->done() && chunks->problem().empty() ? 1 : 0,
                   problem.empty() ? 0 : 1};
      MPI_Bcast(&go[0], 1, MPI_INT, 0, comm);
      MPI_Allreduce(MPI_IN_PLACE, &go[1], 1, MPI_INT, MPI_MAX, comm);
      more = go[0] == 1 && go[1] == 0;
    }
    if (rank == 0) size = chunks->offset();
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, comm);
    chunks.reset();
    mine = {};
    round_keys = FirstSeen{};
    give_back_free_memory();
    const std::string first =
        agree_first(problem.empty() ? "" : source + ": " + problem, problem_at, comm);
    if (!first.empty()) throw Error(first);
  }
  ks.trace_stats = sum_stats(stats, comm);

  // Count the first offsets in fixed byte bins: a bin's first key index is
  // the number of distinct keys in the bins before it.
  const std::uint64_t most = std::min({kMaxBins, kBinsPerRank * static_cast<std::uint64_t>(ranks),
                                       std::max<std::uint64_t>(1, size)});
  const std::uint64_t width = std::max<std::uint64_t>(1, (size + most - 1) / most);
  const std::uint64_t bins = std::max<std::uint64_t>(1, (size + width - 1) / width);
  std::vector<std::uint64_t> first_index(bins, 0);
  owned.for_each(
      [&](std::uint64_t, std::uint64_t word) { ++first_index[offset_of(word) / width]; });
  MPI_Allreduce(MPI_IN_PLACE, first_index.data(), as_count(bins), MPI_UINT64_T, MPI_SUM, comm);
  std::uint64_t total = 0;
  for (std::uint64_t& b : first_index) {
    const std::uint64_t n = b;
    b = total;
    total += n;
  }
  if (total == 0) throw Error(source + ": " + trace_holds_no_key(path, format));
  if (count_given && ks.count > total)
    throw Error(source + ": keys.count = " + std::to_string(ks.count) + " but " + path +
                " holds only " + std::to_string(total) + " distinct keys");
  const std::uint64_t count = count_given ? ks.count : total;

  // Each key to the rank that numbers its bin: bins in order, so that each
  // rank numbers about total / P keys (bins past the count are dropped). The
  // tables are freed as the send buffer fills.
  const auto numberer = [&](std::uint64_t word) -> int {
    const std::uint64_t at = first_index[offset_of(word) / width];
    return at >= count ? -1 : part_of(total, at, ranks);
  };
  Outbox out;
  {
    std::vector<std::size_t> at(static_cast<std::size_t>(ranks), 0);
    owned.for_each([&](std::uint64_t, std::uint64_t off) {
      if (const int d = numberer(off); d >= 0) ++at[static_cast<std::size_t>(d)];
    });
    out.size_for(at);
    owned.drain([&](std::uint64_t key, std::uint64_t off) {
      if (const int d = numberer(off); d >= 0)
        out.items[at[static_cast<std::size_t>(d)]++] = {off, key};
    });
  }
  std::vector<Pair> mine = exchange(std::move(out), pair.type, comm);
  std::sort(mine.begin(), mine.end(), [](const Pair& x, const Pair& y) { return x.a < y.a; });
  const std::uint64_t base = mine.empty() ? 0 : first_index[offset_of(mine.front().a) / width];
  first_index = {};

  // Then each key to the rank whose share holds its index. The indices are
  // consecutive on each rank and ascend with the rank, so what a rank
  // receives, in rank order, is its share in order: only the keys travel,
  // sent from the key field of each (offset, key) pair.
  ks.count = count;
  if (base + mine.size() > count) mine.resize(count > base ? count - base : 0);
  std::vector<int> scounts(static_cast<std::size_t>(ranks), 0), rcounts(scounts.size());
  for (std::size_t j = 0; j < mine.size(); ++j)
    ++scounts[static_cast<std::size_t>(part_of(count, base + j, ranks))];
  MPI_Alltoall(scounts.data(), 1, MPI_INT, rcounts.data(), 1, MPI_INT, comm);
  const std::uint64_t first = ks.share_begin(rank, ranks), last = ks.share_begin(rank + 1, ranks);
  std::uint64_t arriving = 0;
  for (int n : rcounts) arriving += static_cast<std::uint64_t>(n);
  if (arriving != last - first)
    throw Error("key trace: rank " + std::to_string(rank) + " is sent " + std::to_string(arriving) +
                " keys for a share of " + std::to_string(last - first));
  as_count(mine.size());
  as_count(arriving);
  std::vector<std::uint64_t> listed(last - first);
  // With value_size = trace, each key's size travels the same way.
  const bool sizes = ks.value_size.distribution == ValueSizeDistribution::kTrace;
  std::vector<std::uint32_t> listed_sizes(sizes ? last - first : 0);
  {
    MPI_Datatype key_field = MPI_DATATYPE_NULL;
    MPI_Type_create_resized(MPI_UINT64_T, 0, static_cast<MPI_Aint>(sizeof(Pair)), &key_field);
    MPI_Type_commit(&key_field);
    std::vector<int> sdispl(scounts.size()), rdispl(scounts.size());
    for (std::size_t d = 1; d < scounts.size(); ++d) {
      sdispl[d] = sdispl[d - 1] + scounts[d - 1];
      rdispl[d] = rdispl[d - 1] + rcounts[d - 1];
    }
    MPI_Alltoallv(mine.empty() ? nullptr : &mine.front().b, scounts.data(), sdispl.data(),
                  key_field, listed.data(), rcounts.data(), rdispl.data(), MPI_UINT64_T, comm);
    MPI_Type_free(&key_field);
    if (sizes) {
      std::vector<std::uint32_t> sent(mine.size());
      for (std::size_t j = 0; j < mine.size(); ++j)
        sent[j] = static_cast<std::uint32_t>(mine[j].a & kSizeMask);
      MPI_Alltoallv(sent.data(), scounts.data(), sdispl.data(), MPI_UINT32_T, listed_sizes.data(),
                    rcounts.data(), rdispl.data(), MPI_UINT32_T, comm);
    }
  }
  mine = {};
  give_back_free_memory();
  ks.listed = std::make_shared<const std::vector<std::uint64_t>>(std::move(listed));
  ks.listed_first = first;
  if (sizes)
    ks.listed_sizes = std::make_shared<const std::vector<std::uint32_t>>(std::move(listed_sizes));
}

std::vector<std::uint64_t> resolve_trace_keys(const KeySpace& keys,
                                              std::span<const std::uint64_t> indices,
                                              MPI_Comm comm) {
  std::vector<std::uint64_t> out;
  out.reserve(indices.size());
  if (keys.distribution != KeyDistribution::kFile) {
    for (std::uint64_t i : indices) out.push_back(keys.key(i));
    return out;
  }
  const int ranks = comm_size(comm);
  std::vector<int> dest(indices.size());
  for (std::size_t j = 0; j < indices.size(); ++j) {
    if (indices[j] >= keys.count)
      throw Error("resolve_trace_keys: key index " + std::to_string(indices[j]) +
                  " is not below keys.count = " + std::to_string(keys.count));
    dest[j] = part_of(keys.count, indices[j], ranks);
  }
  std::vector<std::size_t> placed;
  std::vector<int> scounts, rcounts;
  std::vector<std::uint64_t> asked =
      exchange<std::uint64_t>(indices, dest, MPI_UINT64_T, comm, &placed, &scounts, &rcounts);
  for (std::uint64_t& i : asked) i = keys.key(i);
  const std::vector<std::uint64_t> back =
      alltoallv(asked.data(), rcounts, scounts, MPI_UINT64_T, comm);
  for (std::size_t j = 0; j < indices.size(); ++j) out.push_back(back[placed[j]]);
  return out;
}

}  // namespace ringsim
