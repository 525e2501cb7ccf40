// Known-answer vectors: every strategy with a file tests/unit/kat/<name>.tsv
// gives, for each 64-bit input and membership in it, the bucket its authors'
// reference implementation gives. The files and their calling convention are
// described in tests/unit/kat/README.md: a scenario "cap=C,n=W,removed=..,
// added=.." is init({0..W-1}, max_nodes = C), remove_node for each removed id
// in order, then add_node for each added id in order; node i is bucket i.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hash.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

struct Row {
  std::uint64_t input;
  NodeId expected;
};

struct Scenario {
  std::string text;  // as in the file
  std::uint32_t cap = 0;
  std::uint32_t working = 0;
  std::vector<NodeId> removed, added;
  std::vector<Row> rows;
};

std::string kat_path(std::string_view name) {
  return std::string(RINGSIM_SOURCE_DIR) + "/tests/unit/kat/" + std::string(name) + ".tsv";
}

std::vector<NodeId> parse_ids(std::string_view s) {
  std::vector<NodeId> ids;
  while (!s.empty()) {
    const auto semi = s.find(';');
    const std::string_view item = s.substr(0, semi);
    NodeId v = 0;
    std::from_chars(item.data(), item.data() + item.size(), v);
    ids.push_back(v);
    s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
  }
  return ids;
}

Scenario parse_scenario(const std::string& text) {
  Scenario sc;
  sc.text = text;
  std::uint32_t n = 0;
  std::stringstream ss(text);
  std::string field;
  while (std::getline(ss, field, ',')) {
    const auto eq = field.find('=');
    const std::string key = field.substr(0, eq);
    const std::string value = field.substr(eq + 1);
    if (key == "n")
      n = static_cast<std::uint32_t>(std::stoul(value));
    else if (key == "cap")
      sc.cap = static_cast<std::uint32_t>(std::stoul(value));
    else if (key == "removed")
      sc.removed = parse_ids(value);
    else if (key == "added")
      sc.added = parse_ids(value);
    else
      ADD_FAILURE() << "unknown scenario field '" << key << "' in " << text;
  }
  if (sc.cap == 0) sc.cap = n;
  sc.working = n == 0 ? sc.cap : n;
  return sc;
}

// The scenarios of one file, in file order.
std::vector<Scenario> read_kat(std::string_view name) {
  std::ifstream in(kat_path(name));
  std::vector<Scenario> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string scenario, hex, bucket;
    std::getline(ss, scenario, '\t');
    std::getline(ss, hex, '\t');
    std::getline(ss, bucket, '\t');
    if (out.empty() || out.back().text != scenario) out.push_back(parse_scenario(scenario));
    out.back().rows.push_back(
        {std::stoull(hex, nullptr, 16), static_cast<NodeId>(std::stoul(bucket))});
  }
  return out;
}

std::uint64_t splitmix64_first(std::uint64_t x) { return mix64(x + 0x9e3779b97f4a7c15ULL); }

class Kat : public ::testing::TestWithParam<std::string> {};

TEST_P(Kat, MatchesTheAuthorsReference) {
  const std::string& name = GetParam();
  const std::vector<Scenario> scenarios = read_kat(name);
  ASSERT_FALSE(scenarios.empty()) << "no vectors read from " << kat_path(name);
  std::size_t rows = 0;
  for (const Scenario& sc : scenarios) {
    SCOPED_TRACE(name + " scenario " + sc.text);
    auto p = make_placement(StrategyParams(name));
    std::vector<NodeSpec> nodes;
    for (NodeId i = 0; i < sc.working; ++i) nodes.push_back({i, 1.0});
    p->init(nodes, sc.cap);
    for (NodeId b : sc.removed) p->remove_node(b);
    for (NodeId b : sc.added) p->add_node({b, 1.0});

    std::vector<std::uint64_t> inputs;
    for (const Row& r : sc.rows) inputs.push_back(r.input);
    std::vector<NodeId> many(inputs.size());
    p->lookup_many(inputs, many.data());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < sc.rows.size(); ++i) {
      const NodeId got = p->lookup(sc.rows[i].input);
      EXPECT_EQ(got, many[i]) << "lookup and lookup_many disagree on row " << i;
      if (got != sc.rows[i].expected) {
        if (++wrong <= 3)
          ADD_FAILURE() << "input " << std::hex << sc.rows[i].input << std::dec << ": got " << got
                        << ", the reference gives " << sc.rows[i].expected;
      }
    }
    EXPECT_EQ(wrong, 0u) << wrong << " of " << sc.rows.size() << " rows differ";
    rows += sc.rows.size();
  }
  // Every file holds 200 rows per scenario (tests/unit/kat/README.md).
  EXPECT_EQ(rows, 200 * scenarios.size());
}

INSTANTIATE_TEST_SUITE_P(Vectors, Kat,
                         ::testing::Values("jump", "jumpback", "binomial", "powerch", "fliphash",
                                           "anchor", "memento"),
                         [](const auto& p) { return p.param; });

// The inputs are the ones the README defines, so the files were read whole
// and in order.
TEST(KatFiles, InputsAreSplitMix64OfTheRowIndex) {
  for (const char* name : {"jump", "anchor", "memento"}) {
    const auto scenarios = read_kat(name);
    ASSERT_FALSE(scenarios.empty()) << name;
    for (const Scenario& sc : scenarios) {
      ASSERT_EQ(sc.rows.size(), 200u) << name << ' ' << sc.text;
      for (std::size_t i = 0; i < sc.rows.size(); ++i)
        ASSERT_EQ(sc.rows[i].input, splitmix64_first(i)) << name << ' ' << sc.text << " row " << i;
    }
  }
}

}  // namespace
}  // namespace ringsim
