// An experiment: keys, cluster, strategies and the event timeline, read from a
// TOML file and validated completely before any MPI work starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keys.hpp"
#include "params.hpp"
#include "placement.hpp"
#include "config.hpp"

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
};

struct Experiment {
  std::string name;                    // file stem, or "default" for the embedded one
  std::string source;                  // path as given, for messages
  std::string text;                    // the file's text, stored in the output
  std::vector<std::string> overrides;  // --set arguments, in order
  std::string description;

  KeySpace keys;
  bool keys_count_given = false;  // keys.count was set (caps a key trace)
  std::uint32_t nodes = 0;        // ring nodes in all; 0 = one per rank
  std::uint32_t initial = 0;      // nodes active at the start; 0 = all
  std::vector<double> weights;
  std::uint32_t replicas = 1;  // copies of each key, on distinct nodes
  bool verify = true;
  std::uint32_t repetitions = 1;  // runs of every strategy, with seeds seed, seed + 1, ...
  std::uint32_t node_matrix_max = 256;
  bool compress = true;  // chunked, deflated per-event arrays in the result file  // record
                         // node-to-node moves up to this many nodes

  ProcessingConfig processing;  // [processing]; updates = 0: none

  // [locks]: the lock benchmark, each algorithm x workload x rank count.
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
  };
  bool has_locks = false;
  LockSuite locks;

  std::vector<StrategySpec> strategies;
  std::vector<EventSpec> events;

  // Filled by validate(): the concrete timeline.
  std::vector<ResolvedEvent> timeline;
};

// Parses the text of an experiment file and applies `--set key.path=value`
// overrides. Throws ringsim::Error "source:line: field: problem".
Experiment parse_experiment(std::string_view text, const std::string& source,
                            const std::vector<std::string>& overrides = {});

// Checks what depends on the rank count, builds every strategy once to check
// its parameters, and resolves the event timeline. Throws ringsim::Error.
void validate_experiment(Experiment& e, int ranks);

// The default experiment compiled into the binary (experiments/default.toml).
std::string_view default_experiment_text();

}  // namespace ringsim
