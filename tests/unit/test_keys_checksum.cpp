// Key generation and the order-independent checksum that verification relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "checksum.hpp"
#include "error.hpp"
#include "hash.hpp"
#include "keys.hpp"

namespace ringsim {
namespace {

TEST(Keys, ShareBoundariesCoverEveryIndexOnceForAnyRankCount) {
  KeySpace k;
  k.count = 1'000'003;
  for (int ranks : {1, 2, 3, 7, 64}) {
    EXPECT_EQ(k.share_begin(0, ranks), 0u);
    EXPECT_EQ(k.share_begin(ranks, ranks), k.count);
    for (int r = 0; r < ranks; ++r) EXPECT_LE(k.share_begin(r, ranks), k.share_begin(r + 1, ranks));
  }
}

TEST(Keys, UniformKeysAreDistinctAndDependOnTheSeed) {
  KeySpace a, b;
  a.seed = 1;
  b.seed = 2;
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < 200'000; ++i) seen.insert(a.key(i));
  EXPECT_EQ(seen.size(), 200'000u);
  EXPECT_NE(a.key(0), b.key(0));
}

TEST(Keys, SequentialKeysAreTheIndex) {
  KeySpace k;
  k.distribution = KeyDistribution::kSequential;
  EXPECT_EQ(k.key(12345), 12345u);
}

TEST(Keys, ValuesAreAFunctionOfTheKeyAndFillEveryByte) {
  KeySpace k;
  std::vector<std::byte> v1(24), v2(24);
  k.fill_value(99, v1);
  k.fill_value(99, v2);
  EXPECT_EQ(v1, v2);
  k.fill_value(100, v2);
  EXPECT_NE(v1, v2);
  // The third word differs from the first: values are not one word repeated.
  EXPECT_FALSE(std::equal(v1.begin(), v1.begin() + 8, v1.begin() + 16));
}

std::uint64_t sum_of(const std::vector<std::uint64_t>& keys,
                     const std::vector<std::uint64_t>& values) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < keys.size(); ++i)
    s += record_digest(keys[i], 0, std::as_bytes(std::span(&values[i], 1)));
  return s;
}

TEST(Checksum, IndependentOfOrderButSeesLossDuplicationAndChange) {
  std::vector<std::uint64_t> keys(1000), values(1000);
  std::iota(keys.begin(), keys.end(), 0);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = i * 7 + 3;
  const std::uint64_t base = sum_of(keys, values);

  auto rk = keys, rv = values;
  std::reverse(rk.begin(), rk.end());
  std::reverse(rv.begin(), rv.end());
  EXPECT_EQ(sum_of(rk, rv), base);

  auto lost_k = keys, lost_v = values;
  lost_k.pop_back();
  lost_v.pop_back();
  EXPECT_NE(sum_of(lost_k, lost_v), base);

  auto dup_k = keys, dup_v = values;
  dup_k.back() = dup_k.front();  // one key lost, another duplicated
  dup_v.back() = dup_v.front();
  EXPECT_NE(sum_of(dup_k, dup_v), base);

  auto changed = values;
  changed[500] ^= 1;
  EXPECT_NE(sum_of(keys, changed), base);

  // The same record as another replica is another record.
  EXPECT_NE(record_digest(5, 0, std::as_bytes(std::span(&values[5], 1))),
            record_digest(5, 1, std::as_bytes(std::span(&values[5], 1))));

  // Swapping two values between keys changes it too.
  auto swapped = values;
  std::swap(swapped[1], swapped[2]);
  EXPECT_NE(sum_of(keys, swapped), base);
}

}  // namespace
}  // namespace ringsim

namespace ringsim {
namespace {

TEST(Keys, UnmixInvertsMix) {
  for (std::uint64_t x : {0ULL, 1ULL, 42ULL, 0xdeadbeefULL, ~0ULL, 1ULL << 63})
    EXPECT_EQ(unmix64(mix64(x)), x);
}

TEST(Keys, ZipfPopularityFollowsTheKeyIndex) {
  KeySpace k;
  k.distribution = KeyDistribution::kZipf;
  k.zipf_exponent = 1.1;
  k.seed = 77;
  EXPECT_DOUBLE_EQ(k.popularity(k.key(0)), 1.0);
  EXPECT_NEAR(k.popularity(k.key(9)), std::pow(10.0, -1.1), 1e-12);
  EXPECT_GT(k.popularity(k.key(1)), k.popularity(k.key(2)));
  KeySpace u;
  EXPECT_EQ(u.popularity(u.key(5)), 1.0);
  EXPECT_EQ(u.key(5), [&] {
    KeySpace z = u;
    z.distribution = KeyDistribution::kZipf;
    return z.key(5);
  }()) << "zipf keys are the uniform key set";
}

TEST(Keys, TraceReadsNumbersStringsAndCountsDuplicatesOnce) {
  const std::string path = testing::TempDir() + "/trace.txt";
  std::ofstream(path) << "42\nuser:7\r\n\n42\nuser:7\n18446744073709551615\n99999999999999999999\n";
  const auto keys = read_key_trace(path);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0], 42u);
  EXPECT_EQ(keys[1], hash_bytes("user:7", 6, 0));  // the CR is not part of the key
  EXPECT_EQ(keys[2], ~0ULL);
  EXPECT_EQ(keys[3], hash_bytes("99999999999999999999", 20, 0));  // too big for 64 bits: a string
  std::ofstream(path) << "\n\n";
  EXPECT_THROW(read_key_trace(path), Error);
  EXPECT_THROW(read_key_trace(path + ".missing"), Error);
}

TEST(Keys, TraceLineLimitAndLastLineWithoutEnd) {
  const std::string path = testing::TempDir() + "/trace_long.txt";
  std::ofstream(path) << "a\n\nb\n" << std::string(kMaxTraceLineBytes, 'x') << "\nlast";
  const auto keys = read_key_trace(path);  // a line of exactly the limit is a key
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[3], hash_bytes("last", 4, 0));
  std::ofstream(path) << "a\n\nb\n" << std::string(kMaxTraceLineBytes + 1, 'x') << "\nlast\n";
  try {
    read_key_trace(path);
    ADD_FAILURE() << "a line over the limit was read";
  } catch (const Error& err) {
    EXPECT_EQ(std::string(err.what()), "keys.file: " + path + ": line 4 is longer than " +
                                           std::to_string(kMaxTraceLineBytes) +
                                           " bytes (one key per line)");
  }
}

TEST(Keys, TraceReaderStartsAtTheFirstLineOfItsRange) {
  const std::string path = testing::TempDir() + "/trace_range.txt";
  std::ofstream(path) << "10\n20\n\n30\n";  // lines start at bytes 0, 3, 6, 7
  const auto starts = [&](std::uint64_t begin, std::uint64_t limit) {
    TraceReader r(path, begin);
    std::vector<std::uint64_t> out;
    std::uint64_t offset = 0;
    std::string_view line;
    while (r.next(limit, offset, line)) out.push_back(offset);
    return out;
  };
  EXPECT_EQ(starts(0, UINT64_MAX), (std::vector<std::uint64_t>{0, 3, 7}));
  EXPECT_EQ(starts(1, UINT64_MAX), (std::vector<std::uint64_t>{3, 7}));
  EXPECT_EQ(starts(3, UINT64_MAX), (std::vector<std::uint64_t>{3, 7}));
  EXPECT_EQ(starts(4, 7), (std::vector<std::uint64_t>{}));  // the empty line at 6 only
  EXPECT_EQ(starts(0, 4), (std::vector<std::uint64_t>{0, 3}));
  EXPECT_EQ(starts(8, UINT64_MAX), (std::vector<std::uint64_t>{}));
}

TEST(Keys, ATraceKeySpaceAnswersOnlyForTheIndicesItHolds) {
  KeySpace k;
  k.distribution = KeyDistribution::kFile;
  k.count = 10;
  k.listed = std::make_shared<const std::vector<std::uint64_t>>(std::vector<std::uint64_t>{7, 8});
  k.listed_first = 4;
  EXPECT_EQ(k.key(4), 7u);
  EXPECT_EQ(k.key(5), 8u);
  EXPECT_TRUE(k.holds(5));
  EXPECT_FALSE(k.holds(3));
  EXPECT_FALSE(k.holds(6));
  EXPECT_THROW(k.key(3), Error);
  EXPECT_THROW(k.key(6), Error);
}

}  // namespace
}  // namespace ringsim
