// The driver: strings the stages together. For each repetition, the
// strategies in a shuffled order; for each strategy, the key source places the
// keys on the cluster, then every event of the timeline changes the cluster,
// the redistributor moves the records, the verifier checks them, the
// processing stage runs, and the event's figures go to the sink at once.
#include "runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include "engine/balance.hpp"
#include "engine/calibration.hpp"
#include "engine/cluster.hpp"
#include "engine/event_metrics.hpp"
#include "engine/host_info.hpp"
#include "engine/key_source.hpp"
#include "engine/redistribution.hpp"
#include "engine/stop_token.hpp"
#include "engine/verifier.hpp"
#include "hash.hpp"
#include "output/progress.hpp"
#include "output/sink.hpp"
#include "processing.hpp"

namespace ringsim {
namespace {

// ns per lookup over up to 2^20 local key hashes, min over ranks.
double measure_lookup_ns(const Shard& shard, const KeySpace& keys, const Placement& p,
                         MPI_Comm comm) {
  const std::size_t n = std::min<std::size_t>(shard.size(), 1u << 20);
  std::vector<std::uint64_t> hashes(n);
  for (std::size_t i = 0; i < n; ++i) hashes[i] = keys.key_hash(shard.keys[i]);
  std::vector<NodeId> owners(n);
  const double t0 = MPI_Wtime();
  p.lookup_many(hashes, owners.data());  // the plan phase's path
  const double dt = MPI_Wtime() - t0;
  volatile NodeId keep = n ? owners[n / 2] : 0;  // the lookups must not be optimised away
  (void)keep;
  double ns = n ? dt * 1e9 / static_cast<double>(n) : 1e300, best = 0;
  MPI_Allreduce(&ns, &best, 1, MPI_DOUBLE, MPI_MIN, comm);
  return best;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// The strategy order of each repetition: the experiment's order for
// repetition 0 of a run with one repetition, else a permutation drawn from
// (seed, repetition), the same on every rank.
std::vector<std::vector<std::uint32_t>> strategy_orders(const Experiment& e) {
  std::vector<std::vector<std::uint32_t>> orders(e.repetitions);
  for (std::uint32_t rep = 0; rep < e.repetitions; ++rep) {
    auto& o = orders[rep];
    o.resize(e.strategies.size());
    for (std::uint32_t i = 0; i < o.size(); ++i) o[i] = i;
    if (e.repetitions == 1) continue;
    std::uint64_t state = e.keys.seed ^ (0x9e3779b97f4a7c15ull * (rep + 1));
    for (std::size_t i = o.size(); i > 1; --i) {
      state = mix64(state + 0x9e3779b97f4a7c15ull);  // splitmix64 steps
      std::swap(o[i - 1], o[static_cast<std::size_t>(state % i)]);
    }
  }
  return orders;
}

// Everything one strategy needs in one repetition.
class StrategyRun {
 public:
  StrategyRun(const Experiment& e, const StrategySpec& spec, std::uint32_t rep,
              const RunOptions& opt, const Calibration& cal, RandomPeakCache& random_peak,
              MPI_Comm comm)
      : e_(e),
        spec_(spec),
        rep_(rep),
        opt_(opt),
        cal_(cal),
        comm_(comm),
        keys_(e.keys),
        cluster_(e, spec, ranks_of(comm)),
        shard_(e.keys.value_bytes, e.replicas > 1, cluster_.load_aware(), e.keys.variable_values()),
        redist_(comm, keys_, e.replicas),
        verifier_(keys_, e.replicas, rank_of(comm), comm),
        random_peak_(random_peak) {
    keys_.seed = e.keys.seed + rep;
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &ranks_);
    sr_.repetition = rep;
    sr_.label = spec.label;
    sr_.strategy = spec.params.strategy();
    sr_.params = spec.params.text();
    // The shadow for the removal-order metric: built like the main placement;
    // a strategy that can remove only its last added node cannot take a
    // reversed batch, so it has none (not applicable).
    sr_.order_dependence = e.order_dependence;
    sr_.order_applicable =
        e.order_dependence && cluster_.placement().traits().removal == Removal::kAny;
    if (sr_.order_applicable) shadow_ = std::make_unique<Cluster>(e, spec, ranks_);
  }

  // Generates and places this rank's share, in rounds with a stop check
  // between them. False if stopped.
  bool place(StopToken& stop, ResultSink& sink) {
    const double t0 = MPI_Wtime();
    KeySource source(keys_, e_.replicas, rank_, ranks_);
    if (cluster_.load_aware()) cluster_.rebalance(source.hashes(), comm_);
    if (shadow_ && shadow_->load_aware()) shadow_->rebalance(source.hashes(), comm_);
    // Room for the largest share this rank's nodes will hold at any point of
    // the timeline, with 10% to spare for the strategy's imbalance, so that
    // the shard never doubles and copies its storage.
    const double most = largest_share(e_, ranks_, rank_);
    shard_.reserve(static_cast<std::size_t>(double(keys_.count) * e_.replicas * most * 1.1) + 1024);
    PhaseTimer untimed;
    for (std::uint64_t round = 0; round < source.rounds(); ++round) {
      if (round > 0 && stop.requested()) return false;
      Shard batch = source.round(round, cluster_.load_aware());
      RedistributeOptions o;
      o.exchange = parse_exchange(e_.exchange);
      redist_.redistribute(batch, cluster_.placement(), cluster_.membership(), untimed, o);
      shard_.append(batch);
    }
    redist_.release_buffers();
    double dt = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &dt, 1, MPI_DOUBLE, MPI_MAX, comm_);
    sr_.t_initial = dt;
    verifier_.expect(source.records_made(), source.digest_made());
    keys_alive_ = keys_.count;
    loads_ = global_loads(shard_, e_.nodes, comm_);
    sr_.lookup_ns = measure_lookup_ns(shard_, keys_, cluster_.placement(), comm_);
    sr_.state_bytes_initial = cluster_.placement().state_bytes();
    sink.begin_strategy({&sr_, &loads_});
    return true;
  }

  // One event, from the membership change to its figures in the sink.
  void event(std::size_t ei, StopToken& stop, ResultSink& sink) {
    const ResolvedEvent& ev = e_.timeline[ei];
    EventRecord rec;
    rec.repetition = rep_;
    rec.event = static_cast<std::uint32_t>(ei);
    rec.kind = ev.kind;
    rec.detail = ev.describe();
    rec.nodes_before = cluster_.membership().active_count();
    std::vector<std::uint64_t> before = loads_;  // becomes the loads the moves start from
    if (ev.kind == EventKind::kFail) drop_failed(ev, rec, before);
    if (ev.kind == EventKind::kRemove)
      for (NodeId n : ev.nodes) rec.keys_ideal += before[n];

    LocalEventFigures mine;
    update_cluster(ev, rec, mine);
    const double to = MPI_Wtime();
    update_shadow(ev);
    double t_order = MPI_Wtime() - to;
    LocalMoveStats st = migrate(ei, rec, mine);
    const std::vector<TrafficRow> node_rows = project(rec, st);
    measure_loads(rec, before);
    const double tb = MPI_Wtime();
    measure_balance(rec);
    double t_balance = MPI_Wtime() - tb;
    const double tc = MPI_Wtime();
    compare_shadow(rec);
    t_order += MPI_Wtime() - tc;
    double t[2] = {t_balance, t_order};
    MPI_Allreduce(MPI_IN_PLACE, t, 2, MPI_DOUBLE, MPI_MAX, comm_);
    rec.t_balance = t[0];
    rec.t_order = shadow_ ? t[1] : 0;
    if (e_.processing.enabled()) process(ei, rec, stop);

    const std::vector<TrafficRow> rank_rows =
        rank_traffic_rows(st.records_to_rank, rank_, st.bytes_to_rank);
    sr_.events.push_back(std::move(rec));
    const double tw = MPI_Wtime();
    sink.event({&spec_.label, &sr_.events.back(), &loads_, &rank_rows, &node_rows});
    write_seconds_ += MPI_Wtime() - tw;
  }

  StrategyResult& result() { return sr_; }
  // This rank's seconds in sink.event() (the result file's appends) so far.
  double write_seconds() const { return write_seconds_; }

 private:
  // A failure: the failed nodes' records vanish before anything else.
  void drop_failed(const ResolvedEvent& ev, EventRecord& rec, std::vector<std::uint64_t>& before) {
    const LocalFailureStats f =
        redist_.drop_failed(shard_, cluster_.placement(), cluster_.membership(), ev.nodes);
    std::uint64_t local[4] = {f.keys_lost, f.records_lost, f.lost_digest, f.to_recreate};
    std::uint64_t sums[4];
    MPI_Allreduce(local, sums, 4, MPI_UINT64_T, MPI_SUM, comm_);
    keys_alive_ -= sums[0];
    verifier_.lose(sums[1], sums[2]);
    rec.keys_lost = sums[0];
    rec.keys_ideal = sums[3];                 // only the lost replicas of surviving keys
    for (NodeId n : ev.nodes) before[n] = 0;  // their records are gone, not moved
  }

  // The membership and the strategy change together.
  void update_cluster(const ResolvedEvent& ev, EventRecord& rec, LocalEventFigures& mine) {
    const double tu = MPI_Wtime();
    const double added_weight = cluster_.apply(ev);
    cluster_.rebalance(shard_, keys_, comm_);
    mine.t_update = MPI_Wtime() - tu;
    rec.nodes_after = cluster_.membership().active_count();
    rec.keys_total = keys_alive_;
    const std::uint64_t records = keys_alive_ * e_.replicas;
    if (ev.kind == EventKind::kAdd)
      rec.keys_ideal = static_cast<std::uint64_t>(std::llround(
          static_cast<double>(records) * added_weight / cluster_.membership().active_weight()));
  }

  // The redistribution, timed phase by phase from a common start, verified,
  // and its figures reduced over ranks.
  LocalMoveStats migrate(std::size_t ei, EventRecord& rec, LocalEventFigures& mine) {
    const std::size_t local_records = shard_.size();
    MPI_Barrier(comm_);
    PhaseTimer timer;
    timer.reset();
    RedistributeOptions ropt;
    ropt.floor_repeats = e_.floor_repeats;
    ropt.node_pairs = true;
    ropt.exchange = parse_exchange(e_.exchange);
    LocalMoveStats st =
        redist_.redistribute(shard_, cluster_.placement(), cluster_.membership(), timer, ropt);
    const PhaseReport phases = timer.reduce(comm_);
    if (ei == 0 && rank_ == ranks_ - 1) inject_fault(opt_.fault, shard_, cluster_.membership());
    if (ei == 0 && opt_.fault == Fault::kSlowEvent)
      std::this_thread::sleep_for(std::chrono::seconds(5));

    const double tv = MPI_Wtime();
    if (e_.verify)
      verifier_.check(shard_, cluster_.placement(), cluster_.membership(),
                      "event " + std::to_string(ei) + " (" + rec.detail + ") of strategy '" +
                          spec_.label + "'");
    mine.t_verify = MPI_Wtime() - tv;

    // This rank's bounds.
    const double sent = static_cast<double>(st.bytes_sent);
    const double received = static_cast<double>(st.bytes_received);
    const bool inter = cal_.hosts > 1;
    mine.exchange_model =
        model_exchange_seconds(cal_, st.bytes_sent, st.bytes_received, st.peer_ranks, inter);
    if (cal_.memcpy_bytes_per_s > 0) {
      // Bytes each phase must touch, in memcpy terms (a copied byte is read
      // once and written once): pack reads every local record's new owner
      // (4 bytes) and copies the records that leave; apply copies the records
      // that arrive and reads and writes every local record's owner.
      const double owners = 4.0 * static_cast<double>(local_records);
      mine.pack_bound = (owners / 2 + sent) / cal_.memcpy_bytes_per_s;
      mine.apply_bound = (owners + received) / cal_.memcpy_bytes_per_s;
    }
    mine.plan_bound = static_cast<double>(local_records) * sr_.lookup_ns * 1e-9;
    mine.keys_moved = st.keys_moved;
    mine.records_sent = st.records_sent;
    mine.keys_moved_by_load = st.keys_moved_by_load;
    mine.replicas_created = st.replicas_created;
    const LocalEventFigures all = reduce_figures(mine, comm_);

    std::vector<double> floor(st.floor_seconds.size());
    if (!floor.empty())
      MPI_Allreduce(st.floor_seconds.data(), floor.data(), static_cast<int>(floor.size()),
                    MPI_DOUBLE, MPI_MAX, comm_);

    rec.keys_moved = all.keys_moved + all.replicas_created;
    rec.keys_moved_by_load = all.keys_moved_by_load;
    rec.replicas_created = all.replicas_created;
    // Exact for values of any size: each rank's sums of its records' bytes.
    std::uint64_t bytes[3] = {st.bytes_moved + st.bytes_copied, st.bytes_sent, st.bytes_copied};
    MPI_Allreduce(MPI_IN_PLACE, bytes, 3, MPI_UINT64_T, MPI_SUM, comm_);
    rec.bytes_moved = bytes[0];
    rec.bytes_exchanged = bytes[1];
    rec.bytes_rereplicated = bytes[2];
    rec.t_update = all.t_update;
    rec.t_verify = all.t_verify;
    const PhaseSpan* spans[kPhases] = {&phases[Phase::kPlan], &phases[Phase::kCounts],
                                       &phases[Phase::kPack], &phases[Phase::kExchange],
                                       &phases[Phase::kApply]};
    double* t[kPhases] = {&rec.t_plan, &rec.t_counts, &rec.t_pack, &rec.t_exchange, &rec.t_apply};
    double* imb[kPhases] = {&rec.imb_plan, &rec.imb_counts, &rec.imb_pack, &rec.imb_exchange,
                            &rec.imb_apply};
    for (std::size_t k = 0; k < kPhases; ++k) {
      *t[k] = spans[k]->span;
      *imb[k] = spans[k]->imbalance;
    }
    rec.t_migrate = phases.critical_path;
    // The floor's minimum includes the timed exchange itself (its slowest
    // rank's own duration), so exchange / floor_min >= 1 by construction.
    rec.t_exchange_floor_min = phases[Phase::kExchange].max_local;
    for (double f : floor) rec.t_exchange_floor_min = std::min(rec.t_exchange_floor_min, f);
    rec.t_exchange_floor_median = floor.empty() ? 0 : median(floor);
    rec.t_exchange_model = all.exchange_model;
    rec.t_pack_bound = all.pack_bound;
    rec.t_apply_bound = all.apply_bound;
    rec.t_plan_bound = all.plan_bound;
    rec.state_bytes = cluster_.placement().state_bytes();

    return st;
  }

  // Node-level traffic: this rank's entries of the node table, and the
  // projection to a cluster of one node per machine.
  std::vector<TrafficRow> project(EventRecord& rec, LocalMoveStats& st) {
    const ProjectionNetwork net = projection_network(e_, cal_);
    std::vector<TrafficRow> rows;
    const NodeTraffic traffic =
        node_traffic(st.node_pairs, redist_.record_bytes(), e_.nodes, net.bandwidth, net.latency,
                     comm_, &rows, &st.node_pair_bytes);
    rec.t_projected = traffic.projected_seconds;
    std::vector<std::uint64_t>().swap(st.node_pairs);
    return rows;
  }

  // Loads after the event, their shape, and the fewest moves that make them.
  void measure_loads(EventRecord& rec, const std::vector<std::uint64_t>& before) {
    const std::uint64_t records = keys_alive_ * e_.replicas;
    loads_ = global_loads(shard_, e_.nodes, comm_);
    const Membership& m = cluster_.membership();
    for (NodeId n : m.active_nodes()) rec.load_max = std::max(rec.load_max, loads_[n]);
    rec.load_mean = static_cast<double>(records) / m.active_count();
    std::tie(rec.load_peak_to_mean, rec.load_cv) =
        load_shape(loads_, m, static_cast<double>(records));
    if (keys_.distribution == KeyDistribution::kZipf) {
      const auto requests = global_requests(shard_, keys_, e_.nodes, comm_);
      double total = 0;
      for (double x : requests) total += x;
      std::tie(rec.request_peak_to_mean, rec.request_cv) = load_shape(requests, m, total);
    }
    std::uint64_t found = 0;
    for (auto l : loads_) found += l;
    rec.keys_duplicated = found > records ? found - records : 0;
    rec.keys_min = min_moves(before, loads_);
  }

  // The balance statistics on the primary records' counts (replica 0: the
  // placement's own choice, without the re-draws that keep replicas on
  // distinct nodes).
  void measure_balance(EventRecord& rec) {
    const Membership& m = cluster_.membership();
    std::vector<std::uint64_t> primary_loads;
    if (e_.replicas > 1) {
      std::vector<std::uint64_t> local(e_.nodes, 0);
      for (std::size_t i = 0; i < shard_.size(); ++i)
        if (shard_.replica_of(i) == 0) ++local[shard_.owners[i]];
      primary_loads.assign(e_.nodes, 0);
      MPI_Allreduce(local.data(), primary_loads.data(), static_cast<int>(e_.nodes), MPI_UINT64_T,
                    MPI_SUM, comm_);
    }
    const std::vector<std::uint64_t>& counts = e_.replicas > 1 ? primary_loads : loads_;
    const auto active = m.active_nodes();
    std::vector<std::uint64_t> c;
    std::vector<double> w;
    c.reserve(active.size());
    w.reserve(active.size());
    for (NodeId n : active) {
      c.push_back(counts[n]);
      w.push_back(m.weight(n));
    }
    const double keys = static_cast<double>(keys_alive_);
    rec.primary_peak_to_mean = load_shape(counts, m, keys).first;
    const ChiSquare chi = chi_square(c, w);
    rec.load_chi2 = chi.statistic;
    rec.load_chi2_dof = chi.dof;
    rec.load_chi2_p = chi.p;
    const RandomPeak rp = random_peak_.get(keys_alive_, w, comm_);
    rec.random_peak_to_mean = rp.mean;
    rec.random_peak_to_mean_se = rp.se;
    rec.balance_few_keys = keys < kFewKeysPerNode * static_cast<double>(active.size());
  }

  // The shadow takes the same event, except that a leave of two or more
  // nodes removes them in the reverse order; load-aware strategies
  // rebalance it on the same keys (collective).
  void update_shadow(const ResolvedEvent& ev) {
    if (!shadow_) return;
    if (ev.kind != EventKind::kAdd && ev.nodes.size() >= 2) {
      ResolvedEvent reversed = ev;
      std::reverse(reversed.nodes.begin(), reversed.nodes.end());
      shadow_->apply(reversed);
    } else {
      shadow_->apply(ev);
    }
    shadow_->rebalance(shard_, keys_, comm_);
  }

  // Keys (replica 0 records) whose owner differs between the placement and
  // its shadow: each rank counts its own, one allreduce.
  void compare_shadow(EventRecord& rec) {
    if (!shadow_) return;
    constexpr std::size_t kBatch = 4096;
    std::vector<std::uint64_t> hashes;
    hashes.reserve(kBatch);
    std::vector<NodeId> a(kBatch), b(kBatch);
    std::uint64_t differ = 0;
    auto flush = [&] {
      cluster_.placement().lookup_many(hashes, a.data());
      shadow_->placement().lookup_many(hashes, b.data());
      for (std::size_t j = 0; j < hashes.size(); ++j) differ += a[j] != b[j];
      hashes.clear();
    };
    for (std::size_t i = 0; i < shard_.size(); ++i) {
      if (shard_.replica_of(i) != 0) continue;
      hashes.push_back(keys_.key_hash(shard_.keys[i]));
      if (hashes.size() == kBatch) flush();
    }
    if (!hashes.empty()) flush();
    MPI_Allreduce(MPI_IN_PLACE, &differ, 1, MPI_UINT64_T, MPI_SUM, comm_);
    rec.order_keys_differ = static_cast<std::int64_t>(differ);
    rec.order_fraction_differ =
        keys_alive_ ? static_cast<double>(differ) / static_cast<double>(keys_alive_) : 0.0;
  }

  // Between events: updates under the distributed locks, checked value by
  // value; the checksum follows the changed values.
  void process(std::size_t ei, EventRecord& rec, StopToken& stop) {
    const Membership& m = cluster_.membership();
    // With replication every replica is written and checked (write-all,
    // read-one; see processing.hpp).
    const bool here = ei == 0 && rank_ == ranks_ - 1;
    const ProcessingStats ps = run_processing_round(
        shard_, keys_, cluster_.placement(), m, e_.processing, std::uint64_t{rep_} * 1000003 + ei,
        comm_, here && opt_.fault == Fault::kLostUpdate, here && opt_.fault == Fault::kLockTimeout,
        &stop, e_.replicas);
    verifier_.change_checksum(ps.checksum_delta);
    rec.updates = ps.updates;
    rec.update_reads = ps.reads;
    rec.updates_missed = ps.missed;
    rec.t_process = ps.seconds;
    rec.update_p50_us = ps.latency_p50_us;
    rec.update_p99_us = ps.latency_p99_us;
    rec.update_max_us = ps.latency_max_us;
    rec.t_process_verify = ps.verify_seconds;
    rec.ops_peak_to_mean = ps.ops_peak_to_mean;
    rec.ops_cv = ps.ops_cv;
  }

  static int ranks_of(MPI_Comm c) {
    int n = 1;
    MPI_Comm_size(c, &n);
    return n;
  }
  static int rank_of(MPI_Comm c) {
    int n = 0;
    MPI_Comm_rank(c, &n);
    return n;
  }

  const Experiment& e_;
  const StrategySpec& spec_;
  std::uint32_t rep_;
  const RunOptions& opt_;
  const Calibration& cal_;
  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
  KeySpace keys_;
  Cluster cluster_;
  Shard shard_;
  Redistributor redist_;
  Verifier verifier_;
  StrategyResult sr_;
  double write_seconds_ = 0;
  std::uint64_t keys_alive_ = 0;
  std::vector<std::uint64_t> loads_;  // keys per node after the last step, global
  RandomPeakCache& random_peak_;      // shared by the run's strategies (same K and nodes)
  std::unique_ptr<Cluster> shadow_;   // [run] order_dependence: the reversed-removal twin
};

bool skipped(const RunOptions& opt, std::uint32_t rep, const std::string& label) {
  return std::any_of(opt.skip.begin(), opt.skip.end(),
                     [&](const auto& s) { return s.first == rep && s.second == label; });
}

}  // namespace

RunResult run_experiment(const Experiment& e, const RunOptions& opt, MPI_Comm comm,
                         ResultSink& sink) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const double t_start = MPI_Wtime();
  StopToken stop(comm, opt.stop_flag);

  RunStart start;
  start.experiment = &e;
  start.host = host_info(comm);
  if (start.host.oversubscribed && rank == 0) {
    std::string hosts;
    for (int h = 0; h < start.host.hosts; ++h)
      if (start.host.ranks_per_host[h] > start.host.threads_per_host[h])
        hosts += (hosts.empty() ? "" : ", ") + std::to_string(start.host.ranks_per_host[h]) +
                 " ranks on " + std::to_string(start.host.threads_per_host[h]) +
                 " hardware threads";
    std::fprintf(stderr,
                 "ringsim: warning: oversubscribed (%s): times are not per-core; the file "
                 "records oversubscribed = 1\n",
                 hosts.c_str());
  }
  start.calibration = calibrate(comm);
  start.order = strategy_orders(e);
  if (e.keys.variable_values()) {
    // Every key's size, summed over the ranks' shares.
    std::uint64_t mine = 0;
    for (std::uint64_t i = e.keys.share_begin(rank, ranks); i < e.keys.share_begin(rank + 1, ranks);
         ++i)
      mine += e.keys.value_size_of(i, e.keys.key(i));
    MPI_Allreduce(&mine, &start.value_bytes_total, 1, MPI_UINT64_T, MPI_SUM, comm);
  } else {
    start.value_bytes_total = e.keys.count * e.keys.value_bytes;
  }
  sink.begin_run(start);

  RunResult result;
  result.ranks = ranks;
  result.nodes = e.nodes;
  RandomPeakCache random_peak;
  Progress progress(opt.progress && rank == 0,
                    e.repetitions * e.strategies.size() * (e.timeline.size() + 1));

  // The warm-up: the first strategy to run, through its first event, with
  // nothing recorded; the first timed strategy then pays no cold start.
  if (opt.warmup && !e.strategies.empty() && !e.timeline.empty() && opt.skip.empty()) {
    ResultSink none;
    RunOptions quiet = opt;
    quiet.fault = Fault::kNone;
    Experiment w = e;
    w.processing = ProcessingConfig{};  // no processing stage
    StrategyRun run(w, e.strategies[start.order[0][0]], 0, quiet, start.calibration, random_peak,
                    comm);
    if (run.place(stop, none)) run.event(0, stop, none);
  }

  for (std::uint32_t rep = 0; rep < e.repetitions && !stop.stopped(); ++rep)
    for (std::uint32_t idx : start.order[rep]) {
      const StrategySpec& spec = e.strategies[idx];
      if (skipped(opt, rep, spec.label)) {
        result.events_resumed += e.timeline.size();
        result.events_completed += e.timeline.size();
        continue;
      }
      if (stop.requested()) break;
      StrategyRun run(e, spec, rep, opt, start.calibration, random_peak, comm);
      if (!run.place(stop, sink)) break;
      progress.step(spec.label, 0, 0, "initial placement");
      bool complete = true;
      for (std::size_t ei = 0; ei < e.timeline.size(); ++ei) {
        run.event(ei, stop, sink);
        ++result.events_completed;
        progress.step(spec.label, ei, e.timeline.size(), run.result().events.back().detail);
        if (stop.requested()) {
          complete = ei + 1 == e.timeline.size();
          break;
        }
      }
      result.write_seconds += run.write_seconds();
      if (complete) sink.end_strategy(run.result());
      result.strategies.push_back(std::move(run.result()));
      if (stop.stopped()) break;
    }
  result.partial = stop.stopped();
  double wall = MPI_Wtime() - t_start;
  MPI_Allreduce(MPI_IN_PLACE, &wall, 1, MPI_DOUBLE, MPI_MAX, comm);
  result.wall_seconds = wall;
  MPI_Allreduce(MPI_IN_PLACE, &result.write_seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const std::uint64_t rss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // kB on Linux
  result.peak_rss_bytes.resize(static_cast<std::size_t>(ranks));
  MPI_Allgather(&rss, 1, MPI_UINT64_T, result.peak_rss_bytes.data(), 1, MPI_UINT64_T, comm);
  return result;
}

RunResult run_experiment(const Experiment& e, const RunOptions& opt, MPI_Comm comm) {
  ResultSink none;
  return run_experiment(e, opt, comm, none);
}

}  // namespace ringsim
