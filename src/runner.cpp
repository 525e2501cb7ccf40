#include "runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>
#include <variant>

#include "checksum.hpp"
#include "key_counter.hpp"
#include "membership.hpp"
#include "processing.hpp"
#include "redistribution.hpp"
#include "registry.hpp"
#include "replicas.hpp"
#include "shard.hpp"

namespace ringsim {
namespace {

struct GlobalTally {
  std::uint64_t count = 0;
  std::uint64_t checksum = 0;
  std::uint64_t misplaced = 0;
};

// Global (count, checksum, misplaced) of the records, in one pass and one
// allreduce. A record is misplaced if it sits on a node other than the one the
// strategy names for its replica, on an inactive node, or on the wrong rank.
GlobalTally tally(const Shard& shard, const KeySpace& keys, const Placement& p, const Membership& m,
                  std::uint32_t replicas, int rank, MPI_Comm comm) {
  std::uint64_t local[3] = {shard.size(), 0, 0};
  NodeId owners[kMaxReplicas];
  for (std::size_t i = 0; i < shard.size(); ++i) {
    const std::uint32_t replica = shard.replica_of(i);
    local[1] += record_digest(shard.keys[i], replica, shard.value(i));
    const NodeId o = shard.owners[i];
    bool ok =
        o != kNoNode && o < m.nodes() && m.active(o) && m.rank_of(o) == rank && replica < replicas;
    if (ok) {
      replica_owners(p, m, keys.key_hash(shard.keys[i]), replicas, owners);
      ok = owners[replica] == o;
    }
    local[2] += !ok;
  }
  std::uint64_t global[3];
  MPI_Allreduce(local, global, 3, MPI_UINT64_T, MPI_SUM, comm);
  return {global[0], global[1], global[2]};
}

// Peak-to-mean and coefficient of variation over the active nodes of each
// node's load relative to its fair share total * w / W (so weighted nodes
// count as even when they hold load in proportion to their weight).
template <typename T>
std::pair<double, double> load_shape(const std::vector<T>& loads, const Membership& m,
                                     double total) {
  const double total_weight = m.active_weight();
  double sum = 0, sum2 = 0, peak = 0;
  const auto active = m.active_nodes();
  for (NodeId n : active) {
    const double share = total * m.weight(n) / total_weight;
    const double x = static_cast<double>(loads[n]) / share;
    sum += x;
    sum2 += x * x;
    peak = std::max(peak, x);
  }
  const double k = static_cast<double>(active.size());
  const double mean = sum / k;
  return {peak / mean, std::sqrt(std::max(0.0, sum2 / k - mean * mean)) / mean};
}

// Request load per node for skewed workloads: the popularity of the keys
// whose replica 0 (the one that serves requests) each node holds.
std::vector<double> global_requests(const Shard& shard, const KeySpace& keys, std::uint32_t nodes,
                                    MPI_Comm comm) {
  std::vector<double> local(nodes, 0.0), global(nodes, 0.0);
  for (std::size_t i = 0; i < shard.size(); ++i)
    if (shard.replica_of(i) == 0) local[shard.owners[i]] += keys.popularity(shard.keys[i]);
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(nodes), MPI_DOUBLE, MPI_SUM, comm);
  return global;
}

std::vector<std::uint64_t> global_loads(const Shard& shard, std::uint32_t nodes, MPI_Comm comm) {
  std::vector<std::uint64_t> local(nodes, 0), global(nodes, 0);
  for (NodeId o : shard.owners) ++local[o];
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(nodes), MPI_UINT64_T, MPI_SUM, comm);
  return global;
}

double max_over_ranks(double v, MPI_Comm comm) {
  double out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, comm);
  return out;
}

void inject(Fault f, Shard& shard, const Membership& m) {
  if (shard.size() == 0) return;
  switch (f) {
    case Fault::kNone:
    case Fault::kLostUpdate:  // applied in the processing stage
    case Fault::kLockTimeout:
      break;
    case Fault::kDropKey:
      shard.resize(shard.size() - 1);
      break;
    case Fault::kCorruptValue:
      shard.value(0)[0] ^= std::byte{1};
      break;
    case Fault::kMisplaceKey: {
      // Retag the first key to another active node: count and checksum hold,
      // only the placement check can see it.
      for (NodeId n : m.active_nodes())
        if (n != shard.owners[0]) {
          shard.owners[0] = n;
          break;
        }
      break;
    }
  }
}

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

std::string params_text(const StrategyParams& p) {
  std::ostringstream os;
  bool first = true;
  for (const auto& [k, v] : p.values()) {
    os << (first ? "" : " ") << k << '=';
    std::visit([&](const auto& x) { os << x; }, v);
    first = false;
  }
  return os.str();
}

// Progress lines on rank 0's stderr, throttled to one a second.
class Progress {
 public:
  Progress(bool on, std::size_t total_steps) : on_(on), total_(total_steps), start_(MPI_Wtime()) {}
  void step(const std::string& strategy, std::size_t event, std::size_t events,
            const std::string& what) {
    ++done_;
    if (!on_) return;
    const double now = MPI_Wtime();
    if (now - start_ < 1.0 || now - last_ < 1.0) return;
    last_ = now;
    const double elapsed = now - start_;
    const double left = elapsed / double(done_) * double(total_ - done_);
    if (events == 0)
      std::fprintf(stderr, "[ringsim] %s: %s done, %.1f s elapsed, about %.1f s left\n",
                   strategy.c_str(), what.c_str(), elapsed, left);
    else
      std::fprintf(stderr,
                   "[ringsim] %s: event %zu of %zu (%s) done, %.1f s elapsed, about %.1f s left\n",
                   strategy.c_str(), event + 1, events, what.c_str(), elapsed, left);
  }

 private:
  bool on_;
  std::size_t total_, done_ = 0;
  double start_, last_ = 0;
};

}  // namespace

RunResult run_experiment(const Experiment& e, const RunOptions& opt, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const double t_start = MPI_Wtime();
  Progress progress(opt.progress && rank == 0,
                    e.repetitions * e.strategies.size() * (e.timeline.size() + 1));

  RunResult result;
  result.ranks = ranks;
  result.nodes = e.nodes;
  const std::uint64_t first = e.keys.share_begin(rank, ranks);
  const std::uint64_t last = e.keys.share_begin(rank + 1, ranks);

  // A stop request (SIGTERM) is honoured at safe points, after an event, when
  // every rank has seen it: one small allreduce per event.
  bool stopping = false;
  auto stop_requested = [&] {
    int local = opt.stop_flag && *opt.stop_flag ? 1 : 0, any = 0;
    MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm);
    return any != 0;
  };

  // Repetition k runs every strategy on the key set of seed + k, through the
  // same event timeline.
  for (std::uint32_t rep = 0; rep < e.repetitions && !stopping; ++rep)
    for (const auto& spec : e.strategies) {
      if ((stopping = stop_requested())) break;
      KeySpace keys = e.keys;
      keys.seed = e.keys.seed + rep;
      StrategyResult sr;
      sr.repetition = rep;
      sr.label = spec.label;
      sr.strategy = spec.params.strategy();
      sr.params = params_text(spec.params);

      Membership m(e.nodes, ranks, e.weights);
      for (NodeId n = 0; n < e.initial; ++n) m.activate(n);
      auto placement = make_placement(spec.params);
      placement->init(m.active_specs(), e.nodes);

      const std::uint32_t r = e.replicas;
      const bool load_aware = placement->traits().load_aware;
      Shard shard(keys.value_bytes, r > 1, load_aware);
      Redistributor redist(comm, keys, r);
      // Load-aware strategies place keys from global key counts (collective).
      auto rebalance = [&] {
        if (!load_aware) return;
        std::vector<std::uint64_t> hashes(shard.size());
        for (std::size_t i = 0; i < shard.size(); ++i) hashes[i] = keys.key_hash(shard.keys[i]);
        placement->rebalance(MpiHashCounter(std::move(hashes), comm));
      };

      // Generate this rank's share and place it, in rounds, so that the
      // exchange buffers of the initial placement stay a fraction of the shard.
      // The expected count and checksum are summed as the records are made.
      const double t0 = MPI_Wtime();
      if (load_aware) {
        std::vector<std::uint64_t> hashes;
        hashes.reserve(last - first);
        for (std::uint64_t i = first; i < last; ++i) hashes.push_back(keys.key_hash(keys.key(i)));
        placement->rebalance(MpiHashCounter(std::move(hashes), comm));
      }
      const std::uint64_t rounds = keys.count >= (1u << 20) ? 8 : 1;  // the same on every rank
      {
        // Room for the largest share this rank's nodes will hold at any point of
        // the timeline (by weight), with 10% to spare for the strategy's
        // imbalance, so that the shard never doubles and copies its storage.
        // Capacity that is never written costs no memory.
        Membership future = m;
        auto my_share = [&] {
          double mine = 0;
          for (NodeId v : future.active_nodes())
            if (future.rank_of(v) == rank) mine += future.weight(v);
          return mine / future.active_weight();
        };
        double most = my_share();
        for (const auto& ev : e.timeline) {
          for (NodeId v : ev.nodes) {
            if (ev.kind == EventKind::kAdd)
              future.activate(v);
            else
              future.deactivate(v);
          }
          most = std::max(most, my_share());
        }
        shard.reserve(static_cast<std::size_t>(double(keys.count) * r * most * 1.1) + 1024);
      }
      std::uint64_t generated[2] = {0, 0};  // records, checksum
      std::vector<std::byte> value(keys.value_bytes);
      for (std::uint64_t round = 0; round < rounds; ++round) {
        Shard batch(keys.value_bytes, r > 1, load_aware);
        const std::uint64_t b0 = first + (last - first) * round / rounds;
        const std::uint64_t b1 = first + (last - first) * (round + 1) / rounds;
        batch.reserve((b1 - b0) * r);
        for (std::uint64_t i = b0; i < b1; ++i) {
          const std::uint64_t k = keys.key(i);
          keys.fill_value(k, value);
          for (std::uint32_t j = 0; j < r; ++j) {
            batch.push(k, kNoNode, value.data(), static_cast<std::uint8_t>(j));
            generated[1] += record_digest(k, j, value);
          }
          generated[0] += r;
        }
        redist.redistribute(batch, *placement, m, {.measure_lower_bound = false});
        shard.append(batch);
      }
      redist.release_buffers();
      sr.t_initial = max_over_ranks(MPI_Wtime() - t0, comm);
      GlobalTally expected;
      {
        std::uint64_t global[2];
        MPI_Allreduce(generated, global, 2, MPI_UINT64_T, MPI_SUM, comm);
        expected = {global[0], global[1], 0};
      }
      std::uint64_t keys_alive = keys.count;
      sr.initial_loads = global_loads(shard, e.nodes, comm);
      sr.lookup_ns = measure_lookup_ns(shard, keys, *placement, comm);
      sr.state_bytes_initial = placement->state_bytes();
      progress.step(spec.label, 0, 0, "initial placement");

      for (std::size_t ei = 0; ei < e.timeline.size(); ++ei) {
        const ResolvedEvent& ev = e.timeline[ei];
        EventRecord rec;
        rec.repetition = rep;
        rec.event = static_cast<std::uint32_t>(ei);
        rec.kind = ev.kind;
        rec.detail = ev.describe();
        rec.nodes_before = m.active_count();
        const auto& before = ei == 0 ? sr.initial_loads : sr.loads.back();

        // A failure: the failed nodes' records vanish before anything else.
        std::uint64_t fail_sums[5] = {0, 0, 0, 0,
                                      0};  // keys lost, records lost, digest, to re-create, dropped
        if (ev.kind == EventKind::kFail) {
          const LocalFailureStats f = redist.drop_failed(shard, *placement, m, ev.nodes);
          std::uint64_t local[5] = {f.keys_lost, f.records_lost, f.lost_digest, f.to_recreate,
                                    f.records_dropped};
          MPI_Allreduce(local, fail_sums, 5, MPI_UINT64_T, MPI_SUM, comm);
          keys_alive -= fail_sums[0];
          expected.count -= fail_sums[1];
          expected.checksum -= fail_sums[2];
        }

        const double tu = MPI_Wtime();
        double added_weight = 0;
        for (NodeId n : ev.nodes) {
          if (ev.kind == EventKind::kAdd) {
            m.activate(n);
            placement->add_node(m.spec(n));
            added_weight += m.weight(n);
          } else {
            m.deactivate(n);
            placement->remove_node(n);
          }
        }
        rebalance();
        const double t_update = MPI_Wtime() - tu;
        rec.nodes_after = m.active_count();
        rec.keys_total = keys_alive;
        rec.keys_lost = fail_sums[0];
        const std::uint64_t records = keys_alive * r;
        if (ev.kind == EventKind::kAdd) {
          rec.keys_optimal = static_cast<std::uint64_t>(
              std::llround(static_cast<double>(records) * added_weight / m.active_weight()));
        } else if (ev.kind == EventKind::kRemove) {
          for (NodeId n : ev.nodes) rec.keys_optimal += before[n];
        } else {
          rec.keys_optimal = fail_sums[3];  // only the lost replicas of surviving keys
        }

        const bool node_matrix = e.nodes <= e.node_matrix_max;
        std::vector<std::uint64_t> node_moves;
        if (node_matrix) node_moves.assign(std::size_t{e.nodes} * e.nodes, 0);
        RedistributeOptions ropt;
        ropt.node_moves = node_matrix ? &node_moves : nullptr;
        const LocalMoveStats st = redist.redistribute(shard, *placement, m, ropt);
        if (ei == 0 && rank == ranks - 1) inject(opt.fault, shard, m);

        const double tv = MPI_Wtime();
        GlobalTally got{};
        if (e.verify) got = tally(shard, keys, *placement, m, r, rank, comm);
        const double t_verify = MPI_Wtime() - tv;

        // Sums and maxima over ranks, two allreduces for the whole event.
        std::uint64_t sums_local[5] = {st.keys_moved, st.records_sent, st.keys_moved_by_load,
                                       st.replicas_created, st.copies_sent},
                      sums[5];
        MPI_Allreduce(sums_local, sums, 5, MPI_UINT64_T, MPI_SUM, comm);
        double times_local[7] = {t_update,   st.t.plan, st.t.pack,       st.t.exchange,
                                 st.t.apply, t_verify,  st.t.lower_bound};
        double times[7];
        MPI_Allreduce(times_local, times, 7, MPI_DOUBLE, MPI_MAX, comm);
        rec.t_lower_bound = times[6];
        std::vector<std::uint64_t> row(st.records_to_rank.size());
        for (std::size_t to = 0; to < row.size(); ++to)
          row[to] = st.records_to_rank[to] * redist.record_bytes();
        sr.bytes_to_rank.push_back(std::move(row));
        if (node_matrix) {
          std::vector<std::uint64_t> total(rank == 0 ? node_moves.size() : 0);
          MPI_Reduce(node_moves.data(), total.data(), static_cast<int>(node_moves.size()),
                     MPI_UINT64_T, MPI_SUM, 0, comm);
          sr.node_moves.push_back(std::move(total));
        }
        rec.keys_moved = sums[0] + sums[3];
        rec.keys_moved_by_load = sums[2];
        rec.replicas_created = sums[3];
        rec.bytes_moved = (sums[1] - sums[4]) * redist.record_bytes();
        rec.bytes_rereplicated = sums[4] * redist.record_bytes();
        rec.t_update = times[0];
        rec.t_plan = times[1];
        rec.t_pack = times[2];
        rec.t_exchange = times[3];
        rec.t_apply = times[4];
        rec.t_verify = times[5];
        rec.state_bytes = placement->state_bytes();

        auto loads = global_loads(shard, e.nodes, comm);
        for (NodeId n : m.active_nodes()) rec.load_max = std::max(rec.load_max, loads[n]);
        rec.load_mean = static_cast<double>(records) / m.active_count();
        std::tie(rec.load_peak_to_mean, rec.load_cv) =
            load_shape(loads, m, static_cast<double>(records));
        if (keys.distribution == KeyDistribution::kZipf) {
          const auto requests = global_requests(shard, keys, e.nodes, comm);
          double total = 0;
          for (double x : requests) total += x;
          std::tie(rec.request_peak_to_mean, rec.request_cv) = load_shape(requests, m, total);
        }
        std::uint64_t found = 0;
        for (auto l : loads) found += l;
        rec.keys_duplicated = found > records ? found - records : 0;
        sr.loads.push_back(std::move(loads));

        if (e.verify) {
          std::ostringstream why;
          if (got.count != expected.count)
            why << got.count << " records found, " << expected.count << " expected";
          else if (got.checksum != expected.checksum)
            why << "the (key, value) checksum changed: a key or value was lost, duplicated or "
                   "altered";
          else if (got.misplaced)
            why << got.misplaced << " record(s) not on the node the strategy names";
          if (!why.str().empty()) {
            throw VerificationError("verification failed after event " + std::to_string(ei) + " (" +
                                    rec.detail + ") of strategy '" + spec.label +
                                    "': " + why.str());
          }
        }
        if (e.processing.updates) {
          // Between events: updates under the distributed locks, checked
          // value by value; the checksum follows the changed values.
          const ProcessingStats ps = run_processing_round(
              shard, keys, *placement, m, e.processing, std::uint64_t{rep} * 1000003 + ei, comm,
              opt.fault == Fault::kLostUpdate && ei == 0 && rank == ranks - 1);
          expected.checksum += ps.checksum_delta;
          rec.updates = ps.updates;
          rec.update_reads = ps.reads;
          rec.updates_missed = ps.missed;
          rec.t_process = ps.seconds;
          rec.update_p50_us = ps.latency_p50_us;
          rec.update_p99_us = ps.latency_p99_us;
        }
        progress.step(spec.label, ei, e.timeline.size(), rec.detail);
        sr.events.push_back(std::move(rec));
        ++result.events_completed;
        if ((stopping = stop_requested())) break;
      }
      result.strategies.push_back(std::move(sr));
      if (stopping) break;
    }
  result.partial = stopping;
  result.wall_seconds = max_over_ranks(MPI_Wtime() - t_start, comm);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const std::uint64_t rss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // kB on Linux
  result.peak_rss_bytes.resize(static_cast<std::size_t>(ranks));
  MPI_Allgather(&rss, 1, MPI_UINT64_T, result.peak_rss_bytes.data(), 1, MPI_UINT64_T, comm);
  return result;
}

}  // namespace ringsim
