// An experiment: keys, cluster, strategies and the event timeline, read from a
// TOML file and validated completely before any MPI work starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "keys.hpp"
#include "params.hpp"
#include "placement.hpp"

namespace ringsim {

// What happens to the nodes at one step of the timeline.
enum class EventKind {
  kAdd,     // nodes join (empty)
  kRemove,  // graceful: the leaving nodes hand their keys over
  kFail,    // abrupt: the failed nodes' keys are gone, except for replicas elsewhere
};
const char* to_string(EventKind k);

// One [[events]] entry as written. Besides add, remove and fail, the file may
// say rejoin, restart (rolling), churn and scale; validation expands those
// into add/remove/fail steps.
struct EventSpec {
  std::string kind = "add";
  std::uint32_t count = 0;    // 0: not given
  std::vector<NodeId> nodes;  // explicit node ids
  std::uint32_t rate = 1, steps = 1, to = 0;
  EventKind churn_mode = EventKind::kRemove;
  std::string where;  // "file:line" for error messages
};

// An event with its nodes chosen: the same for every strategy of a run.
struct ResolvedEvent {
  EventKind kind;
  std::vector<NodeId> nodes;
  std::string origin;            // for expanded entries: "restart 2/4", "churn 1/3", ...
  std::string describe() const;  // "add node 3", "churn 1/3: fail nodes 1,4"
};

struct StrategySpec {
  std::string label;  // group name in the output; defaults to the strategy name
  StrategyParams params;
  std::string where;
  // Filled by validate_experiment(), which builds the strategy once on the
  // initial nodes: what it can do, and its lookup state in bytes then.
  PlacementTraits traits;
  std::uint64_t state_bytes = 0;
};

// [network]: the network a projected migration time assumes, per node. 0:
// not given (use the run's own calibration).
struct NetworkModel {
  double bandwidth = 0;  // bytes per second
  double latency = 0;    // seconds per message
};

struct Experiment {
  std::string name;                    // file stem, or "default" for the embedded one
  std::string source;                  // path as given, for messages
  std::string text;                    // the file's text, stored in the output
  std::vector<std::string> overrides;  // --set arguments, in order
  std::string description;

  KeySpace keys;
  bool keys_count_given = false;   // keys.count was set (caps a key trace)
  std::uint32_t nodes = 0;         // ring nodes in all; 0 = one per rank
  bool one_node_per_rank = false;  // cluster.nodes was 0: validate() set it to the rank count
  std::uint32_t initial = 0;       // nodes active at the start; 0 = all
  std::vector<double> weights;     // each in [kMinWeight, kMaxWeight]
  std::uint32_t replicas = 1;      // copies of each key, on distinct nodes
  // How logical nodes are laid on ranks: "random", "block" or "cyclic".
  std::string mapping = "random";
  bool verify = true;
  std::uint32_t repetitions = 1;  // runs of every strategy, with seeds seed, seed + 1, ...
  // How each event's records cross ranks: "alltoallv" (MPI_Alltoall of the
  // counts, then MPI_Alltoallv over all ranks) or "sparse" (each rank learns
  // who sends to it by a non-blocking consensus and exchanges with those
  // peers only).
  std::string exchange = "alltoallv";
  bool compress = true;  // chunked, deflated per-event arrays in the result file
  // Bare MPI_Alltoallv repeats of each event's exchange, for the exchange floor.
  std::uint32_t floor_repeats = 5;
  // [run] order_dependence: keep a shadow placement that removes the nodes of
  // every multi-node leave in the reverse order, and count after each event
  // the keys whose owner (replica 0) differs between the two.
  bool order_dependence = false;
  NetworkModel network;

  ProcessingConfig processing;  // [processing]; updates = 0: none

  // [locks]: the lock benchmark, each algorithm x workload x read fraction x
  // rank count.
  struct LockSuite {
    std::vector<std::string> algorithms{"winlock", "spin", "mcs"};
    std::vector<std::string> workloads{"empty", "remote-access", "work", "wait-after",
                                       "uncontended"};
    std::vector<int> ranks;             // sub-communicator sizes; empty: the job's size
    std::uint64_t acquisitions = 2000;  // per rank; 0 with duration > 0: run for a time
    double duration = 0;
    int stripes = 1;
    std::string target = "hot";
    double timeout = 30;
    // Fractions of acquisitions taken in shared (read) mode, each in [0, 1].
    std::vector<double> reads{0};
    // The workloads on which the read fractions other than 0 run; empty: all.
    std::vector<std::string> reads_workloads;
    int ranks_per_host = 0;    // LockOptions (cohort): 0 = the real hosts
    int cohort_handoffs = 16;  // LockOptions (cohort): >= 1
    // Whether the suite runs (workload, reads).
    bool runs_reads(const std::string& workload, double r) const {
      if (r == 0 || reads_workloads.empty()) return true;
      for (const auto& w : reads_workloads)
        if (w == workload) return true;
      return false;
    }
  };
  bool has_locks = false;
  LockSuite locks;

  std::vector<StrategySpec> strategies;
  std::vector<EventSpec> events;

  // Filled by validate(): the concrete timeline.
  std::vector<ResolvedEvent> timeline;
};

// The range of cluster.weights: a weight outside it is refused. Weights are
// relative, and a spread wider than 10^4 makes some strategies' tables (ring
// vnodes, Maglev entries) grow with the ratio.
inline constexpr double kMinWeight = 0.01;
inline constexpr double kMaxWeight = 100;

// [network] values written as strings. Bandwidth: a number and a unit,
// "100Gb/s", "100 Gbit/s", "12.5GB/s", "10 GiB/s", "800MB/s" (b or bit: bits,
// B or byte: bytes; k/K, M, G, T, P decimal, Ki, Mi, Gi, Ti, Pi binary; "/s"
// or "ps"). Latency: "2us", "2 µs", "1.5ms", "500ns", "1s". They return bytes
// per second and seconds, and throw ringsim::Error saying what is wrong with
// the text (without a field name) otherwise.
double parse_bandwidth(std::string_view text);
double parse_latency(std::string_view text);

// Parses the text of an experiment file and applies `--set key.path=value`
// overrides. Throws ringsim::Error "source:line: field: problem". A relative
// keys.file is resolved against the experiment file's folder (keys.path).
Experiment parse_experiment(std::string_view text, const std::string& source,
                            const std::vector<std::string>& overrides = {});

// Checks what depends on the rank count, builds every strategy once to check
// its parameters, and resolves the event timeline. Throws ringsim::Error.
void validate_experiment(Experiment& e, int ranks);

// The default experiment compiled into the binary (experiments/default.toml).
std::string_view default_experiment_text();

}  // namespace ringsim
