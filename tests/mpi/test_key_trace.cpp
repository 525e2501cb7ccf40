// Key traces loaded collectively (src/engine/key_trace): the same keys in the
// same order as the serial read, each rank holding only its share, keys of
// other shares resolved from their ranks, every problem reported on every
// rank, and a run whose moves do not depend on the rank count. Run at 1, 2
// and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/key_trace.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "keys.hpp"
#include "mpi_test_util.hpp"
#include "output/memory_sink.hpp"
#include "runner.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

// A folder every rank sees, made by rank 0 and named after its process.
const std::string& work_dir() {
  static const std::string dir = [] {
    long pid = world_rank() == 0 ? static_cast<long>(::getpid()) : 0;
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    const std::string d = testing::TempDir() + "/ringsim_key_trace_" + std::to_string(pid);
    if (world_rank() == 0) std::filesystem::create_directories(d);
    MPI_Barrier(MPI_COMM_WORLD);
    return d;
  }();
  return dir;
}

// Rank 0 writes `text` to work_dir()/name; every rank gets the path.
std::string write_trace(const std::string& name, const std::string& text) {
  const std::string path = work_dir() + "/" + name;
  if (world_rank() == 0) {
    // Written aside and renamed, so a rank still reading the file of the same
    // name from an earlier test keeps reading that one.
    {
      std::ofstream out(path + ".tmp", std::ios::binary);
      out << text;
    }
    std::filesystem::rename(path + ".tmp", path);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

// Duplicates, numeric and string keys, a number too large for 64 bits,
// CRLF, blank lines, a long line and no line end at the end.
std::string mixed_trace() {
  std::string t;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t r = rng() % 900;
    switch (i % 7) {
      case 0:
        t += "user:" + std::to_string(r) + "\n";
        break;
      case 1:
        t += std::to_string(r) + "\r\n";
        break;
      case 2:
        t += "\n";
        break;
      case 3:
        t += "18446744073709551616" + std::to_string(r % 5) + "\n";  // > 2^64: a string
        break;
      case 4:
        if (i % 500 == 4) t += std::string(5000, 'x') + std::to_string(i) + "\n";
        break;
      default:
        t += std::to_string(r * 1000003) + "\n";
    }
  }
  t += "last-line-without-end";
  return t;
}

KeySpace file_keys(const std::string& path) {
  KeySpace k;
  k.distribution = KeyDistribution::kFile;
  k.file = path;
  return k;
}

// Every rank's listed keys, joined in rank order (on every rank).
std::vector<std::uint64_t> gather_listed(const KeySpace& k) {
  const int n = static_cast<int>(k.listed->size());
  std::vector<int> counts(static_cast<std::size_t>(world_size())), displ(counts.size(), 0);
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displ[r] = total;
    total += counts[r];
  }
  std::vector<std::uint64_t> all(static_cast<std::size_t>(total));
  MPI_Allgatherv(k.listed->data(), n, MPI_UINT64_T, all.data(), counts.data(), displ.data(),
                 MPI_UINT64_T, MPI_COMM_WORLD);
  return all;
}

// The message load_key_trace threw on this rank ("" if none), after
// checking that every rank threw or none did.
std::string load_error(KeySpace& k, bool count_given, MPI_Comm comm = MPI_COMM_WORLD) {
  std::string what;
  try {
    load_key_trace(k, count_given, "exp.toml", comm);
  } catch (const Error& err) {
    what = err.what();
    if (what.empty()) what = "?";
  }
  int threw = what.empty() ? 0 : 1, all = 0, any = 0;
  MPI_Allreduce(&threw, &all, 1, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(&threw, &any, 1, MPI_INT, MPI_MAX, comm);
  EXPECT_EQ(all, any) << "some ranks threw, others did not: " << what;
  return what;
}

void expect_share(const KeySpace& k) {
  EXPECT_EQ(k.listed_first, k.share_begin(world_rank(), world_size()));
  EXPECT_EQ(k.listed->size(), k.share_begin(world_rank() + 1, world_size()) - k.listed_first);
}

TEST(KeyTrace, SameKeysInTheSameOrderAsTheSerialReadWhateverTheRoundSize) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::vector<std::uint64_t> serial = read_key_trace(path);
  ASSERT_GT(serial.size(), 500u);
  for (std::uint64_t round :
       {std::uint64_t{3}, std::uint64_t{64}, std::uint64_t{4099}, kTraceRoundBytes}) {
    KeySpace k = file_keys(path);
    load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD, round);
    EXPECT_EQ(k.count, serial.size()) << "round " << round;
    expect_share(k);
    EXPECT_EQ(gather_listed(k), serial) << "round " << round;
  }
}

TEST(KeyTrace, EachRankHoldsOnlyItsShare) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  KeySpace k = file_keys(path);
  load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD);
  const std::vector<std::uint64_t> serial = read_key_trace(path);
  const std::uint64_t first = k.share_begin(world_rank(), world_size());
  const std::uint64_t last = k.share_begin(world_rank() + 1, world_size());
  EXPECT_LE(k.listed->capacity(), last - first);
  for (std::uint64_t i = first; i < last; ++i) EXPECT_EQ(k.key(i), serial[i]);
  if (world_size() > 1) {
    const std::uint64_t other = first == 0 ? last : 0;  // an index of another rank's share
    EXPECT_FALSE(k.holds(other));
    EXPECT_THROW(k.key(other), Error);
  }
  EXPECT_THROW(k.key(k.count), Error);
}

TEST(KeyTrace, ResolveTraceKeysFromEveryRank) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  KeySpace k = file_keys(path);
  load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD);
  const std::vector<std::uint64_t> serial = read_key_trace(path);
  std::mt19937_64 rng(static_cast<std::uint64_t>(world_rank()) + 11);
  for (int batch = 0; batch < 3; ++batch) {
    // Rank 1 asks for nothing in the first batch; the others for many keys,
    // repeated indices and the first and last included.
    std::vector<std::uint64_t> idx;
    if (!(world_rank() == 1 && batch == 0)) {
      idx = {0, k.count - 1, 0};
      for (int j = 0; j < 500; ++j) idx.push_back(rng() % k.count);
    }
    const std::vector<std::uint64_t> got = resolve_trace_keys(k, idx, MPI_COMM_WORLD);
    ASSERT_EQ(got.size(), idx.size());
    for (std::size_t j = 0; j < idx.size(); ++j) EXPECT_EQ(got[j], serial[idx[j]]) << idx[j];
  }
  // Generated keys are resolved locally, the same as key(i).
  KeySpace uniform;
  uniform.count = 1000;
  const std::vector<std::uint64_t> idx = {5, 999, 0};
  const std::vector<std::uint64_t> got = resolve_trace_keys(uniform, idx, MPI_COMM_WORLD);
  for (std::size_t j = 0; j < idx.size(); ++j) EXPECT_EQ(got[j], uniform.key(idx[j]));
}

TEST(KeyTrace, KeysCountCapsTheSet) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::vector<std::uint64_t> serial = read_key_trace(path);
  for (std::uint64_t cap : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{37}}) {
    KeySpace k = file_keys(path);
    k.count = cap;
    load_key_trace(k, true, "exp.toml", MPI_COMM_WORLD, 64);
    EXPECT_EQ(k.count, cap);
    expect_share(k);
    EXPECT_EQ(gather_listed(k),
              std::vector<std::uint64_t>(serial.begin(), serial.begin() + static_cast<long>(cap)));
  }
}

// All distinct keys near the start, then only repeats; one key alone; keys
// whose first lines cluster in one place: the order is kept.
TEST(KeyTrace, SkewedFirstAppearances) {
  std::string t;
  for (int i = 0; i < 20000; ++i) t += std::to_string(i) + "\n";
  for (int i = 0; i < 200000; ++i) t += std::to_string((i * 7919) % 20000) + "\n";
  t += "late-1\nlate-2\n";
  for (const std::string& text : {t, std::string("same\nsame\nsame\n")}) {
    const std::string path = write_trace("skewed.txt", text);
    const std::vector<std::uint64_t> serial = read_key_trace(path);
    KeySpace k = file_keys(path);
    load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD, 1000);
    expect_share(k);
    EXPECT_EQ(gather_listed(k), serial);
  }
}

TEST(KeyTrace, ProblemsAreReportedOnEveryRankAsTheSerialReadReportsThem) {
  // No key: blank lines only; an empty file.
  for (const std::string& text : {std::string("\n\r\n\n"), std::string()}) {
    const std::string path = write_trace("blank.txt", text);
    KeySpace k = file_keys(path);
    EXPECT_EQ(load_error(k, false),
              "exp.toml: keys.file: " + path + " holds no key (one key per line)");
  }
  // More keys asked for than the trace holds.
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::size_t distinct = read_key_trace(path).size();
  KeySpace k = file_keys(path);
  k.count = distinct + 1;
  EXPECT_EQ(load_error(k, true), "exp.toml: keys.count = " + std::to_string(distinct + 1) +
                                     " but " + path + " holds only " + std::to_string(distinct) +
                                     " distinct keys");
  // A line too long, far into the file: the same line number as the serial read.
  std::string t;
  for (int i = 0; i < 4000; ++i) t += (i % 3 ? std::to_string(i) : std::string()) + "\n";
  const std::uint64_t start = t.size();  // the long line's first byte
  t += std::string(kMaxTraceLineBytes + 1, 'y') + "\nafter\n";
  const std::string long_path = write_trace("long.txt", t);
  std::string serial;
  try {
    read_key_trace(long_path);
  } catch (const Error& err) {
    serial = err.what();
  }
  EXPECT_NE(serial.find("line 4001 is longer than"), std::string::npos) << serial;
  KeySpace lk = file_keys(long_path);
  const std::string what = load_error(lk, false);
  // The rank whose byte range holds the line's start reports it.
  KeySpace bytes;
  bytes.count = t.size();
  int reader = 0;
  while (reader + 1 < world_size() && bytes.share_begin(reader + 1, world_size()) <= start)
    ++reader;
  const std::string who = reader > 0 ? "rank " + std::to_string(reader) + ": " : "";
  EXPECT_EQ(what, who + "exp.toml: " + serial);
  // A missing file.
  KeySpace gone = file_keys(work_dir() + "/nope.txt");
  EXPECT_EQ(load_error(gone, false), "exp.toml: keys.file: cannot read " + work_dir() +
                                         "/nope.txt: No such file or directory");
}

TEST(KeyTrace, ATraceMissingOrDifferentOnOneRankIsReportedByEveryRank) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::string shorter = write_trace("shorter.txt", mixed_trace().substr(100));
  KeySpace k = file_keys(world_rank() == 1 ? work_dir() + "/r1-missing.txt" : path);
  EXPECT_EQ(load_error(k, false), "rank 1: exp.toml: keys.file: cannot read " + work_dir() +
                                      "/r1-missing.txt: No such file or directory");
  KeySpace d = file_keys(world_rank() == 1 ? shorter : path);
  const std::string what = load_error(d, false);
  EXPECT_EQ(what.rfind("rank 1: exp.toml: keys.file: " + shorter + " has ", 0), 0u) << what;
  EXPECT_NE(what.find("bytes on rank 0 (every rank must read the same trace)"), std::string::npos);
  // Some ranks without a trace to load.
  KeySpace mixed = world_rank() == 0 ? file_keys(path) : KeySpace{};
  EXPECT_NE(load_error(mixed, false).find("needed on some ranks only"), std::string::npos);
}

TEST(KeyTrace, NothingToDoForGeneratedKeysOrAKeySpaceAlreadyLoaded) {
  KeySpace uniform;
  EXPECT_EQ(load_error(uniform, false), "");
  EXPECT_EQ(uniform.listed, nullptr);
  const std::string path = write_trace("mixed.txt", mixed_trace());
  KeySpace k = file_keys(path);
  load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD);
  const auto before = k.listed;
  load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD);
  EXPECT_EQ(k.listed, before);
  // The serial load, which validate_experiment calls, leaves it alone too.
  load_key_trace(k, false, "exp.toml");
  EXPECT_EQ(k.listed, before);
}

// The trace experiment on the whole world and on groups of 1 and 2 ranks,
// each loading the trace over its own ranks: the same loads and moves.
TEST(KeyTrace, ARunMovesTheSameKeysWhateverTheRankCount) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::string text = "[keys]\ndistribution = \"file\"\nfile = \"" + path +
                           "\"\n[cluster]\nnodes = 6\ninitial = 4\n[[strategies]]\nname = "
                           "\"ring\"\n[[strategies]]\nname = \"modulo\"\n[[events]]\nkind = "
                           "\"add\"\ncount = 2\n[[events]]\nkind = \"fail\"\n";
  const auto run = [&](MPI_Comm comm) {
    int n = 1;
    MPI_Comm_size(comm, &n);
    Experiment e = parse_experiment(text, "trace.toml", {});
    load_key_trace(e.keys, e.keys_count_given, e.source, comm);
    validate_experiment(e, n);
    RunOptions opt;
    opt.warmup = false;
    MemorySink sink;
    run_experiment(e, opt, comm, sink);
    return sink.strategies;
  };
  const std::vector<CollectedStrategy> whole = run(MPI_COMM_WORLD);
  ASSERT_EQ(whole.size(), 2u);
  for (int group : {1, 2}) {
    if (world_size() % group != 0 || group == world_size()) continue;
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank() / group, world_rank(), &sub);
    const std::vector<CollectedStrategy> part = run(sub);
    MPI_Comm_free(&sub);
    ASSERT_EQ(part.size(), whole.size());
    for (std::size_t s = 0; s < whole.size(); ++s) {
      EXPECT_EQ(part[s].initial_loads, whole[s].initial_loads) << group << " ranks";
      EXPECT_EQ(part[s].loads, whole[s].loads) << group << " ranks";
      ASSERT_EQ(part[s].events.size(), whole[s].events.size());
      for (std::size_t ev = 0; ev < whole[s].events.size(); ++ev)
        EXPECT_EQ(part[s].events[ev].keys_moved, whole[s].events[ev].keys_moved);
    }
  }
}

// value_size = "trace" on the Twitter sample: the same bytes moved on the
// whole world as on groups of 1 and 2 ranks (each loading the trace and its
// sizes over its own ranks), values' bytes included (that each key gets its
// own size is TraceValueSizesMatchTheSerialRead).
TEST(KeyTrace, TraceValueSizesMoveTheSameBytesWhateverTheRankCount) {
  const std::string path =
      std::string(RINGSIM_SOURCE_DIR) + "/experiments/data/sample-twitter.csv.zst";
  const std::string text = "[keys]\ndistribution = \"file\"\nfile = \"" + path +
                           "\"\nformat = \"twitter\"\nvalue_size = { distribution = \"trace\" }\n"
                           "[cluster]\nnodes = 7\ninitial = 4\n[[strategies]]\nname = "
                           "\"ring\"\n[[strategies]]\nname = \"modulo\"\n[[events]]\nkind = "
                           "\"add\"\ncount = 2\n[[events]]\nkind = \"fail\"\n";
  const auto run = [&](MPI_Comm comm) {
    int n = 1;
    MPI_Comm_size(comm, &n);
    Experiment e = parse_experiment(text, "trace.toml", {});
    load_key_trace(e.keys, e.keys_count_given, e.source, comm);
    validate_experiment(e, n);
    RunOptions opt;
    opt.warmup = false;
    MemorySink sink;
    run_experiment(e, opt, comm, sink);
    return sink.strategies;
  };
  const std::vector<CollectedStrategy> whole = run(MPI_COMM_WORLD);
  ASSERT_EQ(whole.size(), 2u);
  for (const auto& sr : whole) {
    // The joins move keys (the failure only loses the failed node's keys).
    const EventRecord& join = sr.events.at(0);
    ASSERT_GT(join.keys_moved, 1u);
    EXPECT_GT(join.bytes_moved, 8 * join.keys_moved) << "the values' bytes count";
  }
  for (int group : {1, 2}) {
    if (world_size() % group != 0 || group == world_size()) continue;
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank() / group, world_rank(), &sub);
    const std::vector<CollectedStrategy> part = run(sub);
    MPI_Comm_free(&sub);
    ASSERT_EQ(part.size(), whole.size());
    for (std::size_t s = 0; s < whole.size(); ++s)
      for (std::size_t ev = 0; ev < whole[s].events.size(); ++ev) {
        EXPECT_EQ(part[s].events[ev].keys_moved, whole[s].events[ev].keys_moved);
        EXPECT_EQ(part[s].events[ev].bytes_moved, whole[s].events[ev].bytes_moved)
            << group << " ranks, event " << ev;
      }
  }
}

// The processing stage draws key indices over the whole trace and asks the
// holding ranks for their keys: its verification passes, with no key missed.
TEST(KeyTrace, ProcessingOnATraceFindsEveryKeyItDraws) {
  const std::string path = write_trace("mixed.txt", mixed_trace());
  const std::string text = "[keys]\ndistribution = \"file\"\nfile = \"" + path +
                           "\"\n[cluster]\nnodes = 6\ninitial = 4\n[[strategies]]\nname = "
                           "\"ring\"\n[[events]]\nkind = \"add\"\n[processing]\nupdates = "
                           "300\nlock = \"mcs\"\n";
  Experiment e = parse_experiment(text, "trace.toml", {});
  load_key_trace(e.keys, e.keys_count_given, e.source, MPI_COMM_WORLD);
  validate_experiment(e, world_size());
  ASSERT_EQ(e.keys.listed->size(),
            e.keys.share_begin(world_rank() + 1, world_size()) - e.keys.listed_first);
  RunOptions opt;
  opt.warmup = false;
  MemorySink sink;
  EXPECT_NO_THROW(run_experiment(e, opt, MPI_COMM_WORLD, sink));
  ASSERT_EQ(sink.strategies.size(), 1u);
  for (const auto& ev : sink.strategies[0].events) {
    EXPECT_EQ(ev.updates_missed, 0u);
    EXPECT_EQ(ev.updates + ev.update_reads, 300u * static_cast<std::uint64_t>(world_size()));
  }
}

// --- trace formats, plain and zstd-compressed --------------------------------

const std::string kData = std::string(RINGSIM_SOURCE_DIR) + "/experiments/data/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string zstd(const std::string& plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

KeySpace format_keys(const std::string& path, TraceFormat f) {
  KeySpace k = file_keys(path);
  k.format = f;
  return k;
}

std::string serial_error(const std::string& path, TraceFormat f) {
  try {
    read_key_trace(path, f, TraceCompression::kAuto);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

// `what` is "exp.toml: " + serial, or that after "rank R: ".
void expect_serial_message(const std::string& what, const std::string& serial) {
  const std::string tail = "exp.toml: " + serial;
  ASSERT_FALSE(serial.empty());
  ASSERT_GE(what.size(), tail.size()) << what;
  EXPECT_EQ(what.substr(what.size() - tail.size()), tail) << what;
  const std::string head = what.substr(0, what.size() - tail.size());
  EXPECT_TRUE(head.empty() || (head.rfind("rank ", 0) == 0 && head.ends_with(": "))) << what;
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

// Each generated sample, collectively: the generator's keys in its order,
// the trace's statistics as the serial read finds them, for round sizes that
// cut records anywhere (and, compressed, many rounds of chunks).
TEST(KeyTraceFormats, EverySampleGivesTheGeneratorsKeysWhateverTheRoundSize) {
  for (const Sample& s : kSamples) {
    std::string base = s.file;
    if (base.ends_with(".zst")) base.resize(base.size() - 4);
    const std::vector<std::uint64_t> expected = read_key_trace(kData + base + ".keys");
    TraceStats serial;
    read_key_trace(kData + s.file, s.format, TraceCompression::kAuto, &serial);
    for (std::uint64_t round : {std::uint64_t{100}, std::uint64_t{4099}, kTraceRoundBytes}) {
      KeySpace k = format_keys(kData + s.file, s.format);
      load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD, round);
      EXPECT_EQ(k.count, expected.size()) << s.file << " round " << round;
      expect_share(k);
      EXPECT_EQ(gather_listed(k), expected) << s.file << " round " << round;
      EXPECT_EQ(k.trace_stats, serial) << s.file << " round " << round;
    }
  }
}

// value_size = "trace": each rank's keys come with the largest value size
// the trace gives them, as the serial read finds it, plain or compressed,
// whatever the round size; the sizes do differ from key to key.
TEST(KeyTraceFormats, TraceValueSizesMatchTheSerialRead) {
  for (const Sample& s : kSamples) {
    if (s.format == TraceFormat::kLines) continue;
    std::vector<std::uint64_t> serial;
    read_key_trace(kData + s.file, s.format, TraceCompression::kAuto, nullptr, &serial);
    for (std::uint64_t& v : serial) v = std::min(v, kMaxValueBytes);
    ASSERT_LT(*std::min_element(serial.begin(), serial.end()),
              *std::max_element(serial.begin(), serial.end()));
    for (std::uint64_t round : {std::uint64_t{100}, kTraceRoundBytes}) {
      KeySpace k = format_keys(kData + s.file, s.format);
      k.value_size.distribution = ValueSizeDistribution::kTrace;
      load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD, round);
      ASSERT_TRUE(k.listed_sizes) << s.file;
      ASSERT_EQ(k.listed_sizes->size(), k.listed->size()) << s.file;
      const std::uint64_t first = k.share_begin(world_rank(), world_size());
      std::uint64_t wrong = 0;
      for (std::uint64_t i = 0; i < k.listed->size(); ++i)
        wrong += k.value_size_of(first + i, k.key(first + i)) != serial[first + i];
      EXPECT_EQ(wrong, 0u) << s.file << " round " << round;
    }
  }
}

TEST(KeyTraceFormats, MalformedInputsAreReportedOnEveryRankAsTheSerialReadReportsThem) {
  // A bad Twitter line far into the trace (line 3001), plain and compressed.
  const std::string csv = slurp(kData + "sample-twitter.csv");
  std::string text;
  std::size_t at = 0;
  for (int i = 0; i < 3000; ++i) at = csv.find('\n', at) + 1;
  text = csv.substr(0, at) + "1585699300,nz:u:bad,7,notanumber,3,get,0\n" + csv.substr(at);
  for (const std::string& name : {std::string("bad.csv"), std::string("bad.csv.zst")}) {
    const std::string path = write_trace(name, name.ends_with(".zst") ? zstd(text) : text);
    const std::string serial = serial_error(path, TraceFormat::kTwitter);
    EXPECT_NE(serial.find(": line 3001: value size \"notanumber\" is not a non-negative integer"),
              std::string::npos)
        << serial;
    for (std::uint64_t round : {std::uint64_t{500}, kTraceRoundBytes}) {
      KeySpace k = format_keys(path, TraceFormat::kTwitter);
      std::string what;
      try {
        load_key_trace(k, false, "exp.toml", MPI_COMM_WORLD, round);
      } catch (const Error& err) {
        what = err.what();
      }
      int threw = what.empty() ? 0 : 1, all = 0;
      MPI_Allreduce(&threw, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
      EXPECT_EQ(all, 1) << name;
      expect_serial_message(what, serial);
    }
  }
  // A truncated oracle record at the end, plain and compressed.
  const std::string bin = slurp(kData + "sample-oracle.bin") + std::string(5, '\0');
  for (const std::string& name : {std::string("cut.bin"), std::string("cut.bin.zst")}) {
    const std::string path = write_trace(name, name.ends_with(".zst") ? zstd(bin) : bin);
    const std::string serial = serial_error(path, TraceFormat::kOracle);
    EXPECT_NE(serial.find("offset 240000 (5 of 24 bytes)"), std::string::npos) << serial;
    KeySpace k = format_keys(path, TraceFormat::kOracle);
    expect_serial_message(load_error(k, false), serial);
  }
  // A corrupt frame: rank 0 reads it and names the compressed byte.
  std::string z = zstd(csv);
  for (std::size_t i = z.size() / 2; i < z.size() / 2 + 64; ++i) z[i] = static_cast<char>(~z[i]);
  const std::string corrupt = write_trace("corrupt.csv.zst", z);
  const std::string serial = serial_error(corrupt, TraceFormat::kTwitter);
  EXPECT_NE(serial.find("corrupt zstd frame at compressed byte"), std::string::npos) << serial;
  KeySpace k = format_keys(corrupt, TraceFormat::kTwitter);
  EXPECT_EQ(load_error(k, false), "exp.toml: " + serial);
  // A bad line before a corrupt frame: the line comes first in the trace, so
  // it is the one reported, whichever rank parsed it.
  const std::string early = write_trace("early.csv.zst", zstd(text) + std::string(64, '\x55'));
  const std::string early_serial = serial_error(early, TraceFormat::kTwitter);
  EXPECT_NE(early_serial.find(": line 3001: "), std::string::npos) << early_serial;
  for (std::uint64_t round : {std::uint64_t{700}, kTraceRoundBytes}) {
    KeySpace e = format_keys(early, TraceFormat::kTwitter);
    std::string what;
    try {
      load_key_trace(e, false, "exp.toml", MPI_COMM_WORLD, round);
    } catch (const Error& err) {
      what = err.what();
    }
    expect_serial_message(what, early_serial);
  }
}

}  // namespace
}  // namespace ringsim
