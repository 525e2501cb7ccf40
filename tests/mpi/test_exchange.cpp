// The two exchange methods of the redistribution (ctest runs this at 2, 4 and
// 8 ranks): for several strategies, replication factors and event kinds the
// sparse exchange (NBX consensus, point-to-point records) leaves every rank
// with the same shard, record for record and in the same order, and the same
// move statistics as MPI_Alltoallv; an event where only one rank sends, and
// one where nobody does, work; and the guard on counts MPI cannot take throws
// a clear error, or ends the job when only one rank sees it (disabled tests
// that exchange.cmake runs alone and matches on the job's output).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "checksum.hpp"
#include "engine/cluster.hpp"
#include "engine/key_source.hpp"
#include "engine/phase_timer.hpp"
#include "engine/redistribution.hpp"
#include "engine/replicas.hpp"
#include "engine/shard.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "mpi_test_util.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

Experiment make_experiment(const std::string& strategy, std::uint32_t replicas,
                           bool variable = false) {
  const std::string text =
      R"(
[keys]
count = 12000
seed = 7
)" +
      std::string(variable
                      ? "value_size = { distribution = \"lognormal\", mean = 300, sigma = 1.5 }\n"
                      : "") +
      R"(
[cluster]
nodes = 12
initial = 9
replicas = )" +
      std::to_string(replicas) +
      R"(
[[strategies]]
name = ")" +
      strategy + R"("
[[events]]
kind = "add"
count = 1
[[events]]
kind = "remove"
count = 1
[[events]]
kind = "fail"
count = 1
[[events]]
kind = "add"
count = 2
[[events]]
kind = "fail"
count = 2
)";
  Experiment e = parse_experiment(text, "exchange_test.toml");
  validate_experiment(e, world_size());
  return e;
}

// One simulated cluster driven through the Redistributor with one exchange
// method, the way the runner drives it (drop failed, update, redistribute).
struct Sim {
  Experiment e;
  Cluster cluster;
  Shard shard;
  Redistributor redist;
  ExchangeMethod method;

  Sim(Experiment exp, ExchangeMethod m)
      : e(std::move(exp)),
        cluster(e, e.strategies[0], world_size()),
        shard(e.keys.value_bytes, e.replicas > 1, cluster.load_aware(), e.keys.variable_values()),
        redist(MPI_COMM_WORLD, e.keys, e.replicas),
        method(m) {}

  RedistributeOptions options() const {
    RedistributeOptions o;
    o.exchange = method;
    o.floor_repeats = 2;
    o.node_pairs = true;
    return o;
  }

  // The initial placement, round by round, with this sim's method.
  std::vector<LocalMoveStats> place() {
    KeySource source(e.keys, e.replicas, world_rank(), world_size());
    if (cluster.load_aware()) cluster.rebalance(source.hashes(), MPI_COMM_WORLD);
    std::vector<LocalMoveStats> out;
    PhaseTimer timer;
    for (std::uint64_t round = 0; round < source.rounds(); ++round) {
      Shard batch = source.round(round, cluster.load_aware());
      timer.reset();
      out.push_back(
          redist.redistribute(batch, cluster.placement(), cluster.membership(), timer, options()));
      shard.append(batch);
    }
    return out;
  }

  LocalMoveStats event(const ResolvedEvent& ev) {
    if (ev.kind == EventKind::kFail)
      redist.drop_failed(shard, cluster.placement(), cluster.membership(), ev.nodes);
    cluster.apply(ev);
    cluster.rebalance(shard, e.keys, MPI_COMM_WORLD);
    PhaseTimer timer;
    timer.reset();
    return redist.redistribute(shard, cluster.placement(), cluster.membership(), timer, options());
  }
};

// Every record of this rank sits on the node the strategy names for its
// replica, and that node lives on this rank.
void expect_placed(const Sim& s, const std::string& where) {
  NodeId owners[kMaxReplicas];
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < s.shard.size(); ++i) {
    replica_owners(s.cluster.placement(), s.cluster.membership(),
                   s.e.keys.key_hash(s.shard.keys[i]), s.e.replicas, owners);
    const NodeId want = owners[s.shard.replica_of(i)];
    wrong += s.shard.owners[i] != want || s.cluster.membership().rank_of(want) != world_rank();
  }
  EXPECT_EQ(wrong, 0u) << where << ": records on the wrong node or rank";
}

// (key, replica, owner, digest of the value) of every record, sorted.
std::vector<std::tuple<std::uint64_t, std::uint32_t, NodeId, std::uint64_t>> summary(
    const Shard& s) {
  std::vector<std::tuple<std::uint64_t, std::uint32_t, NodeId, std::uint64_t>> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    out.emplace_back(s.keys[i], s.replica_of(i), s.owners[i],
                     record_digest(s.keys[i], s.replica_of(i), s.value(i)));
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_shard(const Shard& a, const Shard& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  EXPECT_EQ(summary(a), summary(b)) << where << ": different records";
  // Records arrive grouped by source rank in both methods: the same order too.
  EXPECT_TRUE(std::equal(a.keys.begin(), a.keys.end(), b.keys.begin())) << where << ": order";
  EXPECT_TRUE(std::equal(a.values.begin(), a.values.end(), b.values.begin())) << where;
}

void expect_same_stats(const LocalMoveStats& a, const LocalMoveStats& b, const std::string& where) {
  EXPECT_EQ(a.keys_moved, b.keys_moved) << where;
  EXPECT_EQ(a.records_sent, b.records_sent) << where;
  EXPECT_EQ(a.records_received, b.records_received) << where;
  EXPECT_EQ(a.peer_ranks, b.peer_ranks) << where;
  EXPECT_EQ(a.keys_moved_by_load, b.keys_moved_by_load) << where;
  EXPECT_EQ(a.replicas_created, b.replicas_created) << where;
  EXPECT_EQ(a.copies_sent, b.copies_sent) << where;
  EXPECT_EQ(a.records_to_rank, b.records_to_rank) << where;
  EXPECT_EQ(a.node_pairs, b.node_pairs) << where;
  EXPECT_EQ(a.node_pair_bytes, b.node_pair_bytes) << where;
  EXPECT_EQ(a.bytes_moved, b.bytes_moved) << where;
  EXPECT_EQ(a.bytes_copied, b.bytes_copied) << where;
  EXPECT_EQ(a.bytes_sent, b.bytes_sent) << where;
  EXPECT_EQ(a.bytes_received, b.bytes_received) << where;
  EXPECT_EQ(a.bytes_to_rank, b.bytes_to_rank) << where;
  EXPECT_EQ(a.floor_seconds.size(), b.floor_seconds.size()) << where;
}

std::uint64_t global_sum(std::uint64_t v) {
  std::uint64_t out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

// (strategy, replicas, values of variable size)
using Case = std::tuple<std::string, std::uint32_t, bool>;
class ExchangeMethods : public ::testing::TestWithParam<Case> {};

TEST_P(ExchangeMethods, SparseMatchesAlltoallvForEveryEvent) {
  const auto& [strategy, replicas, variable] = GetParam();
  Sim dense(make_experiment(strategy, replicas, variable), ExchangeMethod::kAlltoallv);
  Sim sparse(make_experiment(strategy, replicas, variable), ExchangeMethod::kSparse);

  const auto pd = dense.place(), ps = sparse.place();
  ASSERT_EQ(pd.size(), ps.size());
  for (std::size_t k = 0; k < pd.size(); ++k)
    expect_same_stats(pd[k], ps[k], "initial round " + std::to_string(k));
  expect_same_shard(dense.shard, sparse.shard, "initial placement");
  expect_placed(sparse, "initial placement");
  EXPECT_EQ(global_sum(sparse.shard.size()), sparse.e.keys.count * replicas);

  const auto& timeline = dense.e.timeline;
  ASSERT_EQ(timeline.size(), 5u);
  std::uint64_t moved = 0, crossed = 0;
  // Bytes on the wire: what left one rank arrived at another.
  std::uint64_t sent_bytes = 0, received_bytes = 0;
  for (std::size_t k = 0; k < timeline.size(); ++k) {
    const std::string where = "event " + std::to_string(k) + " (" + timeline[k].describe() + ")";
    const LocalMoveStats a = dense.event(timeline[k]);
    const LocalMoveStats b = sparse.event(timeline[k]);
    expect_same_stats(a, b, where);
    EXPECT_EQ(b.floor_seconds.size(), 2u);
    expect_same_shard(dense.shard, sparse.shard, where);
    expect_placed(sparse, where);
    moved += b.keys_moved;
    crossed += b.records_sent;
    sent_bytes += b.bytes_sent;
    received_bytes += b.bytes_received;
    if (!variable) {
      EXPECT_EQ(b.bytes_moved, b.keys_moved * (8 + dense.e.keys.value_bytes + (replicas > 1)));
    }
    if (timeline[k].kind != EventKind::kFail) {
      // Nothing is lost without a failure: every record of the keys alive.
      EXPECT_EQ(global_sum(sparse.shard.size()), global_sum(dense.shard.size())) << where;
    }
  }
  // The events did move records, across ranks (else the comparison is empty).
  EXPECT_GT(global_sum(moved), 0u);
  EXPECT_EQ(global_sum(sent_bytes), global_sum(received_bytes));
  if (world_size() > 1) {
    EXPECT_GT(global_sum(crossed), 0u);
  }
}

auto case_name = [](const ::testing::TestParamInfo<Case>& p) {
  return std::get<0>(p.param) + "_r" + std::to_string(std::get<1>(p.param)) +
         (std::get<2>(p.param) ? "_variable" : "");
};
INSTANTIATE_TEST_SUITE_P(Strategies, ExchangeMethods,
                         ::testing::Combine(::testing::Values("modulo", "ring", "anchor",
                                                              "rendezvous", "memento"),
                                            ::testing::Values(1u, 2u), ::testing::Values(false)),
                         case_name);
// Values of variable size (records counted in bytes on the wire).
INSTANTIATE_TEST_SUITE_P(VariableValues, ExchangeMethods,
                         ::testing::Combine(::testing::Values("modulo", "ring", "memento"),
                                            ::testing::Values(1u, 2u), ::testing::Values(true)),
                         case_name);
// A load-aware strategy (its moves by load are counted apart); replicas 1 only.
INSTANTIATE_TEST_SUITE_P(LoadAware, ExchangeMethods, ::testing::Values(Case{"bounded", 1u, false}),
                         case_name);

// Fresh records (no owner yet) made on `sender` alone: the keys whose owner
// node lives on `to` (or on any rank, with to < 0). Every other rank is empty.
void fill_from_one_rank(Sim& s, int sender, int to) {
  if (world_rank() != sender) return;
  std::vector<std::byte> value(s.e.keys.value_bytes);
  for (std::uint64_t i = 0; i < s.e.keys.count; ++i) {
    const std::uint64_t key = s.e.keys.key(i);
    const NodeId owner = s.cluster.placement().lookup(s.e.keys.key_hash(key));
    if (to >= 0 && s.cluster.membership().rank_of(owner) != to) continue;
    s.e.keys.fill_value(key, value);
    s.shard.push(key, kNoNode, value.data());
  }
}

class OneSender : public ::testing::TestWithParam<ExchangeMethod> {};

TEST_P(OneSender, OnlyOneRankSends) {
  const int last = world_size() - 1;
  for (const int to : {last, -1}) {
    const std::string where = to < 0 ? "to every rank" : "to the last rank";
    Sim s(make_experiment("ring", 1), GetParam());
    Sim ref(make_experiment("ring", 1), ExchangeMethod::kAlltoallv);
    fill_from_one_rank(s, 0, to);
    fill_from_one_rank(ref, 0, to);
    const std::uint64_t made = global_sum(s.shard.size());
    PhaseTimer timer;
    timer.reset();
    const LocalMoveStats st = s.redist.redistribute(s.shard, s.cluster.placement(),
                                                    s.cluster.membership(), timer, s.options());
    const LocalMoveStats sr = ref.redist.redistribute(
        ref.shard, ref.cluster.placement(), ref.cluster.membership(), timer, ref.options());
    expect_same_stats(st, sr, where);
    expect_same_shard(s.shard, ref.shard, where);
    expect_placed(s, where);
    EXPECT_EQ(global_sum(s.shard.size()), made) << where;
    if (world_rank() != 0) {
      EXPECT_EQ(st.records_sent, 0u) << where;
    }
    if (to >= 0 && world_size() > 1) {
      // One pair of ranks talks; the others have no peer.
      const int r = world_rank();
      EXPECT_EQ(st.peer_ranks, r == 0 || r == to ? 1 : 0) << where;
      if (r != to) {
        EXPECT_EQ(s.shard.size(), 0u) << where;
      }
    }

    // Again with nothing to move: nobody sends, the consensus still ends.
    const std::vector<std::uint64_t> before(s.shard.keys.begin(), s.shard.keys.end());
    timer.reset();
    const LocalMoveStats again = s.redist.redistribute(s.shard, s.cluster.placement(),
                                                       s.cluster.membership(), timer, s.options());
    EXPECT_EQ(again.keys_moved, 0u) << where;
    EXPECT_EQ(again.records_sent, 0u) << where;
    EXPECT_EQ(again.records_received, 0u) << where;
    EXPECT_EQ(again.peer_ranks, 0) << where;
    EXPECT_TRUE(std::equal(before.begin(), before.end(), s.shard.keys.begin(), s.shard.keys.end()))
        << where;
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, OneSender,
                         ::testing::Values(ExchangeMethod::kAlltoallv, ExchangeMethod::kSparse),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(ExchangeMethod, ParsesItsNames) {
  EXPECT_EQ(parse_exchange("alltoallv"), ExchangeMethod::kAlltoallv);
  EXPECT_EQ(parse_exchange("sparse"), ExchangeMethod::kSparse);
  EXPECT_STREQ(to_string(ExchangeMethod::kSparse), "sparse");
  EXPECT_STREQ(to_string(ExchangeMethod::kAlltoallv), "alltoallv");
  try {
    parse_exchange("dense");
    ADD_FAILURE() << "no error for \"dense\"";
  } catch (const Error& err) {
    EXPECT_STREQ(err.what(), "run.exchange must be \"alltoallv\" or \"sparse\", got \"dense\"");
  }
}

std::string limit_error(const std::vector<std::uint64_t>& counts, bool sending, ExchangeMethod m,
                        std::uint64_t limit) {
  try {
    check_exchange_limits(3, counts, sending, m, limit);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

TEST(ExchangeLimits, PerPeerCountsAboveTheLimitFailForBothMethods) {
  for (ExchangeMethod m : {ExchangeMethod::kAlltoallv, ExchangeMethod::kSparse}) {
    EXPECT_EQ(limit_error({0, 11, 0}, true, m, 10),
              "rank 3 would send 11 records to rank 1, more than the limit of 10 records in one "
              "MPI message; use more ranks");
    EXPECT_EQ(limit_error({0, 0, 12}, false, m, 10),
              "rank 3 would receive 12 records from rank 2, more than the limit of 10 records in "
              "one MPI message; use more ranks");
    EXPECT_EQ(limit_error({10, 0, 0}, true, m, 10), "");
  }
  // The real limit: INT_MAX records per message, whatever fits in 64 bits.
  EXPECT_NE(limit_error({std::uint64_t{1} << 31}, true, ExchangeMethod::kSparse, kMpiCountLimit),
            "");
  EXPECT_EQ(
      limit_error({(std::uint64_t{1} << 31) - 1}, true, ExchangeMethod::kSparse, kMpiCountLimit),
      "");
}

TEST(ExchangeLimits, DisplacementsBindOnlyTheDenseMethod) {
  // The third peer's records start at 12 > 10.
  EXPECT_EQ(limit_error({6, 6, 6}, true, ExchangeMethod::kAlltoallv, 10),
            "rank 3 would send 18 records in one MPI_Alltoallv, whose displacements stop at 10 "
            "records; use more ranks or run.exchange = \"sparse\"");
  EXPECT_NE(limit_error({6, 6, 6}, false, ExchangeMethod::kAlltoallv, 10), "");
  EXPECT_EQ(limit_error({6, 6, 6}, true, ExchangeMethod::kSparse, 10), "");
  // A displacement of exactly the limit is fine, and so are empty peers after it.
  EXPECT_EQ(limit_error({4, 6, 1, 0}, true, ExchangeMethod::kAlltoallv, 10), "");
  EXPECT_EQ(limit_error({6, 6, 0, 0}, true, ExchangeMethod::kAlltoallv, 10), "");
  // 2^32 records in all, each count and displacement within INT_MAX: fine for
  // the sparse method, beyond MPI_Alltoallv's int displacements.
  const std::vector<std::uint64_t> big(4, std::uint64_t{1} << 30);
  EXPECT_EQ(limit_error(big, true, ExchangeMethod::kSparse, kMpiCountLimit), "");
  EXPECT_NE(limit_error(big, true, ExchangeMethod::kAlltoallv, kMpiCountLimit), "");
}

// Every rank over the limit throws before any collective, so a test can catch
// it on every rank and the job goes on.
TEST(ExchangeLimits, EveryRankOverTheLimitThrows) {
  if (world_size() < 2) GTEST_SKIP();
  for (ExchangeMethod m : {ExchangeMethod::kAlltoallv, ExchangeMethod::kSparse}) {
    Sim s(make_experiment("modulo", 1), m);
    KeySource source(s.e.keys, 1, world_rank(), world_size());
    Shard batch = source.round(0, false);
    RedistributeOptions o = s.options();
    o.count_limit = 1;
    PhaseTimer timer;
    timer.reset();
    try {
      s.redist.redistribute(batch, s.cluster.placement(), s.cluster.membership(), timer, o);
      ADD_FAILURE() << "no error at a limit of 1 record";
    } catch (const Error& err) {
      const std::string what = err.what();
      EXPECT_NE(what.find("rank " + std::to_string(world_rank()) + " would send "),
                std::string::npos)
          << what;
      EXPECT_NE(what.find("more than the limit of 1 records"), std::string::npos) << what;
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// The disabled tests below end the job on purpose: one rank alone sees a
// count over the limit, throws, and (as ringsim's terminate handler does)
// prints its line and aborts while the others wait in MPI. exchange.cmake
// runs each alone and matches the line.
[[noreturn]] void abort_like_ringsim() {
  std::string what = "unknown error";
  if (auto ep = std::current_exception()) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
  }
  std::fprintf(stderr, "ringsim: error on rank %d: %s\n", world_rank(), what.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 3);
  std::_Exit(3);
}

ExchangeMethod method_from_env() {
  const char* m = std::getenv("RINGSIM_TEST_EXCHANGE");
  return parse_exchange(m ? m : "alltoallv");
}

// Rank 1 alone has records (for rank 0), more than the limit: it throws in
// the plan, while rank 0 is already in the counts phase.
TEST(ExchangeGuardAbort, DISABLED_OneSenderOverTheLimit) {
  std::set_terminate(abort_like_ringsim);
  Sim s(make_experiment("ring", 1), method_from_env());
  fill_from_one_rank(s, 1, 0);
  RedistributeOptions o = s.options();
  o.count_limit = 5;
  PhaseTimer timer;
  timer.reset();
  s.redist.redistribute(s.shard, s.cluster.placement(), s.cluster.membership(), timer, o);
  ADD_FAILURE() << "the job went on past the guard";
}

// Every rank but 0 sends rank 0 at most the limit, so rank 0 alone sees
// displacements over it, after the counts: it throws before the exchange,
// which the others are already in.
TEST(ExchangeGuardAbort, DISABLED_OneReceiverOverTheDisplacementLimit) {
  std::set_terminate(abort_like_ringsim);
  Sim s(make_experiment("ring", 1), ExchangeMethod::kAlltoallv);
  if (world_rank() != 0) {
    std::vector<std::byte> value(s.e.keys.value_bytes);
    for (std::uint64_t i = 0; i < s.e.keys.count && s.shard.size() < 5; ++i) {
      const std::uint64_t key = s.e.keys.key(i);
      const NodeId owner = s.cluster.placement().lookup(s.e.keys.key_hash(key));
      if (s.cluster.membership().rank_of(owner) != 0) continue;
      s.e.keys.fill_value(key, value);
      s.shard.push(key, kNoNode, value.data());
    }
  }
  RedistributeOptions o = s.options();
  o.count_limit = 5;
  PhaseTimer timer;
  timer.reset();
  s.redist.redistribute(s.shard, s.cluster.placement(), s.cluster.membership(), timer, o);
  ADD_FAILURE() << "the job went on past the guard";
}

}  // namespace
}  // namespace ringsim
