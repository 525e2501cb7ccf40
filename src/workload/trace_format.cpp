#include "workload/trace_format.hpp"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include "error.hpp"
#include "keys.hpp"

namespace ringsim {

const char* to_string(TraceFormat f) {
  switch (f) {
    case TraceFormat::kLines:
      return "lines";
    case TraceFormat::kTwitter:
      return "twitter";
    case TraceFormat::kOracle:
      return "oracle";
  }
  return "?";
}

const char* to_string(TraceCompression c) {
  switch (c) {
    case TraceCompression::kAuto:
      return "auto";
    case TraceCompression::kNone:
      return "none";
    case TraceCompression::kZstd:
      return "zstd";
  }
  return "?";
}

bool trace_is_zstd(const std::string& path, TraceCompression c) {
  if (c != TraceCompression::kAuto) return c == TraceCompression::kZstd;
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".zst") == 0;
}

void TraceStats::add(const TraceRecord& r) {
  ++requests;
  if (r.has_operation) ++(r.read ? reads : other_ops);
  if (r.sized) {
    ++sized;
    value_bytes_sum += r.value_bytes;
    value_bytes_max = std::max(value_bytes_max, r.value_bytes);
  }
}

void TraceStats::merge(const TraceStats& o) {
  requests += o.requests;
  reads += o.reads;
  other_ops += o.other_ops;
  sized += o.sized;
  value_bytes_sum += o.value_bytes_sum;
  value_bytes_max = std::max(value_bytes_max, o.value_bytes_max);
}

double TraceStats::value_bytes_mean() const {
  return sized == 0 ? 0.0 : static_cast<double>(value_bytes_sum) / static_cast<double>(sized);
}

namespace {

bool parse_u64(std::string_view s, std::uint64_t& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// Fields of the Twitter trace, in order.
constexpr std::array<const char*, 7> kTwitterFields = {
    "timestamp", "key", "key size", "value size", "client id", "operation", "TTL"};

std::string twitter_line(std::string_view line, TraceRecord& out) {
  std::array<std::string_view, 7> f;
  std::size_t count = 0, at = 0;
  for (;;) {
    const std::size_t comma = line.find(',', at);
    const std::string_view field =
        line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    if (count < f.size()) f[count] = field;
    ++count;
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  if (count != f.size())
    return "expected 7 comma-separated fields (timestamp, key, key size, value size, client id, "
           "operation, TTL), got " +
           std::to_string(count);
  std::uint64_t v = 0;
  for (std::size_t i : {std::size_t{0}, std::size_t{2}, std::size_t{3}, std::size_t{6}})
    if (!parse_u64(f[i], v))
      return std::string(kTwitterFields[i]) + " \"" + std::string(f[i].substr(0, 40)) +
             "\" is not a non-negative integer";
  if (f[1].empty()) return "the key is empty";
  const std::string_view op = f[5];
  static constexpr std::array<std::string_view, 11> kOps = {
      "get", "gets", "set", "add", "replace", "cas", "append", "prepend", "delete", "incr", "decr"};
  if (std::find(kOps.begin(), kOps.end(), op) == kOps.end())
    return "operation \"" + std::string(op.substr(0, 40)) +
           "\" is not one of get, gets, set, add, replace, cas, append, prepend, delete, incr, "
           "decr";
  out.key = trace_line_key(f[1]);
  parse_u64(f[3], out.value_bytes);
  out.sized = true;
  out.has_operation = true;
  out.read = op == "get" || op == "gets";
  return "";
}

std::uint64_t load_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string parse_trace_line(TraceFormat f, std::string_view line, TraceRecord& out) {
  out = TraceRecord{};
  if (f == TraceFormat::kTwitter) return twitter_line(line, out);
  out.key = trace_line_key(line);
  return "";
}

TraceRecord parse_oracle_record(const unsigned char* p) {
  // uint32 timestamp (p), uint64 object id (p + 4), uint32 size (p + 12),
  // int64 next access (p + 16): only the id and the size matter here.
  TraceRecord r;
  r.key = load_le(p + 4, 8);
  r.value_bytes = load_le(p + 12, 4);
  r.sized = true;
  return r;
}

std::string oracle_truncated(std::uint64_t offset, std::uint64_t have, const char* where) {
  return "truncated record at " + std::string(where) + " " + std::to_string(offset) + " (" +
         std::to_string(have) + " of " + std::to_string(kOracleRecordBytes) + " bytes)";
}

std::string trace_line_too_long_problem(TraceFormat f, std::uint64_t line) {
  return "line " + std::to_string(line) + " is longer than " + std::to_string(kMaxTraceLineBytes) +
         " bytes" + (f == TraceFormat::kLines ? " (one key per line)" : "");
}

ZstdTraceChunks::ZstdTraceChunks(const std::string& path, TraceFormat format)
    : path_(path), format_(format) {
  errno = 0;
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw Error("keys.file: cannot read " + path + ": " + std::strerror(errno));
  dctx_ = ZSTD_createDCtx();
  if (!dctx_) {
    std::fclose(f_);
    throw Error("keys.file: " + path + ": cannot allocate a zstd decompression context");
  }
  in_.resize(ZSTD_DStreamInSize());
}

ZstdTraceChunks::~ZstdTraceChunks() {
  if (dctx_) ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
  if (f_) std::fclose(f_);
}

bool ZstdTraceChunks::decompress_more(std::size_t want) {
  const std::size_t out_step = ZSTD_DStreamOutSize();
  while (pending_.size() < want && !eof_ && problem_.empty()) {
    if (in_pos_ == in_len_ && !flush_) {
      in_consumed_ += in_len_;
      in_pos_ = 0;
      in_len_ = std::fread(in_.data(), 1, in_.size(), f_);
      if (in_len_ == 0) {
        if (std::ferror(f_)) {
          problem_ = "keys.file: cannot read " + path_ + ": " + std::strerror(errno ? errno : EIO);
        } else if (in_frame_) {
          problem_ = "keys.file: " + path_ +
                     ": truncated zstd frame (the file ends at compressed " + "byte " +
                     std::to_string(in_consumed_) + ", inside a frame)";
        }
        eof_ = true;
        break;
      }
    }
    const std::size_t had = pending_.size();
    pending_.resize(had + out_step);
    ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
    ZSTD_outBuffer out{pending_.data() + had, out_step, 0};
    const std::size_t ret = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(dctx_), &out, &in);
    pending_.resize(had + out.pos);
    if (ZSTD_isError(ret)) {
      problem_ = "keys.file: " + path_ + ": corrupt zstd frame at compressed byte " +
                 std::to_string(in_consumed_ + in_pos_) + ": " + ZSTD_getErrorName(ret);
      break;
    }
    in_pos_ = in.pos;
    in_frame_ = ret != 0;
    flush_ = out.pos == out.size;  // the decoder may hold more output
  }
  return problem_.empty();
}

bool ZstdTraceChunks::next(std::size_t bytes, TraceChunk& out) {
  out.bytes.clear();
  const bool oracle = format_ == TraceFormat::kOracle;
  const std::size_t want = std::max<std::size_t>(bytes, oracle ? kOracleRecordBytes : 1);
  decompress_more(want);
  if (pending_.empty()) return false;
  // The last record boundary in the first `lim` bytes (0 if none).
  const auto boundary = [&](std::size_t lim) -> std::size_t {
    if (oracle) return lim / kOracleRecordBytes * kOracleRecordBytes;
    std::size_t nl = lim;
    while (nl > 0 && pending_[nl - 1] != '\n') --nl;
    return nl;
  };
  std::size_t cut = 0;
  if (!problem_.empty()) {
    // What was decoded before the problem, in whole records.
    cut = boundary(std::min(pending_.size(), want));
    if (cut == 0) return false;
  } else if (eof_ && pending_.size() <= want) {
    cut = pending_.size();
  } else {
    cut = boundary(std::min(pending_.size(), want));
    if (cut == 0) {
      // One line longer than `want`: its end, within the line limit.
      std::size_t from = 0;
      for (;;) {
        const auto* hit = static_cast<const char*>(
            std::memchr(pending_.data() + from, '\n', pending_.size() - from));
        if (hit) {
          cut = static_cast<std::size_t>(hit - pending_.data()) + 1;
          break;
        }
        from = pending_.size();
        if (from > kMaxTraceLineBytes) {
          problem_ = "keys.file: " + path_ + ": " + trace_line_too_long_problem(format_, line_);
          return false;
        }
        if (!problem_.empty()) return false;
        if (eof_) {
          cut = pending_.size();
          break;
        }
        decompress_more(std::min(pending_.size() * 2, kMaxTraceLineBytes + 2));
      }
    }
  }
  out.offset = offset_;
  out.first_line = line_;
  out.bytes.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(cut));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(cut));
  offset_ += cut;
  if (!oracle)
    line_ += static_cast<std::uint64_t>(std::count(out.bytes.begin(), out.bytes.end(), '\n'));
  return true;
}

}  // namespace ringsim
