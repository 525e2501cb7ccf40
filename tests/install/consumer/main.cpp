// Uses the installed ringsim library: a placement strategy from the registry,
// the experiment parser, and the whole command (run_cli), which writes an HDF5
// result through the library's private HDF5 dependency.
// Usage: mpiexec -n N consumer OUT.h5
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <ringsim/cli.hpp>
#include <ringsim/error.hpp>
#include <ringsim/experiment.hpp>
#include <ringsim/hash.hpp>
#include <ringsim/registry.hpp>
#include <string>
#include <vector>

namespace {

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAIL: %s\n", what);
    ++failures;
  }
}

// Ring over nodes 0..3: every key goes to an active node, and removing node 2
// moves exactly the keys node 2 held (the ring's minimal disruption).
void placement() {
  auto ring = ringsim::make_placement(ringsim::StrategyParams("ring"));
  const std::vector<ringsim::NodeSpec> nodes = {{0}, {1}, {2}, {3}};
  ring->init(nodes, 4);
  std::vector<std::uint32_t> before;
  for (std::uint64_t k = 0; k < 10000; ++k) before.push_back(ring->lookup(ringsim::hash_u64(k, 1)));
  ring->remove_node(2);
  int on_two = 0, moved_wrongly = 0;
  for (std::uint64_t k = 0; k < 10000; ++k) {
    const std::uint32_t now = ring->lookup(ringsim::hash_u64(k, 1));
    check(before[k] < 4 && now < 4 && now != 2, "a key placed outside the active nodes");
    if (before[k] == 2)
      ++on_two;
    else if (now != before[k])
      ++moved_wrongly;
  }
  check(on_two > 1000 && on_two < 4000, "node 2 held about a quarter of the keys");
  check(moved_wrongly == 0, "removing node 2 moved keys that were not on node 2");
  bool refused = false;
  try {
    ringsim::make_placement(ringsim::StrategyParams("no-such-strategy"));
  } catch (const ringsim::Error&) {
    refused = true;
  }
  check(refused, "an unknown strategy is refused with ringsim::Error");
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc != 2) {
    if (rank == 0) std::fprintf(stderr, "usage: consumer OUT.h5\n");
    MPI_Finalize();
    return 2;
  }
  placement();
  ringsim::Experiment e =
      ringsim::parse_experiment(ringsim::default_experiment_text(), "default.toml");
  ringsim::validate_experiment(e, 4);
  check(e.strategies.size() >= 2, "the built-in default experiment has its strategies");

  // The command itself: a small default run into argv[1].
  std::vector<std::string> args = {"consumer",        "run",   "--quiet", "--set",
                                   "keys.count=5000", "--out", argv[1]};
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  const int rc = ringsim::run_cli(static_cast<int>(cargs.size()), cargs.data(), MPI_COMM_WORLD);
  check(rc == ringsim::kExitOk, "run_cli run exited non-zero");
  check(std::filesystem::exists(argv[1]), "run_cli wrote no result file");
  if (rank == 0 && failures == 0) std::printf("consumer: ok (rc %d, %s)\n", rc, argv[1]);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
