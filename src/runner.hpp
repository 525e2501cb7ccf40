// The main job: for each strategy, place the keys, replay the event timeline,
// redistribute after each event, verify, and record what it cost.
#pragma once

#include <mpi.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "experiment.hpp"

namespace ringsim {

struct RunOptions {
  Fault fault = Fault::kNone;
  // Rank 0 reports progress on stderr (event i of n, elapsed, estimate of
  // what remains), at most once a second and only once a run passes a second.
  bool progress = false;
  // Set (by a signal handler) to ask the run to stop at the next safe point:
  // between events, initial-placement rounds, processing batches and lock
  // configurations, once every rank has seen it.
  const volatile std::sig_atomic_t* stop_flag = nullptr;
  // An untimed pass (the first strategy through the first event) before the
  // first timed strategy, so that no strategy pays the run's cold start.
  bool warmup = true;
  // (repetition, label) pairs already complete in a file being resumed.
  std::vector<std::pair<std::uint32_t, std::string>> skip;
};

// One row of /strategies/<label>/events. Phase times are spans over ranks
// (max end - min start, see engine/phase_timer.hpp), in seconds.
struct EventRecord {
  std::uint32_t repetition = 0;
  std::uint32_t event = 0;
  EventKind kind = EventKind::kAdd;
  std::string detail;  // "add 3", "remove 1,4"
  std::uint32_t nodes_before = 0, nodes_after = 0;
  // With replication, the key counts below count replica records, except
  // keys_total and keys_lost, which count distinct keys.
  std::uint64_t keys_total = 0;          // distinct keys alive after the event
  std::uint64_t keys_moved = 0;          // records whose owner changed, plus replicas re-created
  std::uint64_t keys_ideal = 0;          // the fair-share figure (see results/README.md)
  std::uint64_t keys_min = 0;            // sum over nodes of the positive load changes
  std::uint64_t keys_moved_by_load = 0;  // load-aware strategies: moved though their primary stayed
  std::uint64_t keys_lost = 0;           // keys whose every replica was on a failed node
  std::uint64_t keys_duplicated = 0;     // records beyond the expected count (must be 0)
  std::uint64_t replicas_created = 0;    // replicas re-created after a failure
  std::uint64_t bytes_moved = 0;         // bytes of every record that changed node (keys_moved)
  std::uint64_t bytes_exchanged = 0;     // bytes that crossed ranks in this run
  std::uint64_t bytes_rereplicated = 0;  // bytes of the re-created replicas (in bytes_moved)
  double t_update = 0;                   // strategy state update, max over ranks
  double t_plan = 0, t_counts = 0, t_pack = 0, t_exchange = 0, t_apply = 0;
  double imb_plan = 1, imb_counts = 1, imb_pack = 1, imb_exchange = 1, imb_apply = 1;
  double t_migrate = 0;  // the critical path: max(end of apply) - min(start of plan)
  double t_verify = 0;
  // Bounds: the exchange floor (min over the timed exchange and the repeats,
  // median over the repeats), the alpha-beta model of the calibrated network,
  // memory bounds of pack and apply, and the lookups of the plan phase.
  double t_exchange_floor_min = 0, t_exchange_floor_median = 0, t_exchange_model = 0;
  double t_pack_bound = 0, t_apply_bound = 0, t_plan_bound = 0;
  // This event on a real cluster of one node per machine ([network]).
  double t_projected = 0;
  std::uint64_t load_max = 0;  // keys on the fullest active node
  // Over active nodes, each node's keys divided by its fair share K w / W.
  double load_peak_to_mean = 0, load_cv = 0;
  // Zipf workloads: the same over each node's request load (0 otherwise).
  double request_peak_to_mean = 0, request_cv = 0;
  double load_mean = 0;  // keys per active node
  // Balance with statistics, over active nodes, on each node's count of
  // primary records (replica 0; with replicas = 1 the loads above): the
  // same figure as load_peak_to_mean for those counts, Pearson's chi-square
  // against the shares K w / W (dof = active - 1, p its upper tail), and the
  // peak-to-mean a random assignment of the same K keys to the same nodes
  // and shares gives (Monte Carlo, with its standard error).
  double primary_peak_to_mean = 0;
  double load_chi2 = 0, load_chi2_p = 1;
  std::uint32_t load_chi2_dof = 0;
  double random_peak_to_mean = 1, random_peak_to_mean_se = 0;
  bool balance_few_keys = false;  // fewer than 100 keys per active node: the figures mean little
  double t_balance = 0;           // the balance statistics, max over ranks
  // [run] order_dependence: keys whose owner (replica 0) differs between the
  // placement and a shadow that removed every multi-node leave's nodes in
  // the reverse order, cumulative over the timeline; -1 and NaN when off or
  // not applicable (a strategy that removes only its last added node).
  std::int64_t order_keys_differ = -1;
  double order_fraction_differ = std::nan("");
  double t_order = 0;             // the shadow's update, rebalance and comparison, max over ranks
  std::uint64_t state_bytes = 0;  // strategy lookup state after the event
  // The processing stage after the event ([processing], else all 0).
  std::uint64_t updates = 0, update_reads = 0, updates_missed = 0;
  double t_process = 0, update_p50_us = 0, update_p99_us = 0, update_max_us = 0;
  double t_process_verify = 0;  // counting, exchanging and checking after the round
  // The round's measured request load: operations per node (the key's
  // primary), peak-to-mean and coefficient of variation over the active
  // nodes relative to their fair shares (0 without processing).
  double ops_peak_to_mean = 0, ops_cv = 0;

  // Of all records (keys_total * replicas), the share that moved.
  double moved_fraction(std::uint32_t replicas = 1) const {
    return keys_total ? double(keys_moved) / double(keys_total * replicas) : 0;
  }
  // moved / keys_min, >= 1 by construction; 1 when both are 0.
  double disruption() const {
    if (keys_min) return double(keys_moved) / double(keys_min);
    return keys_moved ? HUGE_VAL : 1.0;
  }
};

// One strategy in one repetition, as the console report needs it (the
// per-event arrays go to the result sink as they are made, not kept).
struct StrategyResult {
  std::uint32_t repetition = 0;
  std::string label;
  std::string strategy;
  std::string params;  // "vnodes=160", as given
  std::vector<EventRecord> events;
  double t_initial = 0;  // initial placement, max over ranks
  // Lookup cost measured in the run: every rank times lookups of its own key
  // hashes after the initial placement; the fastest rank's figure is kept,
  // as the one least disturbed by other ranks sharing its core.
  double lookup_ns = 0;
  std::uint64_t state_bytes_initial = 0;
  // [run] order_dependence: whether the shadow placement ran (false when off,
  // or for a strategy whose removal is last-added only).
  bool order_dependence = false;
  bool order_applicable = false;
};

struct RunResult {
  int ranks = 1;
  std::uint32_t nodes = 0;
  // In the order they ran.
  std::vector<StrategyResult> strategies;
  double wall_seconds = 0;
  // Seconds every event's results took to reach the sink (the HDF5 stream's
  // appends and flushes), summed over events, max over ranks.
  double write_seconds = 0;
  std::vector<std::uint64_t> peak_rss_bytes;  // per rank, at the end of the run
  bool partial = false;                       // stopped early (a signal): only what completed
  std::uint64_t events_completed = 0;  // event rows completed, over strategies and repetitions
  std::uint64_t events_resumed = 0;    // of those, taken over from the file resumed
};

class ResultSink;

// Collective over `comm`. `e` must have passed validate_experiment for the
// communicator's size. Every completed event goes to `sink` at once (all
// sinks are collective). Throws VerificationError (on every rank) if keys or
// values did not survive an event.
RunResult run_experiment(const Experiment& e, const RunOptions& opt, MPI_Comm comm,
                         ResultSink& sink);
// The same without output (tests).
RunResult run_experiment(const Experiment& e, const RunOptions& opt, MPI_Comm comm);

}  // namespace ringsim
