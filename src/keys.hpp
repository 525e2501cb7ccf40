// Keys and values, generated deterministically from (seed, key index), so that
// the key set of a run does not depend on the number of ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "workload/trace_format.hpp"

namespace ringsim {

// How keys are made and how often each is requested. kZipf keys are the
// uniform key set, with key index i requested in proportion to 1 / (i + 1)^s:
// the migration is the same as for uniform keys, but the request load per
// node (hot keys) differs.
enum class KeyDistribution { kUniform, kSequential, kFile, kZipf };

// keys.value_size: how many bytes each key's value holds. kFixed is
// keys.value_bytes for every key (the shard's fixed-size layout); the others
// give every key its own size in [0, kMaxValueBytes], a function of
// (seed, key) alone, so every rank and every strategy sees the same sizes:
//   uniform    min .. max bytes, each equally likely;
//   lognormal  exp(N(mu, sigma^2)) with mu = ln(mean) - sigma^2 / 2, so that
//              the mean before clamping is `mean`; rounded, clamped to
//              [min, max];
//   pareto     Pareto of shape alpha > 1 and scale mean (alpha - 1) / alpha
//              (mean `mean` before clamping), rounded, clamped to [min, max];
//   trace      the largest value size the key's requests in the trace give
//              (formats twitter and oracle), clamped to kMaxValueBytes.
// Clamping to max lowers the mean of the heavy-tailed ones: the run reports
// the sizes it made (value_bytes_total in the result file).
enum class ValueSizeDistribution { kFixed, kUniform, kLognormal, kPareto, kTrace };
inline constexpr std::uint64_t kMaxValueBytes = std::uint64_t{1} << 20;  // 1 MiB

struct ValueSizeSpec {
  ValueSizeDistribution distribution = ValueSizeDistribution::kFixed;
  std::uint64_t min = 0, max = kMaxValueBytes;  // uniform, lognormal, pareto
  double mean = 1024;                           // lognormal, pareto: bytes
  double sigma = 1.0;                           // lognormal
  double alpha = 1.5;                           // pareto
};

const char* to_string(ValueSizeDistribution d);

struct KeySpace {
  std::uint64_t count = 1'000'000;
  std::uint64_t seed = 1;
  KeyDistribution distribution = KeyDistribution::kUniform;
  std::size_t value_bytes = 8;  // kFixed value sizes: every value's bytes
  ValueSizeSpec value_size;     // keys.value_size
  std::string file;             // kFile: the trace, as written
  std::string path;             // kFile: `file` resolved against the experiment's folder
  TraceFormat format = TraceFormat::kLines;                // kFile: keys.format
  TraceCompression compression = TraceCompression::kAuto;  // kFile: keys.compression
  double zipf_exponent = 1.1;                              // kZipf: s
  // kFile: the trace's distinct keys in order of first appearance, those with
  // indices [listed_first, listed_first + listed->size()). The serial
  // load_key_trace() keeps all of them (listed_first = 0); the collective one
  // (engine/key_trace.hpp) keeps this rank's share only.
  std::shared_ptr<const std::vector<std::uint64_t>> listed;
  std::uint64_t listed_first = 0;
  // kFile with value_size = trace: the value size of each listed key, in the
  // same order.
  std::shared_ptr<const std::vector<std::uint32_t>> listed_sizes;
  // kFile, once loaded: what the whole trace says beyond its keys (requests,
  // reads and other operations, value sizes), the same on every rank. Not
  // used by the run yet: kept for per-key value sizes and request streams.
  TraceStats trace_stats;

  // The key with index i. Uniform keys are a bijection of the index, so no two
  // indices share a key; sequential keys are the index itself; file keys are
  // the trace's distinct keys in order, and this rank knows only the listed
  // ones: for another index key() throws ringsim::Error (resolve_trace_keys()
  // in engine/key_trace.hpp asks the rank that holds it).
  std::uint64_t key(std::uint64_t index) const;
  // kFile: whether key(index) is known here (always true otherwise).
  bool holds(std::uint64_t index) const;
  // Relative request rate of a key: 1 / (index + 1)^s for kZipf, 1 otherwise.
  double popularity(std::uint64_t key) const;
  // The 64-bit hash that placement strategies see.
  std::uint64_t key_hash(std::uint64_t key) const;
  // Whether values differ in size (keys.value_size other than fixed).
  bool variable_values() const { return value_size.distribution != ValueSizeDistribution::kFixed; }
  // The value size of the key with index `index` (its key `key`): value_bytes
  // for fixed sizes, else as ValueSizeSpec says; trace sizes need the index
  // held here (holds(index)).
  std::uint32_t value_size_of(std::uint64_t index, std::uint64_t key) const;
  // The mean value size the configuration promises, before any key is
  // made: value_bytes; uniform's midpoint; lognormal's and pareto's mean (at
  // most max: clamping only lowers it); a trace's mean over its sized
  // requests once loaded (else 1 KiB). For estimates; the run reports the
  // sizes it made.
  double nominal_value_bytes() const;
  // Fills a value derived from the key alone, so any rank can check it.
  void fill_value(std::uint64_t key, std::span<std::byte> out) const;

  // Indices [first, last) generated by `rank` of `ranks`.
  std::uint64_t share_begin(int rank, int ranks) const;
};

const char* to_string(KeyDistribution d);

// A key trace of the lines format has one key per line ('\n' ends a line, a
// '\r' before it is dropped, empty lines are skipped); a line of decimal
// digits that fits in 64 bits is that number, any other line is a string key
// hashed to 64 bits. A line may hold at most kMaxTraceLineBytes bytes
// (workload/trace_format.hpp, which has the other formats).

// The key a trace line (without its line end) names.
std::uint64_t trace_line_key(std::string_view line);

// Reads the lines of a trace that start in a byte range, in order, through a
// buffer of fixed size: memory does not grow with the trace.
class TraceReader {
 public:
  // Opens `path` and finds the first line that starts at or after byte
  // `begin` (the line holding byte begin - 1 belongs to whoever reads the
  // range before). Throws ringsim::Error ("keys.file: cannot read ...").
  TraceReader(const std::string& path, std::uint64_t begin);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // The next line (its first byte's offset, its text without the line end)
  // that starts before byte `limit`; false when there is none, at the end of
  // the file, or after a problem (see problem()). Empty lines are counted
  // and skipped. The text is valid until the next call.
  bool next(std::uint64_t limit, std::uint64_t& offset, std::string_view& line);
  // Lines started so far, empty ones included (at a problem: the lines
  // before the line that has it).
  std::uint64_t lines() const { return lines_; }
  // The file's size in bytes.
  std::uint64_t size() const { return size_; }
  // "" or what went wrong, without the path or line number: "too long" for a
  // line of more than kMaxTraceLineBytes bytes, else the read error.
  const std::string& problem() const { return problem_; }
  bool too_long() const { return too_long_; }

 private:
  bool fill();
  std::FILE* f_ = nullptr;
  std::vector<char> buf_;
  std::size_t pos_ = 0, len_ = 0;  // unread bytes: buf_[pos_, len_)
  std::uint64_t next_ = 0;         // offset of the next line's first byte
  std::uint64_t size_ = 0, lines_ = 0;
  std::string long_;  // a line that crosses the buffer's end
  std::string problem_;
  bool too_long_ = false;
};

// The message for a line longer than kMaxTraceLineBytes: "keys.file: PATH:
// line N is longer than ... bytes (one key per line)"; `line` counts from 1.
std::string trace_line_too_long(const std::string& path, std::uint64_t line);

// The records of a plain (uncompressed) trace of any format that start in a
// byte range, in order, through a buffer of fixed size. Lines as TraceReader
// gives them; oracle records from the first record boundary at or after
// `begin`.
class TraceRangeReader {
 public:
  // Throws ringsim::Error ("keys.file: cannot read ...").
  TraceRangeReader(const std::string& path, TraceFormat format, std::uint64_t begin);
  ~TraceRangeReader();
  TraceRangeReader(const TraceRangeReader&) = delete;
  TraceRangeReader& operator=(const TraceRangeReader&) = delete;

  // The next record (its first byte's offset) that starts before `limit`;
  // false when there is none or after a problem (failed()).
  bool next(std::uint64_t limit, std::uint64_t& offset, TraceRecord& record);
  bool failed() const { return !problem_.empty() || (lines_ && !lines_->problem().empty()); }
  // The problem, "keys.file: PATH: ...", its line number counted on from
  // `lines_before` lines before this reader's first line (0 for a whole trace).
  std::string problem(std::uint64_t lines_before) const;
  // Text formats: lines started so far (at a problem: those before its line).
  std::uint64_t lines() const;
  std::uint64_t size() const { return size_; }

 private:
  std::string path_;
  TraceFormat format_;
  std::unique_ptr<TraceReader> lines_;  // text formats
  std::FILE* f_ = nullptr;              // kOracle
  std::vector<unsigned char> buf_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t next_ = 0, size_ = 0;  // kOracle: the next record's offset
  std::string problem_;                // a line's problem (without "line N: "), or the oracle's
  std::uint64_t problem_line_ = 0;     // the line's number in this reader, from 1
};

// "keys.file: PATH holds no key (one key per line)", the hint naming the format.
std::string trace_holds_no_key(const std::string& path, TraceFormat format);

// Reads a key trace and returns its distinct keys in order of first
// appearance. Throws ringsim::Error naming the file if it cannot be read,
// holds no key or has a line that is too long.
std::vector<std::uint64_t> read_key_trace(const std::string& path);
// The same for a trace of any format, plain or zstd-compressed; `stats` (if
// given) gets what the trace says beyond its keys, and `value_bytes` (if
// given) the value size of each key returned, the largest any request of the
// trace gives it (0 for a format without sizes). A malformed line or record
// throws ringsim::Error naming the file, the line (or record byte offset) and
// the problem. (The collective load in engine/key_trace.hpp keeps the same
// per-key sizes, clamped to kMaxValueBytes, when keys.value_size is trace.)
std::vector<std::uint64_t> read_key_trace(const std::string& path, TraceFormat format,
                                          TraceCompression compression, TraceStats* stats = nullptr,
                                          std::vector<std::uint64_t>* value_bytes = nullptr);

// For a kFile key space without its keys yet: reads the trace and keeps its
// first keys.count distinct keys (all of them when `count_given` is false,
// setting keys.count), every one on this process. Throws ringsim::Error
// prefixed by `source`. A no-op for the other distributions and when
// keys.listed is set (the collective load_key_trace() in engine/key_trace.hpp
// has loaded this rank's share).
void load_key_trace(KeySpace& keys, bool count_given, const std::string& source);

// For a kFile key space: "" if this process can open and read the trace
// (`path`, else `file`), otherwise one line saying why not, e.g.
// "keys.file: cannot read /data/t.txt: No such file or directory". Reads at
// most one byte; "" for the other distributions. The collective
// load_key_trace() calls it on each rank and agrees on the first problem, so
// that a trace missing on some hosts is reported by every rank instead of
// stopping one rank alone.
std::string key_file_problem(const KeySpace& keys);

}  // namespace ringsim
