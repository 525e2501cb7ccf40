// anchor, memento and powerch, the strategies that hash with CRC-32C as their
// authors' code does: membership changes they must refuse, one by one and in
// batches, and MementoHash after the removal of all but 0.05% of 100,000
// nodes (minimal disruption at every step, every key on an active node, the
// buckets an independent transcription of the paper's lookup gives, and the
// original owners back after re-adding in reverse order).
#include "placement/crc32c.hpp"
#include "placement/jump_hash.hpp"
#include "placement_strategy_checks.hpp"

namespace ringsim {
namespace {

using namespace checks;

struct Variant {
  std::string name;
  std::string strategy;
  Params values;
};

class Guards : public ::testing::TestWithParam<Variant> {
 protected:
  std::unique_ptr<Placement> four_of_eight() const {
    return build(GetParam().strategy, 4, 8, GetParam().values);
  }
};

TEST_P(Guards, RefusedSingleChangesLeaveTheMappingAsItWas) {
  auto p = four_of_eight();
  const auto before = owners(*p, 5000);
  expect_error([&] { p->remove_node(5); }, "node 5 is not active");
  expect_error([&] { p->add_node({2, 1.0}); }, "node 2 is already active");
  expect_error([&] { p->add_node({8, 1.0}); }, "node 8 is outside cluster.nodes");
  EXPECT_EQ(owners(*p, 5000), before);
  // Node 3 is the last one added, so LIFO strategies may remove it too.
  p->remove_node(3);
  expect_error([&] { p->remove_node(3); }, "node 3 is not active");
  p->remove_node(2);
  p->remove_node(1);
  const auto single = owners(*p, 5000);
  for (NodeId o : single) ASSERT_EQ(o, 0u);
  expect_error([&] { p->remove_node(0); }, "cannot remove the last active node");
  EXPECT_EQ(owners(*p, 5000), single);
  p->add_node({6, 1.0});  // still usable after the refusals
  const auto two = owners(*p, 5000);
  EXPECT_GT(std::count(two.begin(), two.end(), NodeId{6}), 0);
}

TEST_P(Guards, BatchesRefuseWhatTheLoopWould) {
  expect_error(
      [&] {
        four_of_eight()->remove_nodes(std::vector<NodeId>{3, 2, 1, 0});
      },
      "cannot remove the last active node");
  expect_error(
      [&] {
        four_of_eight()->remove_nodes(std::vector<NodeId>{3, 6});
      },
      "node 6 is not active");
  expect_error(
      [&] {
        four_of_eight()->remove_nodes(std::vector<NodeId>{3, 3});
      },
      "node 3 is not active");
  expect_error(
      [&] {
        four_of_eight()->add_nodes(std::vector<NodeSpec>{{5, 1.0}, {1, 1.0}});
      },
      "node 1 is already active");
  expect_error(
      [&] {
        four_of_eight()->add_nodes(std::vector<NodeSpec>{{5, 1.0}, {5, 1.0}});
      },
      "node 5 is already active");
  // A valid batch goes through.
  auto p = four_of_eight();
  p->remove_nodes(std::vector<NodeId>{3, 2, 1});
  for (NodeId o : owners(*p, 2000)) ASSERT_EQ(o, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    CrcStrategies, Guards,
    ::testing::Values(Variant{"anchor", "anchor", {}},
                      Variant{"anchor_capacity16", "anchor", {{"capacity", std::int64_t{16}}}},
                      Variant{"memento", "memento", {}}, Variant{"powerch", "powerch", {}},
                      Variant{"powerch_swap", "powerch", {{"removal", std::string("swap")}}}),
    [](const ::testing::TestParamInfo<Variant>& v) { return v.param.name; });

TEST(Guards, LifoPowerchRefusesAnyButTheLastAdded) {
  auto p = build("powerch", 4, 8);
  expect_error([&] { p->remove_node(1); }, "only the most recently added node (3) may leave");
}

// MementoHash's lookup as the paper writes it, over a replacement set kept
// as a plain array (kNone: not removed) and the software CRC-32C, for
// buckets 0..n-1 = nodes 0..n-1 with removals only.
class MementoModel {
 public:
  explicit MementoModel(std::uint32_t n) : n_(n), replacer_(n, kNone) {}

  void remove(std::uint32_t b) {
    if (removed_ == 0 && b == n_ - 1) {
      --n_;
      return;
    }
    replacer_[b] = n_ - removed_ - 1;  // the working buckets left
    ++removed_;
  }

  std::uint32_t bucket(std::uint64_t key) const {
    std::uint32_t b = jump_hash(crc32c_u64_software(key, 0), n_);
    std::uint32_t r = replacer(b);
    while (r != kNone) {
      b = crc32c_u64_software(key, b) % r;
      std::uint32_t rb = replacer(b);
      while (rb != kNone && rb >= r) {
        b = rb;
        rb = replacer(b);
      }
      r = rb;
    }
    return b;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::uint32_t replacer(std::uint32_t b) const { return replacer_[b]; }
  std::uint32_t n_;
  std::uint32_t removed_ = 0;
  std::vector<std::uint32_t> replacer_;
};

// A fixed pseudo-random order of 0..n-1 (Fisher-Yates driven by splitmix64).
std::vector<NodeId> shuffled(std::uint32_t n, std::uint64_t seed) {
  std::vector<NodeId> ids(n);
  for (NodeId i = 0; i < n; ++i) ids[i] = i;
  for (std::uint32_t i = n; i > 1; --i) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::swap(ids[i - 1], ids[mix64(seed) % i]);
  }
  return ids;
}

TEST(MementoNearTotalRemoval, StaysMinimalCorrectAndRestorable) {
  constexpr std::uint32_t kNodes = 100000;
  constexpr std::uint32_t kKeep = 50;  // 0.05%
  constexpr std::uint64_t kKeys = 200;
  auto p = build("memento", kNodes, kNodes);
  MementoModel model(kNodes);
  const std::vector<NodeId> order = shuffled(kNodes, 0x6e656172ULL);  // "near"
  const std::vector<NodeId> leaving(order.begin(), order.end() - kKeep);
  std::vector<char> active(kNodes, 1);

  const std::vector<NodeId> original = owners(*p, kKeys);
  std::vector<NodeId> owner = original;
  std::uint64_t moved = 0;
  for (NodeId node : leaving) {
    p->remove_node(node);
    model.remove(node);
    active[node] = 0;
    for (std::uint64_t i = 0; i < kKeys; ++i) {
      const NodeId o = p->lookup(key_hash(i));
      if (owner[i] == node) {
        ASSERT_TRUE(o < kNodes && active[o]) << "key " << i << " went to inactive node " << o;
        owner[i] = o;
        ++moved;
      } else {
        ASSERT_EQ(o, owner[i]) << "key " << i << " left node " << owner[i] << " when node " << node
                               << " was removed";
      }
    }
  }
  // Every key whose first owner left moved at least once.
  std::uint64_t first_owner_left = 0;
  for (NodeId o : original) first_owner_left += active[o] ? 0 : 1;
  EXPECT_GE(moved, first_owner_left);
  EXPECT_GT(first_owner_left, kKeys / 2);

  // The state of 50 nodes: the paper's lookup on the same removals, and balance.
  std::vector<std::uint64_t> load(kNodes, 0);
  constexpr std::uint64_t kLoadKeys = 20000;
  for (std::uint64_t i = 0; i < kLoadKeys; ++i) {
    const std::uint64_t h = key_hash(i, 0xb0b);
    const NodeId o = p->lookup(h);
    ASSERT_EQ(o, model.bucket(h)) << "key hash " << h;
    ASSERT_TRUE(active[o]);
    ++load[o];
  }
  const double peak = peak_over_mean(load, kKeep, kLoadKeys);
  EXPECT_LT(peak, 1.3) << "peak/mean load over the " << kKeep << " remaining nodes";

  // Re-adding in reverse order of removal gives every key its first owner.
  for (auto it = leaving.rbegin(); it != leaving.rend(); ++it) p->add_node({*it, 1.0});
  EXPECT_EQ(owners(*p, kKeys), original);
  EXPECT_EQ(owners(*p, 20000, 0xb0b), owners(*build("memento", kNodes, kNodes), 20000, 0xb0b));
}

}  // namespace
}  // namespace ringsim
