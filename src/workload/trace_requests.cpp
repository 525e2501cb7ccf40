#include "workload/trace_requests.hpp"

#include <filesystem>
#include <optional>
#include <system_error>

#include "error.hpp"

namespace ringsim {

namespace {

// The first byte of part r of [0, total) split into n parts, as the
// collective key load splits the file: floor(total r / n) without overflow.
std::uint64_t part_begin(std::uint64_t total, int r, int n) {
  const auto p = static_cast<std::uint64_t>(n), q = static_cast<std::uint64_t>(r);
  return total / p * q + total % p * q / p;
}

}  // namespace

// A plain trace: the records that start in [begin, end).
struct TraceRequests::Plain {
  std::optional<TraceRangeReader> reader;
  std::uint64_t begin = 0, end = 0;
  bool text = true;  // line numbers in problems count from begin
};

// A zstd trace: the decompressed chunks, the current chunk's requests of
// this rank and the position of the next request of the trace.
struct TraceRequests::Zstd {
  std::optional<ZstdTraceChunks> chunks;
  TraceFormat format = TraceFormat::kLines;
  std::string path;
  std::vector<TraceRecord> pending;
  std::size_t at = 0;
  std::uint64_t position = 0;
  std::uint64_t rank = 0, ranks = 1;
};

TraceRequests::TraceRequests(const KeySpace& keys, int rank, int ranks) {
  const std::string path = keys.path.empty() ? keys.file : keys.path;
  if (trace_is_zstd(path, keys.compression)) {
    zstd_ = std::make_unique<Zstd>();
    zstd_->chunks.emplace(path, keys.format);
    zstd_->format = keys.format;
    zstd_->path = path;
    zstd_->rank = static_cast<std::uint64_t>(rank);
    zstd_->ranks = static_cast<std::uint64_t>(ranks);
  } else {
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) throw Error("keys.file: cannot read " + path + ": " + ec.message());
    plain_ = std::make_unique<Plain>();
    plain_->begin = part_begin(size, rank, ranks);
    plain_->end = part_begin(size, rank + 1, ranks);
    plain_->text = keys.format != TraceFormat::kOracle;
    plain_->reader.emplace(path, keys.format, plain_->begin);
  }
  have_next_ = fetch();
}

TraceRequests::~TraceRequests() = default;

bool TraceRequests::fetch() {
  if (!problem_.empty()) return false;
  if (plain_) {
    std::uint64_t offset = 0;
    if (plain_->reader->next(plain_->end, offset, next_)) return true;
    if (plain_->reader->failed()) {
      problem_ = plain_->reader->problem(0);
      if (plain_->text)
        problem_ += " (lines counted from byte " + std::to_string(plain_->begin) +
                    ", where this rank's share starts)";
    }
    return false;
  }
  Zstd& z = *zstd_;
  while (z.at == z.pending.size()) {
    z.pending.clear();
    z.at = 0;
    TraceChunk chunk;
    if (!z.chunks->next(kTraceRequestChunkBytes, chunk)) {
      if (!z.chunks->problem().empty()) problem_ = z.chunks->problem();
      return false;
    }
    const std::string parsed =
        parse_trace_chunk(z.format, chunk, [&](std::uint64_t, const TraceRecord& r) {
          if (z.position++ % z.ranks == z.rank) z.pending.push_back(r);
        });
    if (!parsed.empty()) {
      problem_ = "keys.file: " + z.path + ": " + parsed;
      return false;
    }
  }
  next_ = z.pending[z.at++];
  return true;
}

std::size_t TraceRequests::next(std::size_t n, std::vector<TraceRecord>& out) {
  std::size_t got = 0;
  for (; got < n && have_next_; ++got) {
    out.push_back(next_);
    have_next_ = fetch();
  }
  return got;
}

std::string first_rank_problem(const std::string& mine, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  int me = mine.empty() ? ranks : rank, who = ranks;
  MPI_Allreduce(&me, &who, 1, MPI_INT, MPI_MIN, comm);
  if (who == ranks) return "";
  unsigned long long len = rank == who ? mine.size() : 0;
  MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, who, comm);
  std::string msg = rank == who ? mine : std::string(len, ' ');
  MPI_Bcast(msg.data(), static_cast<int>(len), MPI_CHAR, who, comm);
  return who == 0 ? msg : "rank " + std::to_string(who) + ": " + msg;
}

}  // namespace ringsim
