#include "keys.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include "error.hpp"
#include "hash.hpp"

namespace ringsim {

namespace {
constexpr std::uint64_t kKeySalt = 0x6b6579736b657973ULL;    // "keyskeys"
constexpr std::uint64_t kHashSalt = 0x686173686b657973ULL;   // "hashkeys"
constexpr std::uint64_t kValueSalt = 0x76616c7565736565ULL;  // "valuesee"
constexpr std::uint64_t kSizeSalt = 0x76616c756573697aULL;   // "valuesiz"
}  // namespace

std::uint64_t KeySpace::key(std::uint64_t index) const {
  // Zipf keys are the uniform ones; only their request rates differ.
  if (distribution == KeyDistribution::kSequential) return index;
  if (distribution == KeyDistribution::kFile) {
    if (!holds(index)) {
      const std::uint64_t n = listed ? listed->size() : 0;
      throw Error("key index " + std::to_string(index) + " of the trace is not held here (this " +
                  "rank holds [" + std::to_string(listed_first) + ", " +
                  std::to_string(listed_first + n) + ")); resolve_trace_keys() asks its rank");
    }
    return (*listed)[index - listed_first];
  }
  return mix64(index ^ mix64(seed ^ kKeySalt));
}

bool KeySpace::holds(std::uint64_t index) const {
  if (distribution != KeyDistribution::kFile) return true;
  return listed && index >= listed_first && index - listed_first < listed->size();
}

double KeySpace::popularity(std::uint64_t k) const {
  if (distribution != KeyDistribution::kZipf) return 1.0;
  const std::uint64_t index = unmix64(k) ^ mix64(seed ^ kKeySalt);
  return std::pow(static_cast<double>(index) + 1.0, -zipf_exponent);
}

std::uint64_t KeySpace::key_hash(std::uint64_t k) const { return hash_u64(k, seed ^ kHashSalt); }

void KeySpace::fill_value(std::uint64_t k, std::span<std::byte> out) const {
  std::uint64_t word = hash_u64(k, seed ^ kValueSalt);
  for (std::size_t off = 0; off < out.size(); off += sizeof word) {
    const std::size_t n = std::min(sizeof word, out.size() - off);
    std::memcpy(out.data() + off, &word, n);
    word = mix64(word + 1);
  }
}

std::uint32_t KeySpace::value_size_of(std::uint64_t index, std::uint64_t k) const {
  const ValueSizeSpec& v = value_size;
  const auto clamp = [&](double x) {
    const double lo = static_cast<double>(v.min), hi = static_cast<double>(v.max);
    return static_cast<std::uint32_t>(std::llround(std::clamp(x, lo, hi)));
  };
  // A uniform draw in (0, 1) from (seed, key): the same on every rank.
  const std::uint64_t w = hash_u64(k, seed ^ kSizeSalt);
  const double u = (static_cast<double>(w >> 11) + 0.5) * 0x1p-53;
  switch (v.distribution) {
    case ValueSizeDistribution::kFixed:
      return static_cast<std::uint32_t>(value_bytes);
    case ValueSizeDistribution::kUniform:
      return static_cast<std::uint32_t>(v.min + (w >> 11) % (v.max - v.min + 1));
    case ValueSizeDistribution::kLognormal: {
      // The normal quantile of u: -sqrt(2) erfc^-1(2u).
      const double z = -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * u);
      const double mu = std::log(v.mean) - v.sigma * v.sigma / 2;
      return clamp(std::exp(mu + v.sigma * z));
    }
    case ValueSizeDistribution::kPareto: {
      const double scale = v.mean * (v.alpha - 1) / v.alpha;
      return clamp(scale * std::pow(u, -1.0 / v.alpha));
    }
    case ValueSizeDistribution::kTrace:
      if (!listed_sizes || !holds(index))
        throw Error("key index " + std::to_string(index) +
                    ": its trace value size is not held here");
      return (*listed_sizes)[index - listed_first];
  }
  return 0;
}

double KeySpace::nominal_value_bytes() const {
  const ValueSizeSpec& v = value_size;
  switch (v.distribution) {
    case ValueSizeDistribution::kFixed:
      break;
    case ValueSizeDistribution::kUniform:
      return (static_cast<double>(v.min) + static_cast<double>(v.max)) / 2;
    case ValueSizeDistribution::kLognormal:
    case ValueSizeDistribution::kPareto:
      return std::min(v.mean, static_cast<double>(v.max));
    case ValueSizeDistribution::kTrace:
      return trace_stats.sized ? trace_stats.value_bytes_mean() : 1024;
  }
  return static_cast<double>(value_bytes);
}

const char* to_string(ValueSizeDistribution d) {
  switch (d) {
    case ValueSizeDistribution::kFixed:
      return "fixed";
    case ValueSizeDistribution::kUniform:
      return "uniform";
    case ValueSizeDistribution::kLognormal:
      return "lognormal";
    case ValueSizeDistribution::kPareto:
      return "pareto";
    case ValueSizeDistribution::kTrace:
      return "trace";
  }
  return "?";
}

std::uint64_t KeySpace::share_begin(int rank, int ranks) const {
  // floor(count * rank / ranks) without the product overflowing 64 bits.
  const auto p = static_cast<std::uint64_t>(ranks), r = static_cast<std::uint64_t>(rank);
  return count / p * r + count % p * r / p;
}

const char* to_string(KeyDistribution d) {
  switch (d) {
    case KeyDistribution::kUniform:
      return "uniform";
    case KeyDistribution::kSequential:
      return "sequential";
    case KeyDistribution::kFile:
      return "file";
    case KeyDistribution::kZipf:
      return "zipf";
  }
  return "?";
}

namespace {
// "cannot read PATH: reason" from errno, or "" if the file opens and reads.
std::string read_problem(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "cannot read " + path + ": it is a folder";
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "cannot read " + path + ": " + std::strerror(errno);
  errno = 0;
  std::fgetc(f);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) return "cannot read " + path + ": " + std::strerror(err ? err : EIO);
  return "";
}
}  // namespace

std::string key_file_problem(const KeySpace& keys) {
  if (keys.distribution != KeyDistribution::kFile) return "";
  const std::string& p = keys.path.empty() ? keys.file : keys.path;
  if (p.empty()) return "keys.file: missing: distribution = \"file\" needs keys.file = \"path\"";
  const std::string problem = read_problem(p);
  return problem.empty() ? "" : "keys.file: " + problem;
}

std::uint64_t trace_line_key(std::string_view line) {
  std::uint64_t k = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), k);
  if (ec != std::errc() || end != line.data() + line.size() || line.empty())
    k = hash_bytes(line.data(), line.size(), 0);
  return k;
}

std::string trace_line_too_long(const std::string& path, std::uint64_t line) {
  return "keys.file: " + path + ": line " + std::to_string(line) + " is longer than " +
         std::to_string(kMaxTraceLineBytes) + " bytes (one key per line)";
}

namespace {
constexpr std::size_t kTraceBufferBytes = std::size_t{1} << 20;
}  // namespace

TraceReader::TraceReader(const std::string& path, std::uint64_t begin) {
  if (const std::string problem = read_problem(path); !problem.empty())
    throw Error("keys.file: " + problem);
  errno = 0;
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw Error("keys.file: cannot read " + path + ": " + std::strerror(errno));
  buf_.resize(kTraceBufferBytes);
  struct stat st {};
  if (::fstat(::fileno(f_), &st) != 0 || st.st_size < 0) {
    problem_ = std::strerror(errno ? errno : EIO);
    return;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (begin == 0 || begin >= size_) {
    next_ = std::min(begin, size_);
    return;
  }
  // The line that holds byte begin - 1 is someone else's: skip past its end.
  if (::fseeko(f_, static_cast<off_t>(begin - 1), SEEK_SET) != 0) {
    problem_ = std::strerror(errno ? errno : EIO);
    return;
  }
  next_ = begin - 1;
  while (pos_ < len_ || fill()) {
    const char* b = buf_.data() + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(b, '\n', len_ - pos_));
    const std::size_t n = nl ? static_cast<std::size_t>(nl - b) + 1 : len_ - pos_;
    pos_ += n;
    next_ += n;
    if (nl) return;
  }
}

TraceReader::~TraceReader() {
  if (f_) std::fclose(f_);
}

bool TraceReader::fill() {
  pos_ = 0;
  len_ = std::fread(buf_.data(), 1, buf_.size(), f_);
  if (len_ == 0 && std::ferror(f_)) problem_ = std::strerror(errno ? errno : EIO);
  return len_ > 0;
}

bool TraceReader::next(std::uint64_t limit, std::uint64_t& offset, std::string_view& line) {
  while (problem_.empty() && next_ < limit && next_ < size_) {
    offset = next_;
    long_.clear();
    std::string_view text;
    for (;;) {
      if (pos_ == len_ && !fill()) {
        if (!problem_.empty()) return false;
        text = long_;  // the file's last line, without a line end
        break;
      }
      const char* b = buf_.data() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(b, '\n', len_ - pos_));
      const std::size_t n = nl ? static_cast<std::size_t>(nl - b) : len_ - pos_;
      if (long_.size() + n > kMaxTraceLineBytes) {
        too_long_ = true;
        problem_ = "too long";
        return false;
      }
      const std::size_t used = n + (nl ? 1 : 0);
      pos_ += used;
      next_ += used;
      if (nl && long_.empty()) {
        text = std::string_view(b, n);
        break;
      }
      long_.append(b, n);
      if (nl) {
        text = long_;
        break;
      }
    }
    ++lines_;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) continue;
    line = text;
    return true;
  }
  return false;
}

TraceRangeReader::TraceRangeReader(const std::string& path, TraceFormat format, std::uint64_t begin)
    : path_(path), format_(format) {
  if (format != TraceFormat::kOracle) {
    lines_ = std::make_unique<TraceReader>(path, begin);
    size_ = lines_->size();
    return;
  }
  if (const std::string problem = read_problem(path); !problem.empty())
    throw Error("keys.file: " + problem);
  errno = 0;
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw Error("keys.file: cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(f_), &st) != 0 || st.st_size < 0) {
    problem_ = "cannot read " + path + ": " + std::strerror(errno ? errno : EIO);
    return;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  // The record that holds byte begin - 1 is someone else's.
  next_ =
      std::min(size_, (begin + kOracleRecordBytes - 1) / kOracleRecordBytes * kOracleRecordBytes);
  if (next_ > 0 && ::fseeko(f_, static_cast<off_t>(next_), SEEK_SET) != 0)
    problem_ = "cannot read " + path + ": " + std::strerror(errno ? errno : EIO);
  buf_.resize(kOracleRecordBytes * 43690);  // about 1 MiB
}

TraceRangeReader::~TraceRangeReader() {
  if (f_) std::fclose(f_);
}

std::uint64_t TraceRangeReader::lines() const { return lines_ ? lines_->lines() : 0; }

bool TraceRangeReader::next(std::uint64_t limit, std::uint64_t& offset, TraceRecord& record) {
  if (!problem_.empty()) return false;
  if (lines_) {
    std::string_view line;
    if (!lines_->next(limit, offset, line)) return false;
    if (std::string why = parse_trace_line(format_, line, record); !why.empty()) {
      problem_ = std::move(why);
      problem_line_ = lines_->lines();
      return false;
    }
    return true;
  }
  if (next_ >= limit || next_ >= size_) return false;
  if (size_ - next_ < kOracleRecordBytes) {
    problem_ = oracle_truncated(next_, size_ - next_, "byte offset");
    return false;
  }
  if (len_ - pos_ < kOracleRecordBytes) {
    const std::size_t keep = len_ - pos_;  // 0: reads start on record boundaries
    pos_ = 0;
    len_ = keep + std::fread(buf_.data(), 1, buf_.size(), f_);
    if (len_ < kOracleRecordBytes) {
      problem_ = "cannot read " + path_ + ": " +
                 (std::ferror(f_) ? std::strerror(errno ? errno : EIO) : "the file got shorter");
      return false;
    }
  }
  record = parse_oracle_record(buf_.data() + pos_);
  offset = next_;
  pos_ += kOracleRecordBytes;
  next_ += kOracleRecordBytes;
  return true;
}

std::string TraceRangeReader::problem(std::uint64_t lines_before) const {
  if (lines_ && lines_->too_long())
    return "keys.file: " + path_ + ": " +
           trace_line_too_long_problem(format_, lines_before + lines() + 1);
  if (lines_ && !lines_->problem().empty())
    return "keys.file: cannot read " + path_ + ": " + lines_->problem();
  if (problem_.empty()) return "";
  if (problem_.rfind("cannot read ", 0) == 0) return "keys.file: " + problem_;
  if (problem_line_ > 0)
    return "keys.file: " + path_ + ": line " + std::to_string(lines_before + problem_line_) + ": " +
           problem_;
  return "keys.file: " + path_ + ": " + problem_;
}

namespace {
const char* no_key_hint(TraceFormat f) {
  switch (f) {
    case TraceFormat::kLines:
      return " (one key per line)";
    case TraceFormat::kTwitter:
      return " (Twitter cache-trace CSV)";
    case TraceFormat::kOracle:
      return " (oracleGeneral records)";
  }
  return "";
}
}  // namespace

std::string trace_holds_no_key(const std::string& path, TraceFormat format) {
  return "keys.file: " + path + " holds no key" + no_key_hint(format);
}

std::vector<std::uint64_t> read_key_trace(const std::string& path) {
  return read_key_trace(path, TraceFormat::kLines, TraceCompression::kNone);
}

std::vector<std::uint64_t> read_key_trace(const std::string& path, TraceFormat format,
                                          TraceCompression compression, TraceStats* stats,
                                          std::vector<std::uint64_t>* value_bytes) {
  std::vector<std::uint64_t> keys;
  std::unordered_map<std::uint64_t, std::size_t> seen;  // key -> its index
  TraceStats st;
  if (value_bytes) value_bytes->clear();
  const auto take = [&](std::uint64_t, const TraceRecord& r) {
    st.add(r);
    const auto [at, fresh] = seen.emplace(r.key, keys.size());
    if (fresh) keys.push_back(r.key);
    if (!value_bytes) return;
    if (fresh) value_bytes->push_back(0);
    if (r.sized) (*value_bytes)[at->second] = std::max((*value_bytes)[at->second], r.value_bytes);
  };
  if (trace_is_zstd(path, compression)) {
    if (const std::string problem = read_problem(path); !problem.empty())
      throw Error("keys.file: " + problem);
    ZstdTraceChunks chunks(path, format);
    TraceChunk c;
    while (chunks.next(std::size_t{1} << 20, c)) {
      const std::string problem = parse_trace_chunk(format, c, take);
      if (!problem.empty()) throw Error("keys.file: " + path + ": " + problem);
    }
    if (!chunks.problem().empty()) throw Error(chunks.problem());
  } else {
    TraceRangeReader reader(path, format, 0);
    std::uint64_t offset = 0;
    TraceRecord r;
    while (reader.next(UINT64_MAX, offset, r)) take(offset, r);
    if (reader.failed()) throw Error(reader.problem(0));
  }
  if (keys.empty()) throw Error(trace_holds_no_key(path, format));
  if (stats) *stats = st;
  return keys;
}

void load_key_trace(KeySpace& ks, bool count_given, const std::string& source) {
  if (ks.distribution != KeyDistribution::kFile || ks.listed) return;
  // parse_experiment() resolved it against the experiment file's folder.
  const std::string path = ks.path.empty() ? ks.file : ks.path;
  std::vector<std::uint64_t> keys, sizes;
  const bool want_sizes = ks.value_size.distribution == ValueSizeDistribution::kTrace;
  try {
    keys = read_key_trace(path, ks.format, ks.compression, &ks.trace_stats,
                          want_sizes ? &sizes : nullptr);
  } catch (const Error& err) {
    throw Error(source + ": " + err.what());
  }
  if (count_given && ks.count > keys.size())
    throw Error(source + ": keys.count = " + std::to_string(ks.count) + " but " + path +
                " holds only " + std::to_string(keys.size()) + " distinct keys");
  if (!count_given) ks.count = keys.size();
  keys.resize(ks.count);
  keys.shrink_to_fit();
  if (want_sizes) {
    std::vector<std::uint32_t> held(ks.count);
    for (std::size_t i = 0; i < held.size(); ++i)
      held[i] = static_cast<std::uint32_t>(std::min(sizes[i], kMaxValueBytes));
    ks.listed_sizes = std::make_shared<const std::vector<std::uint32_t>>(std::move(held));
  }
  ks.listed = std::make_shared<const std::vector<std::uint64_t>>(std::move(keys));
  ks.listed_first = 0;
}

}  // namespace ringsim
