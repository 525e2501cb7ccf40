// No destructor frees an MPI window (a collective) while an exception
// unwinds: the lock sets and the processing store leak instead. The MPI
// profiling interface counts this process's MPI_Win_free and MPI_Comm_free
// calls. Every rank throws here, so that the test itself never leaves a
// collective half-entered; a destructor that did free would be counted.
// Also: an injected lock timeout fails as a real one does.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "locks/rma_lock.hpp"
#include "mpi_test_util.hpp"
#include "processing.hpp"
#include "registry.hpp"

namespace {
std::atomic<int> g_win_frees{0}, g_comm_frees{0};
}  // namespace

extern "C" int MPI_Win_free(MPI_Win* win) {
  ++g_win_frees;
  return PMPI_Win_free(win);
}

extern "C" int MPI_Comm_free(MPI_Comm* comm) {
  ++g_comm_frees;
  return PMPI_Comm_free(comm);
}

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

class Unwind : public ::testing::TestWithParam<std::string> {};

TEST_P(Unwind, LockSetFreesNormallyButNotWhileAnExceptionUnwinds) {
  {
    auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 5);
    const int wins = g_win_frees;
    locks.reset();
    EXPECT_GE(g_win_frees - wins, 1) << "a normal destruction frees the window";
  }
  int wins = 0, comms = 0;
  try {
    auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 5);
    locks->acquire(world_rank(), 1);  // held while unwinding
    wins = g_win_frees;
    comms = g_comm_frees;
    throw std::runtime_error("leaving");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(g_win_frees - wins, 0) << "MPI_Win_free called while unwinding";
  EXPECT_EQ(g_comm_frees - comms, 0) << "MPI_Comm_free called while unwinding";
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST_P(Unwind, InjectedTimeoutFailsLikeARealOneAndTheLockStillWorks) {
  auto locks = make_lock_set(GetParam(), MPI_COMM_WORLD, 2, 30);
  const int me = world_rank();
  locks->fail_next_acquire();
  try {
    locks->acquire(0, 1);
    ADD_FAILURE() << "the injected timeout did not fire";
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string head = GetParam() + " lock (owner rank 0, stripe 1): rank " +
                             std::to_string(me) + " timed out after 30 s waiting to acquire it";
    EXPECT_EQ(what.rfind(head, 0), 0u) << what;
    EXPECT_NE(what.find("injected fault"), std::string::npos) << what;
  }
  EXPECT_FALSE(locks->holds(0, 1));
  // Only the next acquisition fails.
  locks->acquire(0, 1);
  EXPECT_TRUE(locks->holds(0, 1));
  locks->release(0, 1);
  MPI_Barrier(MPI_COMM_WORLD);
}

INSTANTIATE_TEST_SUITE_P(All, Unwind, ::testing::ValuesIn(lock_algorithms()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;  // rw-writer -> rw_writer
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// run_processing_round with an injected timeout on every rank: each rank's
// first acquisition throws ringsim::Error out of the round, and neither the
// lock set nor the store window is freed on the way out.
class ProcessingUnwind : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessingUnwind, InjectedTimeoutLeavesTheRoundWithoutFreeingWindows) {
  Experiment e = parse_experiment(
      "[keys]\ncount = 2000\n[cluster]\nnodes = 4\n[processing]\nupdates = 100\nkeys = \"hot\"\n"
      "[[strategies]]\nname = \"ring\"\n",
      "unwind.toml", {"processing.lock=" + GetParam()});
  validate_experiment(e, world_size());
  Membership m(e.nodes, world_size(), e.weights);
  auto p = make_placement(e.strategies[0].params);
  std::vector<NodeSpec> nodes;
  for (NodeId n = 0; n < e.nodes; ++n) nodes.push_back(m.spec(n));
  p->init(nodes, e.nodes);
  Shard shard(e.keys.value_bytes);
  std::vector<std::byte> value(e.keys.value_bytes);
  for (std::uint64_t i = 0; i < e.keys.count; ++i) {
    const std::uint64_t key = e.keys.key(i);
    const NodeId owner = p->lookup(e.keys.key_hash(key));
    if (m.rank_of(owner) != world_rank()) continue;
    e.keys.fill_value(key, value);
    shard.push(key, owner, value.data());
  }
  const int wins = g_win_frees;
  try {
    run_processing_round(shard, e.keys, *p, m, e.processing, 1, MPI_COMM_WORLD, false, true);
    ADD_FAILURE() << "the injected lock timeout did not fire";
  } catch (const Error& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find(GetParam() + " lock (owner rank "), std::string::npos) << what;
    EXPECT_NE(what.find("rank " + std::to_string(world_rank()) + " timed out after"),
              std::string::npos)
        << what;
  }
  EXPECT_EQ(g_win_frees - wins, 0) << "a window was freed while the round unwound";
  MPI_Barrier(MPI_COMM_WORLD);
}

INSTANTIATE_TEST_SUITE_P(All, ProcessingUnwind, ::testing::ValuesIn(lock_algorithms()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;  // rw-writer -> rw_writer
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace ringsim
