// The processing transforms: the expected value after t updates equals t
// single updates, and repeating an update never reaches a value where a
// lost update would go unseen (doubling mod 2^64 is 0 after 64 steps).
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>

#include "config.hpp"
#include "processing.hpp"

namespace ringsim {
namespace {

constexpr std::uint64_t kP = kDoublePrime;

TEST(ProcessingTransform, TheModulusIsTheLargest64BitPrime) {
  EXPECT_EQ(kP, ~std::uint64_t{0} - 58);
  // Trial division by every odd number up to 2^32 would take too long; check
  // the Fermat condition for several bases instead (p is a known prime).
  auto pow_mod = [](std::uint64_t b, std::uint64_t e) {
    __extension__ typedef unsigned __int128 u128;
    std::uint64_t r = 1;
    for (; e; e >>= 1, b = static_cast<std::uint64_t>(static_cast<u128>(b) * b % kP))
      if (e & 1) r = static_cast<std::uint64_t>(static_cast<u128>(r) * b % kP);
    return r;
  };
  for (std::uint64_t a : {2u, 3u, 5u, 7u, 11u, 13u}) EXPECT_EQ(pow_mod(a, kP - 1), 1u) << a;
  // 2 is a primitive root: 2^((p-1)/q) != 1 for each prime q of p - 1.
  for (std::uint64_t q : {2ull, 11ull, 137ull, 547ull, 5594472617641ull}) {
    EXPECT_EQ((kP - 1) % q, 0u) << q;
    EXPECT_NE(pow_mod(2, (kP - 1) / q), 1u) << q;
  }
}

TEST(ProcessingTransform, ManyStepsEqualRepeatedSingleSteps) {
  for (const std::string how : {"increment", "double"}) {
    for (std::uint64_t v : std::initializer_list<std::uint64_t>{
             0, 1, 12345, kP - 1, kP, kP + 1, ~std::uint64_t{0}, std::uint64_t{1} << 63}) {
      std::uint64_t x = v;
      for (std::uint64_t t = 0; t <= 300; ++t) {
        ASSERT_EQ(apply_transform_n(how, v, t), x) << how << " v=" << v << " t=" << t;
        x = apply_transform(how, x);
      }
    }
  }
}

TEST(ProcessingTransform, RepeatedDoublingNeverCollapses) {
  // The old "double" (v << t) was 0 for every t >= 64: a lost update among
  // 64 or more doublings was invisible. Now one fewer step always differs.
  for (std::uint64_t v :
       std::initializer_list<std::uint64_t>{0, 2, kP, ~std::uint64_t{0}, 0x0123456789abcdefull}) {
    std::set<std::uint64_t> seen;
    for (std::uint64_t t = 1; t <= 4000; ++t) {
      const std::uint64_t now = apply_transform_n("double", v, t);
      EXPECT_NE(now, apply_transform_n("double", v, t - 1)) << "v=" << v << " t=" << t;
      EXPECT_NE(now, 0u);
      EXPECT_LT(now, kP);
      seen.insert(now);
    }
    EXPECT_EQ(seen.size(), 4000u) << "v=" << v;  // no cycle within a round's counts
  }
  // Far counts, exact by fast exponentiation: t and t - 1 still differ.
  for (std::uint64_t t : std::initializer_list<std::uint64_t>{1000000, 123456789012, kP - 2}) {
    EXPECT_NE(apply_transform_n("double", 7, t), apply_transform_n("double", 7, t - 1));
  }
  // The order of 2 is p - 1: p - 1 doublings return to the start.
  EXPECT_EQ(apply_transform_n("double", 7, kP - 1), 7u);
}

TEST(ProcessingTransform, DoublingIsTheIdentityMapOnResidues) {
  // Values a doubling writes are read back unchanged before the next one.
  EXPECT_EQ(apply_transform("double", 3), 6u);
  EXPECT_EQ(apply_transform("double", kP - 1), kP - 2);            // 2(p-1) = p-2 mod p
  EXPECT_EQ(apply_transform("double", (kP + 1) / 2), 1u);          // 2 * (p+1)/2 = 1 mod p
  EXPECT_EQ(apply_transform("double", 0), 2u);                     // 0 stands for 1
  EXPECT_EQ(apply_transform("double", kP), 2u);                    // p = 0 mod p, stands for 1
  EXPECT_EQ(apply_transform("double", kP + 5), 10u);               // above p: reduced
  EXPECT_EQ(apply_transform("increment", ~std::uint64_t{0}), 0u);  // mod 2^64
}

// The batch between two stop checks: sized from the configuration alone (the
// same on every rank), about 50 ms of updates, a power of two.
TEST(ProcessingBatch, FollowsTheConfiguredWorkPerUpdate) {
  ProcessingConfig c;
  EXPECT_EQ(processing_batch(c), 16384u);  // 50 ms / 2 us = 25000
  c.work_inside_us = 10;
  EXPECT_EQ(processing_batch(c), 4096u);  // 50 ms / 12 us = 4166
  c.work_outside_us = 690;
  EXPECT_EQ(processing_batch(c), 64u);  // 50 ms / 702 us = 71
  c.work_inside_us = 1e6;
  EXPECT_EQ(processing_batch(c), 16u);  // at least 16
}

}  // namespace
}  // namespace ringsim
