// Values of variable size: the size distributions (deterministic, in range,
// with the means and medians their parameters promise), the size classes
// and the shard that keeps its values in them (no value lost, overwritten or
// leaked through pushes, moves, overwrites and drops), and what the
// experiment parser says to good and bad keys.value_size tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/shard.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "keys.hpp"

namespace ringsim {
namespace {

KeySpace sized(ValueSizeSpec spec, std::uint64_t seed = 3) {
  KeySpace k;
  k.count = 200000;
  k.seed = seed;
  k.value_size = spec;
  return k;
}

std::vector<double> sizes_of(const KeySpace& k) {
  std::vector<double> out;
  out.reserve(k.count);
  for (std::uint64_t i = 0; i < k.count; ++i)
    out.push_back(static_cast<double>(k.value_size_of(i, k.key(i))));
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

TEST(ValueSizeDistributions, FixedIsValueBytes) {
  KeySpace k;
  k.value_bytes = 77;
  EXPECT_FALSE(k.variable_values());
  EXPECT_EQ(k.value_size_of(5, k.key(5)), 77u);
}

TEST(ValueSizeDistributions, UniformCoversItsRangeEvenly) {
  ValueSizeSpec s;
  s.distribution = ValueSizeDistribution::kUniform;
  s.min = 10;
  s.max = 19;
  const KeySpace k = sized(s);
  std::map<std::uint32_t, std::uint64_t> seen;
  for (std::uint64_t i = 0; i < k.count; ++i) ++seen[k.value_size_of(i, k.key(i))];
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.begin()->first, 10u);
  EXPECT_EQ(seen.rbegin()->first, 19u);
  // Each of the 10 sizes about a tenth of the keys (sd ~ 134 of 20000).
  for (const auto& [size, n] : seen) EXPECT_NEAR(static_cast<double>(n), 20000.0, 800.0) << size;
}

TEST(ValueSizeDistributions, LognormalHasItsMeanAndMedian) {
  ValueSizeSpec s;
  s.distribution = ValueSizeDistribution::kLognormal;
  s.mean = 1000;
  s.sigma = 1.0;
  const auto v = sizes_of(sized(s));
  // Mean exp(mu + sigma^2/2) = 1000, median exp(mu) = 1000 / e^(1/2) = 606.5;
  // the clamp at 1 MiB takes nothing measurable here. The sample mean's
  // relative sd is sqrt(e - 1) / sqrt(200000) = 0.3%.
  EXPECT_NEAR(mean(v), 1000.0, 15.0);
  EXPECT_NEAR(median(v), 1000.0 / std::exp(0.5), 6.0);
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 0.0);
}

TEST(ValueSizeDistributions, ParetoHasItsMedianAndAHeavyTailClampedToMax) {
  ValueSizeSpec s;
  s.distribution = ValueSizeDistribution::kPareto;
  s.mean = 100;
  s.alpha = 1.5;
  s.max = 20000;
  const auto v = sizes_of(sized(s));
  // Scale 100 x 0.5 / 1.5 = 33.3, median scale x 2^(1/alpha) = 52.9; nothing
  // below the scale; the largest at the clamp.
  const double scale = 100.0 / 3.0;
  EXPECT_NEAR(median(v), scale * std::pow(2.0, 1 / 1.5), 1.0);
  EXPECT_GE(*std::min_element(v.begin(), v.end()), std::floor(scale));
  EXPECT_EQ(*std::max_element(v.begin(), v.end()), 20000.0);
  // Heavy tail: the top 1% of keys hold far more than 1% of the bytes.
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  double top = 0, all = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    all += sorted[i];
    if (i >= sorted.size() * 99 / 100) top += sorted[i];
  }
  EXPECT_GT(top / all, 0.1);
}

TEST(ValueSizeDistributions, SizesDependOnSeedAndKeyOnly) {
  ValueSizeSpec s;
  s.distribution = ValueSizeDistribution::kLognormal;
  s.mean = 500;
  s.sigma = 2;
  const KeySpace a = sized(s, 9), b = sized(s, 9), c = sized(s, 10);
  std::uint64_t differ = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.value_size_of(i, a.key(i)), b.value_size_of(i, b.key(i)));
    // Another seed: other keys and other sizes.
    differ += a.value_size_of(i, a.key(i)) != c.value_size_of(i, a.key(i));
  }
  EXPECT_GT(differ, 900u);
}

TEST(ValueArena, EverySizeFitsItsClassWithLittleWaste) {
  EXPECT_EQ(ValueArena::class_of(0), 0u);
  std::uint32_t last = 0;
  for (std::uint32_t size = 1; size <= kMaxValueBytes; size += size < 4096 ? 1 : 97) {
    const std::uint32_t c = ValueArena::class_of(size);
    ASSERT_LT(c, ValueArena::kClasses) << size;
    const std::uint32_t bytes = ValueArena::class_bytes(c);
    ASSERT_GE(bytes, size) << size;
    // The class below is too small: the smallest class that fits.
    ASSERT_LT(ValueArena::class_bytes(c - 1), size) << size;
    ASSERT_LE(bytes - size, std::max<std::uint32_t>(7, size / 8)) << size;
    ASSERT_GE(c, last);
    last = c;
  }
  EXPECT_EQ(ValueArena::class_bytes(ValueArena::class_of(kMaxValueBytes)), kMaxValueBytes);
  EXPECT_EQ(ValueArena::class_of(kMaxValueBytes), ValueArena::kClasses - 1);
}

std::vector<std::byte> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i * 31);
  return v;
}

// A shard of variable values against a plain model through random pushes,
// overwrites, compacting moves and drops: every value reads back as written,
// and freed slots are reused (the arena does not grow without bound).
TEST(VariableShard, ValuesSurvivePushesMovesOverwritesAndDrops) {
  Shard s(8, false, false, true);
  std::vector<std::vector<std::byte>> model;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> size_of(0, 3000);
  auto check = [&](const char* when) {
    ASSERT_EQ(s.size(), model.size()) << when;
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto v = s.value(i);
      ASSERT_EQ(v.size(), model[i].size()) << when << " record " << i;
      ASSERT_TRUE(std::equal(v.begin(), v.end(), model[i].begin())) << when << " record " << i;
      ASSERT_EQ(s.value_size(i), model[i].size());
    }
  };
  std::size_t reserved_after_first = 0;
  for (int step = 0; step < 6; ++step) {
    for (int j = 0; j < 2000; ++j) {
      model.push_back(pattern(size_of(rng), static_cast<std::uint8_t>(j)));
      s.push(static_cast<std::uint64_t>(j), 0, std::span<const std::byte>(model.back()), 0);
    }
    check("after pushes");
    for (int j = 0; j < 500; ++j) {
      const std::size_t i = rng() % model.size();
      model[i] = pattern(size_of(rng), static_cast<std::uint8_t>(j + 7));
      s.set_value(i, model[i]);
    }
    check("after overwrites");
    // Compact away every third record, as apply fills holes from the end.
    std::size_t out = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      if (i % 3 == 1) continue;
      s.move_entry(i, out);
      model[out] = model[i];
      ++out;
    }
    s.resize(out);
    model.resize(out);
    check("after compaction");
    s.resize(s.size() - 100);  // dropped records free their values
    model.resize(model.size() - 100);
    check("after a drop");
    EXPECT_EQ(s.value_bytes_held(), [&] {
      std::uint64_t n = 0;
      for (const auto& v : model) n += v.size();
      return n;
    }());
    if (step == 0) reserved_after_first = s.arena.reserved_bytes();
  }
  // Live records grew about 3.5x over the steps while their slots were
  // reused: the arena holds far less than every value ever written.
  std::uint64_t live = s.value_bytes_held();
  EXPECT_LT(s.arena.reserved_bytes(), 2 * live + (std::size_t{121} << 16));
  EXPECT_GT(s.arena.reserved_bytes(), reserved_after_first);
}

// Parses and validates; returns the error message, or "" if the file is good.
std::string error_of(const std::string& keys) {
  try {
    Experiment e = parse_experiment(
        "[keys]\ncount = 1000\n" + keys + "\n[[strategies]]\nname = \"ring\"\n", "exp.toml");
    validate_experiment(e, 2);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

Experiment parsed(const std::string& keys) {
  return parse_experiment("[keys]\ncount = 1000\n" + keys + "\n[[strategies]]\nname = \"ring\"\n",
                          "exp.toml");
}

TEST(ValueSizeConfig, ParametersInBytesWithUnits) {
  const Experiment e = parsed(
      R"(value_size = { distribution = "pareto", mean = "4KiB", alpha = 1.3, max = "1MiB", min = "2KB" })");
  EXPECT_EQ(e.keys.value_size.distribution, ValueSizeDistribution::kPareto);
  EXPECT_DOUBLE_EQ(e.keys.value_size.mean, 4096);
  EXPECT_DOUBLE_EQ(e.keys.value_size.alpha, 1.3);
  EXPECT_EQ(e.keys.value_size.max, kMaxValueBytes);
  EXPECT_EQ(e.keys.value_size.min, 2000u);
  EXPECT_TRUE(e.keys.variable_values());
  const Experiment f = parsed(R"(value_size = { distribution = "fixed", bytes = "2 KiB" })");
  EXPECT_FALSE(f.keys.variable_values());
  EXPECT_EQ(f.keys.value_bytes, 2048u);
  const Experiment u = parsed(R"(value_size = { distribution = "uniform", min = 0, max = 100 })");
  EXPECT_EQ(u.keys.value_size.max, 100u);
}

TEST(ValueSizeConfig, BadTablesGetOneLineNamingTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {R"(value_size = { distribution = "zipf" })", "keys.value_size.distribution: must be"},
      {R"(value_size = { mean = 10 })", "keys.value_size.distribution: missing"},
      {R"(value_size = { distribution = "lognormal", mean = 100 })",
       "keys.value_size.sigma: missing"},
      {R"(value_size = { distribution = "pareto", mean = 100, alpha = 1 })",
       "keys.value_size.alpha: must be > 1"},
      {R"(value_size = { distribution = "uniform", min = 10, max = 5 })",
       "keys.value_size.max: must be >= min"},
      {R"(value_size = { distribution = "uniform", min = 0, max = "2MiB" })",
       "keys.value_size.max: must be at most 1048576 bytes"},
      {R"(value_size = { distribution = "lognormal", mean = "4 parsecs", sigma = 1 })",
       "keys.value_size.mean: must be a number of bytes"},
      {R"(value_size = { distribution = "uniform", min = 0, max = 9, sigma = 2 })",
       "keys.value_size.sigma: is not a parameter of distribution \"uniform\""},
      {R"(value_size = { distribution = "fixed", bytes = 4 })",
       "keys.value_size.bytes: must be at least 8"},
      {R"(value_size = { distribution = "trace" })",
       "\"trace\" needs keys.distribution = \"file\""},
      {"value_bytes = 16\nvalue_size = { distribution = \"fixed\", bytes = 64 }",
       "give keys.value_bytes or keys.value_size, not both"},
  };
  for (const auto& [keys, want] : cases) {
    const std::string err = error_of(keys);
    EXPECT_NE(err.find(want), std::string::npos) << keys << "\n  gave: " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    EXPECT_EQ(err.rfind("exp.toml:", 0), 0u) << err;
  }
}

}  // namespace
}  // namespace ringsim
