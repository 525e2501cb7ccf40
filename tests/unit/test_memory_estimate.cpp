// The memory estimate and the host's memory: what a user is told before a run
// too big for its hosts allocates anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "experiment.hpp"
#include "memory_estimate.hpp"

namespace ringsim {
namespace {

Experiment validated(const std::string& text, int ranks,
                     const std::vector<std::string>& sets = {}) {
  Experiment e = parse_experiment(text, "exp.toml", sets);
  validate_experiment(e, ranks);
  return e;
}

const std::string kRing = R"(
[keys]
count = 10_000_000
[cluster]
nodes = 8
initial = 7
[[strategies]]
name = "ring"
[[events]]
kind = "add"
count = 1
)";

double D(std::uint64_t x) { return static_cast<double>(x); }

std::uint64_t sum_of_parts(const MemoryEstimate& m) {
  return m.keys + m.values + m.replicas + m.shard_headroom + m.exchange_buffers + m.processing +
         m.loads_matrices + m.strategy_state + m.order_shadow + m.key_trace + m.runtime;
}

TEST(MemoryEstimate, PartsAddUpAndTheShardFollowsTheLargestShare) {
  const Experiment e = validated(kRing, 4);
  const MemoryEstimate m = estimate_memory(e, 4);
  EXPECT_EQ(m.per_rank_bytes, sum_of_parts(m));
  // 8 nodes on 4 ranks, 7 then 8 active: a rank holds at most 2 of 7 nodes' keys.
  EXPECT_NEAR(D(m.largest_share), 1e7 * 2 / 7, 1e7 * 0.01);
  // 12 bytes of key and owner, 8 of value per record, 10% headroom on top.
  EXPECT_NEAR(D(m.keys), D(m.largest_share) * 12.0, 16);
  EXPECT_NEAR(D(m.values), D(m.largest_share) * 8.0, 16);
  EXPECT_EQ(m.replicas, 0u);
  EXPECT_NEAR(D(m.shard_headroom), 0.1 * D(m.keys + m.values), 16);
  EXPECT_GT(m.exchange_buffers, 0u);
  EXPECT_EQ(m.rank0_extra, 0u);
}

TEST(MemoryEstimate, OrderDependenceCountsTheShadowPlacement) {
  const MemoryEstimate off = estimate_memory(validated(kRing, 4), 4);
  EXPECT_EQ(off.order_shadow, 0u);
  const Experiment e = validated(kRing, 4, {"run.order_dependence=true"});
  const MemoryEstimate on = estimate_memory(e, 4);
  // A second ring (its state grown to the most active nodes), a membership
  // and the comparison's batch.
  EXPECT_GE(on.order_shadow, e.strategies[0].state_bytes);
  EXPECT_LE(on.order_shadow, 2 * off.strategy_state + 100'000);
  EXPECT_EQ(on.per_rank_bytes, off.per_rank_bytes + on.order_shadow);
  EXPECT_EQ(on.per_rank_bytes, sum_of_parts(on));
  EXPECT_NE(on.describe().find("removal-order shadow"), std::string::npos);
  // jump without removal = swap keeps no shadow (the metric does not apply to it).
  const std::string jump = R"(
[keys]
count = 1000
[cluster]
nodes = 8
initial = 7
[run]
order_dependence = true
[[strategies]]
name = "jump"
[[events]]
kind = "add"
count = 1
)";
  EXPECT_EQ(estimate_memory(validated(jump, 4), 4).order_shadow, 0u);
}

TEST(MemoryEstimate, GrowsWithKeysValuesAndReplicasAndShrinksWithRanks) {
  const MemoryEstimate base = estimate_memory(validated(kRing, 4), 4);
  const MemoryEstimate more = estimate_memory(validated(kRing, 4, {"keys.count=1e8"}), 4);
  EXPECT_NEAR(D(more.keys), 10.0 * D(base.keys), 0.01 * D(more.keys));
  const MemoryEstimate wide = estimate_memory(validated(kRing, 4, {"keys.value_bytes=64"}), 4);
  EXPECT_NEAR(D(wide.values), 8.0 * D(base.values), 0.01 * D(wide.values));
  // Three copies: the two extra copies of key, owner and value, and a replica index per record.
  const MemoryEstimate r3 = estimate_memory(validated(kRing, 4, {"cluster.replicas=3"}), 4);
  EXPECT_NEAR(D(r3.largest_share), 3.0 * D(base.largest_share), 0.01 * D(r3.largest_share));
  EXPECT_NEAR(D(r3.replicas), D(base.largest_share) * (2 * 20.0 + 3), 1e5);
  // Twice the ranks (and the nodes with them): about half the data per rank.
  const Experiment e16 = validated(kRing, 8, {"cluster.nodes=16", "cluster.initial=15"});
  const MemoryEstimate half = estimate_memory(e16, 8);
  EXPECT_LT(D(half.keys + half.values), 0.6 * D(base.keys + base.values));
}

TEST(MemoryEstimate, ModuloNeedsLargerExchangeBuffersThanARing) {
  const std::string modulo = std::string(kRing).replace(kRing.find("\"ring\""), 6, "\"modulo\"");
  const MemoryEstimate ring = estimate_memory(validated(kRing, 4), 4);
  const MemoryEstimate mod = estimate_memory(validated(modulo, 4), 4);
  // A ring moves the new node's eighth; modulo moves nearly every record.
  EXPECT_GT(mod.exchange_buffers, 2 * ring.exchange_buffers);
  // But no more than the whole share out and in (16 bytes a record on the wire
  // each way) with per-record bookkeeping: under 64 bytes a record.
  EXPECT_LT(D(mod.exchange_buffers), 64 * D(mod.largest_share));
}

TEST(MemoryEstimate, ProcessingAddsTheWindowStore) {
  const MemoryEstimate plain = estimate_memory(validated(kRing, 4), 4);
  const MemoryEstimate with =
      estimate_memory(validated(kRing + "[processing]\nupdates = 1000\nlock = \"mcs\"\n", 4), 4);
  EXPECT_EQ(plain.processing, 0u);
  // A table of at least twice the records at 24 bytes a slot, beyond the exchange buffers.
  EXPECT_GT(with.processing + with.exchange_buffers, 2 * 24 * with.largest_share);
}

// At cluster scale nothing per rank grows with the rank count or with the
// nodes squared: 8 times the ranks, with the same share per rank (8 times
// the keys and the nodes), leave each per-rank part within a few percent.
TEST(MemoryEstimate, NoPartGrowsWithRanksSquaredOrNodesSquared) {
  const std::string text = kRing + "[processing]\nupdates = 100000\nlock = \"mcs\"\n";
  const Experiment e8 =
      validated(text, 8, {"keys.count=8e6", "cluster.nodes=800", "cluster.initial=799"});
  const Experiment e64 =
      validated(text, 64, {"keys.count=64e6", "cluster.nodes=6400", "cluster.initial=6399"});
  const MemoryEstimate a = estimate_memory(e8, 8), b = estimate_memory(e64, 64);
  const auto D = [](std::uint64_t x) { return static_cast<double>(x); };
  EXPECT_NEAR(D(b.processing), D(a.processing), 0.05 * D(a.processing) + 4096);
  EXPECT_NEAR(D(b.keys), D(a.keys), 0.05 * D(a.keys));
  // Per-node arrays grow with the nodes (8 times here), never with their square.
  EXPECT_LT(D(b.loads_matrices), 10 * D(a.loads_matrices));
  EXPECT_EQ(b.rank0_extra, 0u);
  EXPECT_LT(D(b.per_rank_bytes), 1.25 * D(a.per_rank_bytes));
}

TEST(CheckMemory, RefusesWhatDoesNotFitAndSaysHowManyRanksWould) {
  const Experiment e =
      validated(kRing, 4, {"keys.count=1e10", "cluster.nodes=256", "cluster.initial=255"});
  const std::uint64_t host = std::uint64_t{16} << 30;
  const auto refusal = check_memory(e, 4, 4, host);
  ASSERT_TRUE(refusal.has_value());
  const std::string& msg = *refusal;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind("not enough memory: the run needs about ", 0), 0u) << msg;
  const MemoryEstimate m = estimate_memory(e, 4);
  EXPECT_NE(msg.find(format_bytes(m.per_rank_bytes) + " per rank"), std::string::npos) << msg;
  EXPECT_NE(msg.find("for the 4 ranks on this host, which has 16 GiB"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--force-memory"), std::string::npos) << msg;
  // The rank count it names fits, and one fewer does not.
  const auto at = msg.find("fit on about ");
  ASSERT_NE(at, std::string::npos) << msg;
  const int need = std::stoi(msg.substr(at + 13));
  EXPECT_GT(need, 4);
  EXPECT_FALSE(check_memory(e, need, 4, host).has_value()) << need;
  EXPECT_TRUE(check_memory(e, need - 1, 4, host).has_value()) << need - 1;
  EXPECT_NE(msg.find(std::to_string((need + 3) / 4) + " hosts like this one at 4 ranks each"),
            std::string::npos)
      << msg;
}

TEST(CheckMemory, SmallRunsPassAndAnUnknownHostIsNotChecked) {
  const Experiment e = validated(kRing, 4, {"keys.count=1e6"});
  EXPECT_FALSE(check_memory(e, 4, 4, std::uint64_t{8} << 30).has_value());
  EXPECT_FALSE(check_memory(validated(kRing, 4, {"keys.count=1e12"}), 4, 4, 0).has_value());
  // Fewer ranks on the host need less of it.
  const Experiment big = validated(kRing, 4, {"keys.count=1e9"});
  const std::uint64_t per_rank = estimate_memory(big, 4).per_rank_bytes;
  const auto host = static_cast<std::uint64_t>(D(per_rank) * 2.5);
  EXPECT_FALSE(check_memory(big, 4, 2, host).has_value());
  EXPECT_TRUE(check_memory(big, 4, 4, host).has_value());
}

TEST(CheckMemory, KeysOfTooFewNodesCannotSpreadOverMoreRanks) {
  // 8 nodes: beyond 8 ranks, more ranks hold no fewer keys each.
  const auto refusal =
      check_memory(validated(kRing, 4, {"keys.count=1e10"}), 4, 4, std::uint64_t{16} << 30);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("with 8 nodes, a rank holds at least one node's keys"), std::string::npos)
      << *refusal;
  EXPECT_NE(refusal->find("more cluster.nodes would spread them"), std::string::npos) << *refusal;
}

TEST(CheckMemory, OneNodePerRankSpreadsWithTheRanks) {
  // cluster.nodes not given: more ranks are more nodes, so the keys spread.
  std::string text = kRing;
  const std::string nodes = "nodes = 8\ninitial = 7\n";
  text.replace(text.find(nodes), nodes.size(), "");
  text.replace(text.find("[[events]]"), std::string::npos, "");
  const Experiment e = validated(text, 4, {"keys.count=1e10"});
  ASSERT_TRUE(e.one_node_per_rank);
  const auto refusal = check_memory(e, 4, 4, std::uint64_t{16} << 30);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("it would fit on about "), std::string::npos) << *refusal;
}

TEST(FormatBytes, BinaryUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(std::uint64_t{3} << 30), "3.0 GiB");
  EXPECT_EQ(format_bytes(std::uint64_t{16} << 30), "16 GiB");
}

// A fake root with /proc/meminfo, /proc/self/cgroup and /sys/fs/cgroup.
class HostMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() /
        ("ringsim-meminfo-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    write(
        "proc/meminfo",
        "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    const auto p = root_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::filesystem::path root_;
};

TEST_F(HostMemory, MemTotalWithoutACgroupLimit) {
  EXPECT_EQ(host_memory_bytes(root_), 16384000ull * 1024);
  write("proc/self/cgroup", "0::/user.slice\n");
  write("sys/fs/cgroup/user.slice/memory.max", "max\n");
  EXPECT_EQ(host_memory_bytes(root_), 16384000ull * 1024);
}

TEST_F(HostMemory, TheSmallestLimitOfTheCgroupAndItsAncestors) {
  // A Slurm job step: the job's cgroup holds the limit, the step's says max.
  write("proc/self/cgroup", "0::/system.slice/slurmstepd.scope/job_7/step_0/user/task_0\n");
  write("sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/memory.max", "4294967296\n");
  write("sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/step_0/user/task_0/memory.max", "max\n");
  EXPECT_EQ(host_memory_bytes(root_), 4294967296ull);
  // A limit above MemTotal does not raise it.
  write("sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/memory.max", "99999999999999\n");
  EXPECT_EQ(host_memory_bytes(root_), 16384000ull * 1024);
}

TEST_F(HostMemory, AContainersOwnCgroupAndCgroupV1) {
  write("sys/fs/cgroup/memory.max", "2147483648\n");
  EXPECT_EQ(host_memory_bytes(root_), 2147483648ull);
  std::filesystem::remove(root_ / "sys/fs/cgroup/memory.max");
  write("proc/self/cgroup", "12:cpu,cpuacct:/x\n11:memory:/slurm/uid_0/job_9\n");
  write("sys/fs/cgroup/memory/slurm/uid_0/job_9/memory.limit_in_bytes", "1073741824\n");
  EXPECT_EQ(host_memory_bytes(root_), 1073741824ull);
}

TEST(HostMemoryOfThisMachine, IsKnown) { EXPECT_GT(host_memory_bytes(), std::uint64_t{1} << 26); }

}  // namespace
}  // namespace ringsim
