// Key generation and the order-independent checksum that verification relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "checksum.hpp"
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
