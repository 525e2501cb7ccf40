// Golden answers: for every registered strategy, the owners of a fixed set of
// key hashes through a fixed membership history are stored under
// tests/unit/golden/<name>.txt, so that any change of behaviour is caught.
// After an intended change, regenerate with
//   RINGSIM_UPDATE_GOLDEN=1 build/tests/ringsim_unit_tests --gtest_filter='Registry/Golden*'
// and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "hash.hpp"
#include "key_counter.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

// Owners of 48 hashes after each step: 10 nodes; one node leaves (node 3, or
// the last added where only LIFO removal exists); node 10 joins; node 11 joins.
std::string golden_text(std::string_view name) {
  auto p = make_placement(StrategyParams(std::string(name)));
  std::vector<NodeSpec> nodes;
  for (NodeId i = 0; i < 10; ++i) nodes.push_back({i, 1.0});
  p->init(nodes, 16);
  const NodeId leaving = p->traits().removal == Removal::kAny ? 3 : 9;
  std::ostringstream os;
  os << "# " << name << ": step key_hash owner (tests/unit/test_placement_golden.cpp)\n";
  std::vector<std::uint64_t> hashes;
  for (std::uint64_t i = 0; i < 48; ++i) hashes.push_back(hash_u64(i, 0x676f6c64656eULL));
  // Load-aware strategies place these 48 keys as the whole key set.
  const SortedHashCounter keys(hashes);
  auto dump = [&](const char* step) {
    p->rebalance(keys);
    for (std::uint64_t h : hashes) os << step << ' ' << h << ' ' << p->lookup(h) << '\n';
  };
  dump("initial-10");
  p->remove_node(leaving);
  dump(leaving == 3 ? "remove-3" : "remove-9");
  p->add_node({10, 1.0});
  dump("add-10");
  p->add_node({11, 1.0});
  dump("add-11");
  return os.str();
}

class Golden : public ::testing::TestWithParam<std::string_view> {};

TEST_P(Golden, OwnersMatchTheStoredAnswers) {
  const std::string path =
      std::string(RINGSIM_SOURCE_DIR) + "/tests/unit/golden/" + std::string(GetParam()) + ".txt";
  const std::string got = golden_text(GetParam());
  if (std::getenv("RINGSIM_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "no golden file " << path << "; generate it with RINGSIM_UPDATE_GOLDEN=1";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "owners differ from " << path;
}

std::vector<std::string_view> names() {
  std::vector<std::string_view> out;
  for (const auto& s : strategies()) out.push_back(s.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Registry, Golden, ::testing::ValuesIn(names()),
                         [](const auto& param_info) {
                           std::string n(param_info.param);
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace ringsim
