// Cache-trace formats that [keys] distribution = "file" reads: what one line
// or record of each says (its key, value size, operation), the statistics of
// a trace beyond its keys, and a zstd-compressed trace decompressed in chunks
// that end on record boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ringsim {

// keys.format. kLines: one key per line (keys.hpp, trace_line_key). kTwitter:
// the Twitter cache-trace CSV, 7 comma-separated fields a line: timestamp,
// anonymized key, key size, value size, client id, operation, TTL; the key
// field is a key as a kLines line is (a number, else a hashed string).
// kOracle: libCacheSim's oracleGeneral binary, 24-byte little-endian records
// (uint32 timestamp, uint64 object id, uint32 object size, int64 next access
// virtual time); the key is the object id.
enum class TraceFormat { kLines, kTwitter, kOracle };

// A line of a text trace may hold at most kMaxTraceLineBytes bytes.
constexpr std::size_t kMaxTraceLineBytes = std::size_t{1} << 20;
// keys.compression: kAuto is zstd for a path ending in ".zst", else none.
enum class TraceCompression { kAuto, kNone, kZstd };

const char* to_string(TraceFormat f);
const char* to_string(TraceCompression c);
// Whether the trace at `path` is read through zstd.
bool trace_is_zstd(const std::string& path, TraceCompression c);

constexpr std::size_t kOracleRecordBytes = 24;

// One request of a trace.
struct TraceRecord {
  std::uint64_t key = 0;
  std::uint64_t value_bytes = 0;  // when `sized`
  bool sized = false;             // the format gives a value size (twitter, oracle)
  bool has_operation = false;     // the format names the operation (twitter)
  bool read = false;              // the operation is get or gets
};

// What a trace says beyond its keys, summed over its requests.
struct TraceStats {
  std::uint64_t requests = 0;         // lines or records that name a key
  std::uint64_t reads = 0;            // twitter: get and gets
  std::uint64_t other_ops = 0;        // twitter: every other operation
  std::uint64_t sized = 0;            // requests that give a value size
  std::uint64_t value_bytes_sum = 0;  // over the sized requests
  std::uint64_t value_bytes_max = 0;
  void add(const TraceRecord& r);
  void merge(const TraceStats& o);
  // Mean value size of the sized requests (0 if none).
  double value_bytes_mean() const;
  bool operator==(const TraceStats&) const = default;
};

// Parses one line of a text format (kLines or kTwitter; without its line end
// and not empty) into `out`. Returns "" or the problem, without the file or
// line: e.g. "expected 7 comma-separated fields (timestamp, key, key size,
// value size, client id, operation, TTL), got 5".
std::string parse_trace_line(TraceFormat f, std::string_view line, TraceRecord& out);

// The record of kOracleRecordBytes bytes at `p`.
TraceRecord parse_oracle_record(const unsigned char* p);

// The problem of a trace of the oracle format whose byte count is not a
// multiple of kOracleRecordBytes: "truncated record at byte offset N (K of 24
// bytes)", where `where` says whose offsets they are ("byte offset" or
// "decompressed byte offset").
std::string oracle_truncated(std::uint64_t offset, std::uint64_t have, const char* where);

// A piece of a trace's (decompressed) bytes that starts on a record boundary.
struct TraceChunk {
  std::uint64_t offset = 0;      // of its first byte in the trace's (decompressed) bytes
  std::uint64_t first_line = 1;  // text formats: the number of its first line
  std::vector<char> bytes;
};

// "line N is longer than kMaxTraceLineBytes bytes" and, for kLines, " (one
// key per line)".
std::string trace_line_too_long_problem(TraceFormat f, std::uint64_t line);

// Parses a chunk's records in order: f(offset, record) for each. For a text
// format a chunk is whole lines ('\n' ends a line, a '\r' before it is
// dropped, empty lines are skipped; the trace's last line may lack its end);
// for kOracle whole records, except that the trace's last chunk may end in a
// truncated one. Returns "" or the problem with where it is ("line N: ...",
// "truncated record at decompressed byte offset N ..."), after which it
// stops. `lines` gets the lines it went through (text formats).
template <class F>
std::string parse_trace_chunk(TraceFormat format, const TraceChunk& c, F&& f,
                              std::uint64_t* lines = nullptr) {
  const char* p = c.bytes.data();
  const std::size_t n = c.bytes.size();
  if (format == TraceFormat::kOracle) {
    std::size_t at = 0;
    for (; at + kOracleRecordBytes <= n; at += kOracleRecordBytes)
      f(c.offset + at, parse_oracle_record(reinterpret_cast<const unsigned char*>(p + at)));
    if (at < n) return oracle_truncated(c.offset + at, n - at, "decompressed byte offset");
    return "";
  }
  std::uint64_t line = c.first_line;
  std::size_t at = 0;
  std::string problem;
  while (at < n) {
    const auto* nl = static_cast<const char*>(std::memchr(p + at, '\n', n - at));
    const std::size_t end = nl ? static_cast<std::size_t>(nl - p) : n;
    std::string_view text(p + at, end - at);
    if (text.size() > kMaxTraceLineBytes) {
      problem = trace_line_too_long_problem(format, line);
      break;
    }
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) {
      TraceRecord r;
      if (std::string why = parse_trace_line(format, text, r); !why.empty()) {
        problem = "line " + std::to_string(line) + ": " + why;
        break;
      }
      f(c.offset + at, r);
    }
    ++line;
    at = end + (nl ? 1 : 0);
  }
  if (lines) *lines = line - c.first_line;
  return problem;
}

// Reads a zstd-compressed trace (one or more frames) with libzstd's streaming
// decompression and hands it out in chunks cut on record boundaries: memory is
// a fixed input buffer plus the chunk asked for, whatever the trace's size.
class ZstdTraceChunks {
 public:
  // Opens `path`; throws ringsim::Error ("keys.file: cannot read ...").
  ZstdTraceChunks(const std::string& path, TraceFormat format);
  ~ZstdTraceChunks();
  ZstdTraceChunks(const ZstdTraceChunks&) = delete;
  ZstdTraceChunks& operator=(const ZstdTraceChunks&) = delete;

  // The next chunk of about `bytes` decompressed bytes (at least one record
  // or line, ending on a record boundary unless it is the last); false when
  // the trace is done or after a problem (the whole records decoded before
  // a problem are handed out first). Text lines longer than
  // kMaxTraceLineBytes are a problem.
  bool next(std::size_t bytes, TraceChunk& out);
  // Whether the chunk returned last is the trace's last.
  bool done() const { return eof_ && pending_.empty(); }
  // "" or what went wrong, with the path: "keys.file: PATH: corrupt zstd
  // frame at compressed byte N: ...", "... truncated zstd frame ...", a line
  // too long, a read error.
  const std::string& problem() const { return problem_; }
  // Decompressed bytes handed out so far.
  std::uint64_t offset() const { return offset_; }

 private:
  bool decompress_more(std::size_t want);
  std::string path_;
  TraceFormat format_;
  std::FILE* f_ = nullptr;
  void* dctx_ = nullptr;
  std::vector<char> in_;
  std::size_t in_pos_ = 0, in_len_ = 0;
  std::uint64_t in_consumed_ = 0;  // compressed bytes before in_
  std::vector<char> pending_;      // decompressed, not handed out yet
  std::uint64_t offset_ = 0, line_ = 1;
  bool eof_ = false, in_frame_ = false, flush_ = false;
  std::string problem_;
};

}  // namespace ringsim
