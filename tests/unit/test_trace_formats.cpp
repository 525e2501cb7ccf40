// Key traces of every format (src/workload/trace_format, the serial reader of
// src/keys): the generated samples read back as the generator wrote them,
// plain and zstd-compressed alike; a malformed line or record, a corrupt or
// truncated zstd frame, each named with its file, place and problem.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "experiment.hpp"
#include "keys.hpp"
#include "workload/trace_format.hpp"

namespace ringsim {
namespace {

const std::string kData = std::string(RINGSIM_SOURCE_DIR) + "/experiments/data/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string write(const std::string& name, const std::string& bytes) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string zstd(const std::string& plain, int level = 3) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// The message read_key_trace throws ("" if none).
std::string read_error(const std::string& path, TraceFormat f,
                       TraceCompression c = TraceCompression::kAuto) {
  try {
    read_key_trace(path, f, c);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

struct Sample {
  const char* file;
  TraceFormat format;
};
const Sample kSamples[] = {
    {"sample-lines.txt", TraceFormat::kLines},
    {"sample-lines.txt.zst", TraceFormat::kLines},
    {"sample-twitter.csv", TraceFormat::kTwitter},
    {"sample-twitter.csv.zst", TraceFormat::kTwitter},
    {"sample-oracle.bin", TraceFormat::kOracle},
    {"sample-oracle.bin.zst", TraceFormat::kOracle},
};

// The distinct keys of each sample, in order, are the ones the generator
// (scripts/make-traces.py) listed in NAME.keys; plain and .zst agree on the
// statistics too.
TEST(TraceFormats, GeneratedSamplesReadBackAsWritten) {
  for (const Sample& s : kSamples) {
    std::string base = s.file;
    if (base.ends_with(".zst")) base.resize(base.size() - 4);
    const std::vector<std::uint64_t> expected = read_key_trace(kData + base + ".keys");
    TraceStats stats;
    const std::vector<std::uint64_t> got =
        read_key_trace(kData + s.file, s.format, TraceCompression::kAuto, &stats);
    EXPECT_EQ(got, expected) << s.file;
    EXPECT_GT(got.size(), 1000u) << s.file;
    EXPECT_EQ(stats.requests, 10000u) << s.file;
    TraceStats plain;
    read_key_trace(kData + base, s.format, TraceCompression::kNone, &plain);
    EXPECT_EQ(stats, plain) << s.file;
    if (s.format == TraceFormat::kLines) {
      EXPECT_EQ(stats.sized, 0u);
    } else {
      EXPECT_EQ(stats.sized, stats.requests) << s.file;
      EXPECT_GT(static_cast<double>(stats.value_bytes_max), 10 * stats.value_bytes_mean());
    }
    if (s.format == TraceFormat::kTwitter) {
      EXPECT_EQ(stats.reads + stats.other_ops, stats.requests);
      EXPECT_GT(stats.reads, stats.other_ops);  // the generator makes 75% get/gets
    } else {
      EXPECT_EQ(stats.reads + stats.other_ops, 0u) << s.file;
    }
  }
}

TEST(TraceFormats, TwitterFieldsOperationsAndSizes) {
  const std::string path = write("small.csv",
                                 "10,nz:u:abc,8,100,3,get,0\r\n"
                                 "10,42,2,7,3,set,3600\n"
                                 "\n"
                                 "11,nz:u:abc,8,900,4,gets,0\n"
                                 "12,tl:x,4,0,4,delete,0");
  TraceStats st;
  const auto keys = read_key_trace(path, TraceFormat::kTwitter, TraceCompression::kAuto, &st);
  // Keys are named as a lines trace names them: a number, else a hashed string.
  EXPECT_EQ(keys,
            (std::vector<std::uint64_t>{trace_line_key("nz:u:abc"), 42, trace_line_key("tl:x")}));
  EXPECT_EQ(st.requests, 4u);
  EXPECT_EQ(st.reads, 2u);
  EXPECT_EQ(st.other_ops, 2u);
  EXPECT_EQ(st.value_bytes_sum, 1007u);
  EXPECT_EQ(st.value_bytes_max, 900u);
  EXPECT_DOUBLE_EQ(st.value_bytes_mean(), 1007.0 / 4);
  // Per key: the largest value size any of its requests gives.
  std::vector<std::uint64_t> sizes;
  read_key_trace(path, TraceFormat::kTwitter, TraceCompression::kAuto, nullptr, &sizes);
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{900, 7, 0}));
  std::vector<std::uint64_t> none;
  read_key_trace(write("small.txt", "a\nb\na\n"), TraceFormat::kLines, TraceCompression::kAuto,
                 nullptr, &none);
  EXPECT_EQ(none, (std::vector<std::uint64_t>{0, 0}));
}

TEST(TraceFormats, OracleRecordsAreLittleEndianWithTheIdAsKey) {
  std::string bytes;
  const auto put = [&](std::uint32_t t, std::uint64_t id, std::uint32_t size, std::int64_t next) {
    char r[24];
    for (int i = 0; i < 4; ++i) r[i] = static_cast<char>(t >> (8 * i));
    for (int i = 0; i < 8; ++i) r[4 + i] = static_cast<char>(id >> (8 * i));
    for (int i = 0; i < 4; ++i) r[12 + i] = static_cast<char>(size >> (8 * i));
    const auto n = static_cast<std::uint64_t>(next);
    for (int i = 0; i < 8; ++i) r[16 + i] = static_cast<char>(n >> (8 * i));
    bytes.append(r, 24);
  };
  put(1, 0x0102030405060708ULL, 4096, 2);
  put(2, 77, 10, -1);
  put(3, 0x0102030405060708ULL, 5000, -1);
  TraceStats st;
  const auto keys =
      read_key_trace(write("o.bin", bytes), TraceFormat::kOracle, TraceCompression::kAuto, &st);
  EXPECT_EQ(keys, (std::vector<std::uint64_t>{0x0102030405060708ULL, 77}));
  EXPECT_EQ(st.value_bytes_max, 5000u);
  EXPECT_EQ(st.value_bytes_sum, 9106u);
  // The same compressed, in two frames.
  const std::string z = zstd(bytes.substr(0, 24)) + zstd(bytes.substr(24));
  EXPECT_EQ(read_key_trace(write("o2.bin.zst", z), TraceFormat::kOracle, TraceCompression::kAuto),
            keys);
}

TEST(TraceFormats, MalformedTwitterLinesNameFileLineAndProblem) {
  const std::string good = "1,k1,2,10,1,get,0\n2,k2,2,10,1,set,60\n";
  struct Case {
    std::string line, problem;
  };
  const Case cases[] = {
      {"3,k3,2,10,1,get",
       "expected 7 comma-separated fields (timestamp, key, key size, value size, "
       "client id, operation, TTL), got 6"},
      {"3,k3,2,10,1,get,0,9",
       "expected 7 comma-separated fields (timestamp, key, key size, "
       "value size, client id, operation, TTL), got 8"},
      {"3,k3,2,big,1,get,0", "value size \"big\" is not a non-negative integer"},
      {"3,k3,2,-5,1,get,0", "value size \"-5\" is not a non-negative integer"},
      {"x,k3,2,10,1,get,0", "timestamp \"x\" is not a non-negative integer"},
      {"3,k3,2,10,1,fetch,0",
       "operation \"fetch\" is not one of get, gets, set, add, replace, "
       "cas, append, prepend, delete, incr, decr"},
      {"3,,2,10,1,get,0", "the key is empty"},
  };
  for (const Case& c : cases) {
    const std::string text = good + "\n" + c.line + "\n" + good;  // line 4 (an empty line 3)
    const std::string path = write("bad.csv", text);
    EXPECT_EQ(read_error(path, TraceFormat::kTwitter),
              "keys.file: " + path + ": line 4: " + c.problem);
    // The same line number through zstd.
    const std::string zpath = write("bad.csv.zst", zstd(text));
    EXPECT_EQ(read_error(zpath, TraceFormat::kTwitter),
              "keys.file: " + zpath + ": line 4: " + c.problem);
  }
  // A lines trace read as twitter says why on its first line.
  EXPECT_NE(
      read_error(kData + "sample-lines.txt", TraceFormat::kTwitter).find(": line 1: expected 7"),
      std::string::npos);
}

TEST(TraceFormats, TruncatedOracleRecordNamesItsByteOffset) {
  const std::string bytes(24 * 2 + 10, '\1');
  const std::string path = write("cut.bin", bytes);
  EXPECT_EQ(read_error(path, TraceFormat::kOracle),
            "keys.file: " + path + ": truncated record at byte offset 48 (10 of 24 bytes)");
  const std::string zpath = write("cut.bin.zst", zstd(bytes));
  EXPECT_EQ(
      read_error(zpath, TraceFormat::kOracle),
      "keys.file: " + zpath + ": truncated record at decompressed byte offset 48 (10 of 24 bytes)");
  EXPECT_EQ(read_error(write("empty.bin", ""), TraceFormat::kOracle),
            "keys.file: " + testing::TempDir() + "/empty.bin holds no key (oracleGeneral records)");
}

TEST(TraceFormats, CorruptOrTruncatedZstdIsNamed) {
  const std::string plain = slurp(kData + "sample-lines.txt");
  const std::string z = zstd(plain);
  // Bytes changed in the middle of the frame.
  std::string bad = z;
  for (std::size_t i = bad.size() / 2; i < bad.size() / 2 + 64; ++i)
    bad[i] = static_cast<char>(~bad[i]);
  const std::string bad_path = write("corrupt.txt.zst", bad);
  const std::string e1 = read_error(bad_path, TraceFormat::kLines);
  EXPECT_EQ(e1.rfind("keys.file: " + bad_path + ": corrupt zstd frame at compressed byte ", 0), 0u)
      << e1;
  // The file ends inside the frame.
  const std::string cut_path = write("cut.txt.zst", z.substr(0, z.size() / 2));
  EXPECT_EQ(read_error(cut_path, TraceFormat::kLines)
                .rfind("keys.file: " + cut_path +
                           ": truncated zstd frame (the file ends at compressed byte " +
                           std::to_string(z.size() / 2) + ", inside a frame)",
                       0),
            0u)
      << read_error(cut_path, TraceFormat::kLines);
  // A plain file read as zstd: not a frame at all.
  const std::string e3 =
      read_error(kData + "sample-lines.txt", TraceFormat::kLines, TraceCompression::kZstd);
  EXPECT_EQ(
      e3.rfind(
          "keys.file: " + kData + "sample-lines.txt: corrupt zstd frame at compressed byte 0: ", 0),
      0u)
      << e3;
  // compression = "none" reads a .zst name as plain bytes: the same keys
  // when the bytes are plain.
  const std::string named = write("plain-named.txt.zst", "a\nb\n");
  EXPECT_EQ(read_key_trace(named, TraceFormat::kLines, TraceCompression::kNone).size(), 2u);
}

TEST(TraceFormats, ZstdLinesLongerThanTheLimitAreRefused) {
  std::string text = "a\nb\n";
  text += std::string(kMaxTraceLineBytes, 'x') + "\n";  // exactly the limit: a key
  text += std::string(kMaxTraceLineBytes + 1, 'y') + "\nz\n";
  const std::string path = write("long.txt.zst", zstd(text));
  EXPECT_EQ(read_error(path, TraceFormat::kLines), trace_line_too_long(path, 4));
}

// Chunks end on record boundaries, follow one another and add up to the
// decompressed trace, whatever the size asked for.
TEST(TraceFormats, ZstdChunksAreWholeRecords) {
  const std::string text = slurp(kData + "sample-twitter.csv");
  const std::string path = write("chunks.csv.zst", zstd(text.substr(0, 20000)));
  for (std::size_t want :
       {std::size_t{1}, std::size_t{7}, std::size_t{500}, std::size_t{1} << 20}) {
    ZstdTraceChunks chunks(path, TraceFormat::kTwitter);
    TraceChunk c;
    std::string joined;
    std::uint64_t line = 1;
    while (chunks.next(want, c)) {
      EXPECT_EQ(c.offset, joined.size());
      EXPECT_EQ(c.first_line, line);
      const std::string piece(c.bytes.begin(), c.bytes.end());
      if (!chunks.done()) {
        EXPECT_EQ(piece.back(), '\n');
      }
      line += static_cast<std::uint64_t>(std::count(piece.begin(), piece.end(), '\n'));
      joined += piece;
    }
    EXPECT_EQ(chunks.problem(), "");
    EXPECT_EQ(joined, text.substr(0, 20000)) << want;
  }
  const std::string opath = write("chunks.bin.zst", zstd(slurp(kData + "sample-oracle.bin")));
  ZstdTraceChunks chunks(opath, TraceFormat::kOracle);
  TraceChunk c;
  std::uint64_t total = 0;
  while (chunks.next(1000, c)) {
    EXPECT_EQ(c.bytes.size() % kOracleRecordBytes, 0u);
    total += c.bytes.size();
  }
  EXPECT_EQ(total, 240000u);
}

// Byte ranges of an oracle trace split anywhere: each record is read by the
// range that holds its first byte, once.
TEST(TraceFormats, OracleRangesStartOnRecordBoundaries) {
  const std::string path = kData + "sample-oracle.bin";
  std::vector<std::uint64_t> whole;
  {
    TraceRangeReader r(path, TraceFormat::kOracle, 0);
    std::uint64_t off = 0;
    TraceRecord rec;
    while (r.next(UINT64_MAX, off, rec)) whole.push_back(rec.key);
    EXPECT_FALSE(r.failed());
  }
  ASSERT_EQ(whole.size(), 10000u);
  for (std::uint64_t cut : {std::uint64_t{1}, std::uint64_t{24}, std::uint64_t{25},
                            std::uint64_t{47}, std::uint64_t{120001}}) {
    std::vector<std::uint64_t> joined;
    std::uint64_t off = 0;
    TraceRecord rec;
    TraceRangeReader a(path, TraceFormat::kOracle, 0);
    while (a.next(cut, off, rec)) {
      EXPECT_LT(off, cut);
      joined.push_back(rec.key);
    }
    TraceRangeReader b(path, TraceFormat::kOracle, cut);
    bool first = true;
    while (b.next(UINT64_MAX, off, rec)) {
      if (first) {
        EXPECT_EQ(off % kOracleRecordBytes, 0u);
      }
      first = false;
      EXPECT_GE(off, cut);
      joined.push_back(rec.key);
    }
    EXPECT_EQ(joined, whole) << "cut at " << cut;
  }
}

TEST(TraceFormats, ExperimentKeysFormatAndCompression) {
  Experiment e = parse_experiment(
      "[keys]\ndistribution = \"file\"\nfile = \"data/sample-twitter.csv.zst\"\nformat = "
      "\"twitter\"\ncompression = \"zstd\"\n[[strategies]]\nname = \"ring\"\n",
      std::string(RINGSIM_SOURCE_DIR) + "/experiments/x.toml");
  EXPECT_EQ(e.keys.format, TraceFormat::kTwitter);
  EXPECT_EQ(e.keys.compression, TraceCompression::kZstd);
  validate_experiment(e, 2);
  EXPECT_EQ(e.keys.count, read_key_trace(kData + "sample-twitter.csv.keys").size());
  EXPECT_EQ(e.keys.trace_stats.requests, 10000u);
  const auto error = [](const std::string& keys) {
    try {
      parse_experiment("[keys]\n" + keys + "\n[[strategies]]\nname = \"ring\"\n", "x.toml");
    } catch (const Error& err) {
      return std::string(err.what());
    }
    return std::string();
  };
  EXPECT_NE(error("format = \"csv\"")
                .find("keys.format: must be \"lines\", \"twitter\" or \"oracle\", got \"csv\""),
            std::string::npos)
      << error("format = \"csv\"");
  EXPECT_NE(error("compression = \"gzip\"").find("keys.compression: must be \"auto\""),
            std::string::npos)
      << error("compression = \"gzip\"");
}

}  // namespace
}  // namespace ringsim
