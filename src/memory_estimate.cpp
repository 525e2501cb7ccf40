#include "memory_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/key_source.hpp"
#include "engine/membership.hpp"
#include "engine/shard.hpp"

namespace ringsim {
namespace {

constexpr double kHeadroom = 1.1;  // the shard reserves 10% beyond its largest share
// What a rank holds whatever the experiment: the MPI library and its
// shared-memory transport, HDF5, the C++ runtime and the program. Measured
// with 1,000 keys on one host (Open MPI 4.1, HDF5 1.10): 21-24 MiB per rank;
// a network fabric's library (UCX) adds more.
constexpr std::uint64_t kRuntimeBytes = std::uint64_t{32} << 20;
// The start-up calibration (engine/calibration.cpp): one 64 MiB memcpy
// buffer, its largest phase. Freed before the keys are made, and reused by them.
constexpr std::uint64_t kCalibrationBytes = std::uint64_t{64} << 20;
// One event row as the run keeps it (EventRecord, 512 bytes with the balance
// and removal-order figures, and its detail text when it outgrows the
// string's own buffer).
constexpr std::uint64_t kEventRowBytes = 576;
// [run] order_dependence: the comparison's batch of key hashes and the two
// placements' owners for it (runner.cpp).
constexpr std::uint64_t kOrderBatchBytes = 4096 * (8 + 4 + 4);
// Reading a key trace (engine/key_trace.cpp): the deduplication tables and
// the numbering of the rank's share, per key of the share.
constexpr double kTraceReadBytesPerKey = 40;
constexpr double kTraceReadFixedBytes = 20.0 * (1 << 20);  // read rounds of 4 MiB, their lines
// A zstd-compressed trace, on rank 0: the chunk it keeps, the one it sends,
// what it has decompressed and not cut yet (about 4 MiB each), and zstd's
// window (8 MiB up to level 19). Measured: 21 MiB more peak memory than the
// plain trace (100 MB Twitter CSV, 4 ranks).
constexpr double kTraceZstdBytes = 24.0 * (1 << 20);
constexpr std::uint64_t kHistogramBytes = 3200 * 8;  // engine/histogram.hpp

std::uint64_t bytes(double x) {
  if (!(x > 0)) return 0;
  if (x >= 1.8e19) return UINT64_MAX / 2;
  return static_cast<std::uint64_t>(std::ceil(x));
}

// Active weight per rank through the timeline, with the heaviest rank at
// hand. Sparse: only ranks that host an active node are kept, so asking about
// millions of ranks costs no more than the nodes.
class RankWeights {
 public:
  explicit RankWeights(const Membership& m) {
    for (NodeId n : m.active_nodes()) add(m.rank_of(n), m.weight(n));
  }
  double total() const { return total_; }
  double of(int r) const {
    const auto it = w_.find(r);
    return it == w_.end() ? 0 : it->second;
  }
  double heaviest() const { return order_.empty() ? 0 : order_.rbegin()->first; }
  // The heaviest rank not in `skip`, -1 if none holds anything.
  int heaviest_except(const std::set<int>& skip) const {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it)
      if (!skip.count(it->second)) return it->second;
    return -1;
  }
  void add(int r, double dw) {
    double& x = w_[r];
    order_.erase({x, r});
    x += dw;
    if (x > 1e-12)
      order_.insert({x, r});
    else
      w_.erase(r);
    total_ += dw;
  }

 private:
  std::map<int, double> w_;
  std::set<std::pair<double, int>> order_;
  double total_ = 0;
};

struct Phases {
  double initial = 0, event = 0, lookup = 0, processing = 0;
};

}  // namespace

std::string format_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double x = static_cast<double>(b);
  int u = 0;
  while (x >= 1024 && u < 6) {
    x /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  else
    std::snprintf(buf, sizeof buf, x < 10 ? "%.1f %s" : "%.0f %s", x, units[u]);
  return buf;
}

std::string MemoryEstimate::describe() const {
  std::vector<std::pair<std::uint64_t, const char*>> parts = {
      {keys, "keys"},
      {values, "values"},
      {replicas, "replicas"},
      {shard_headroom, "shard headroom"},
      {exchange_buffers, "exchange buffers"},
      {processing, "processing window"},
      {loads_matrices, "loads and event rows"},
      {strategy_state, "strategy state"},
      {order_shadow, "removal-order shadow"},
      {key_trace, "key trace"},
      {runtime, "MPI and runtime"},
  };
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [b, name] : parts) {
    if (b == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(name) + " " + format_bytes(b);
  }
  return out;
}

MemoryEstimate estimate_memory(const Experiment& e, int ranks) {
  MemoryEstimate est;
  const int P = std::max(1, ranks);
  const double p = P;
  // One node per rank (cluster.nodes not given): asked about more ranks than
  // the experiment was validated for, the extra nodes are active from the start.
  std::uint32_t nodes = e.nodes ? e.nodes : static_cast<std::uint32_t>(P);
  std::uint32_t initial = e.initial ? std::min(e.initial, nodes) : nodes;
  if (e.one_node_per_rank && static_cast<std::uint32_t>(P) > nodes) {
    initial += static_cast<std::uint32_t>(P) - nodes;
    nodes = static_cast<std::uint32_t>(P);
  }
  const double r = std::max<std::uint32_t>(1, e.replicas);
  const double R = static_cast<double>(e.keys.count) * r;  // records in all
  // Values of variable size: the mean size (the distribution's mean before
  // clamping, which only lowers it; for a trace, the mean of its sized
  // requests, or 1 KiB before it is read) with an eighth more for the size
  // classes' rounding, and the size and slot columns (8 bytes a record).
  double vb = e.keys.nominal_value_bytes();
  const double wire_vb = vb + (e.keys.variable_values() ? 4 : 0);  // a size on the wire
  if (e.keys.variable_values()) vb = vb * 1.125 + 8;

  // How many records an event may move: modulo moves about every record;
  // the other strategies that are not minimally disruptive (Maglev, jump
  // with swap, bounded loads) at most about twice the minimum.
  bool any_load_aware = false, any_modulo = false, any_near_minimal = false;
  std::uint64_t state = 0;
  for (const auto& s : e.strategies) {
    any_load_aware = any_load_aware || s.traits.load_aware;
    if (s.params.strategy() == "modulo")
      any_modulo = true;
    else if (!s.traits.minimal_disruption)
      any_near_minimal = true;
    state = std::max(state, s.state_bytes);
  }
  // Per record in the shard: key 8, owner 4, replica index 1 (r > 1),
  // primary 4 (load-aware strategies), value. On the wire: key, value and
  // the replica index.
  const double one_copy = 8 + 4 + (any_load_aware ? 4 : 0);
  const double shard_rec = one_copy + (r > 1 ? 1 : 0) + vb;
  const double wire_rec = 8 + wire_vb + (r > 1 ? 1 : 0);

  // The rank's share of the records at each step of the timeline, by weight.
  std::vector<double> weights = e.weights;
  weights.resize(nodes, 1.0);
  Membership m(nodes, P, weights, parse_mapping(e.mapping), e.keys.seed);
  for (NodeId n = 0; n < initial; ++n) m.activate(n);
  RankWeights w(m);
  std::uint32_t most_active = m.active_count();
  double share = w.total() > 0 ? w.heaviest() / w.total() : 1;  // largest share at any time
  Phases ph;

  // Initial placement, in rounds (8 from 2^20 keys, as the run does): a
  // batch of the rank's generated records, its plan, and the records that
  // leave and arrive, while the shard fills up.
  {
    const double rounds = static_cast<double>(placement_rounds(e.keys));
    const double generated = R / p, batch = generated / rounds;
    const double s0 = share;
    const double send = batch * (1 - s0), recv = R * s0 / rounds * (1 - 1 / p);
    ph.initial = batch * (shard_rec + 4) + (send + recv) * wire_rec;
    if (any_load_aware) ph.initial = std::max(ph.initial, generated * 8 + batch * shard_rec);
    ph.lookup = 12 * std::min(R * s0, double(1u << 20));
  }

  // Events: the send and receive buffers keep their largest size, and each
  // event plans every local record (its new owner, 4 bytes).
  double max_send = 0, max_recv = 0, max_plan = 0;
  for (const auto& ev : e.timeline) {
    const double wb = w.total();
    std::vector<std::pair<int, double>> touched;  // rank, weight change
    double changed = 0;
    for (NodeId n : ev.nodes) {
      const double dw = ev.kind == EventKind::kAdd ? m.weight(n) : -m.weight(n);
      touched.push_back({m.rank_of(n), dw});
      changed += std::fabs(dw);
    }
    std::set<int> ranks_touched;
    for (const auto& [rk, dw] : touched) ranks_touched.insert(rk);
    std::vector<std::pair<int, double>> before;  // weight of the touched ranks before
    for (int rk : ranks_touched) before.push_back({rk, w.of(rk)});
    const int other = w.heaviest_except(ranks_touched);
    const double other_w = other >= 0 ? w.of(other) : 0;
    for (const auto& [rk, dw] : touched) w.add(rk, dw);
    for (NodeId n : ev.nodes) {
      if (ev.kind == EventKind::kAdd)
        m.activate(n);
      else
        m.deactivate(n);
    }
    most_active = std::max(most_active, m.active_count());
    const double wa = w.total();
    if (!(wa > 0) || !(wb > 0)) continue;
    share = std::max(share, w.heaviest() / wa);

    // Records rank k sends and receives: `mine` is the weight of the
    // event's nodes on that rank.
    auto one = [&](double xb, double xa, double mine) {
      const double sb = xb / wb, sa = xa / wa, Sb = R * sb;
      const bool fail = ev.kind == EventKind::kFail;
      // The fewest: the added nodes' share arrives, the removed nodes'
      // records leave (a failure: survivors copy the lost replicas, r > 1).
      // `moved`: the rank's records that change node, across ranks or not.
      double out = 0, in = 0, moved = 0;
      if (ev.kind == EventKind::kAdd) {
        out = Sb * (changed - mine) / wa;
        in = R * mine / wa * (1 - sb);
        moved = Sb * changed / wa;
      } else if (fail) {
        out = r > 1 ? R * changed / wb * sb * (1 - sa) : 0;
        in = r > 1 ? R * changed / wb * sa * (1 - sb) : 0;
        moved = r > 1 ? R * changed / wb * sb : 0;
      } else {
        out = R * mine / wb * (1 - sa);
        in = R * (changed - mine) / wb * sa;
        moved = R * mine / wb;
      }
      // About every record changes node.
      const double all_out = Sb * (1 - sa), all_in = R * sa * (1 - sb);
      if (any_near_minimal) {
        const double o = fail ? R * mine / wb * (1 - sa) : out,
                     i = fail ? R * (changed - mine) / wb * sa : in,
                     v = fail ? R * mine / wb : moved;
        out = std::max(out, std::min(all_out, 2 * std::max(o, out)));
        in = std::max(in, std::min(all_in, 2 * std::max(i, in)));
        moved = std::max(moved, std::min(Sb, 2 * std::max(v, moved)));
      }
      if (any_modulo) {
        out = std::max(out, all_out);
        in = std::max(in, all_in);
        moved = Sb;
      }
      // After a failure: a survivor bit per record, and the copies to make.
      const double extra = fail ? Sb + (r > 1 ? 24 * R * changed / wb * sb : 0) : 0;
      max_send = std::max(max_send, out * wire_rec);
      max_recv = std::max(max_recv, in * wire_rec);
      // New owners (4 bytes a record; load-aware: primaries and hashes too),
      // the holes the leavers leave (8), and the (from, to) node pair of every
      // move for the node-level traffic (8, in a vector that grows by doubling).
      const double plan = Sb * (4 + (any_load_aware ? 12 : 0)) + 8 * out + 16 * moved + extra;
      max_plan = std::max(max_plan, plan);
    };
    for (const auto& [rk, xb] : before) {
      double mine = 0;
      for (const auto& [k, dw] : touched)
        if (k == rk) mine += std::fabs(dw);
      one(xb, w.of(rk), mine);
    }
    if (other >= 0) one(other_w, other_w, 0);
  }
  ph.event = max_send + max_recv + max_plan;

  const double largest = R * share;  // records on the busiest rank at its fullest
  est.largest_share = bytes(largest);

  if (e.processing.enabled()) {
    // Operations per rank and round: `updates`, or with keys = "trace" and no
    // cap each rank's share of the trace's requests.
    const double ops = e.processing.updates
                           ? static_cast<double>(e.processing.updates)
                           : static_cast<double>(e.keys.trace_stats.requests) / P + 1;
    // The window store: a power-of-two table of at least twice the records,
    // slots of 16 + value bytes (8-aligned), all written at once. The
    // verification: each rank counts its own updates per key (about 64 bytes
    // a distinct key) and receives its keys' counts from their senders
    // (about 84 bytes a pair, one pair per replica holder); latencies go into
    // a fixed histogram; the lock window is at most 48 bytes a stripe and
    // 512 bytes of queue nodes (cohort, the largest). Nothing here grows with
    // the rank count.
    double cap = 16;
    while (cap < 2 * largest * kHeadroom) cap *= 2;
    // Values of variable size: the window holds each value's first word.
    const double slot = e.keys.variable_values() ? 24 : std::ceil((16 + vb) / 8) * 8;
    ph.processing = cap * slot + 8 * largest * kHeadroom + (64.0 + 84.0 * r) * ops +
                    static_cast<double>(kHistogramBytes) +
                    48.0 * static_cast<double>(e.processing.stripes) + 512;
  }

  // The per-event arrays go to the result file as they are made: an event's
  // loads per node (before, after, the global sums) and its node-level
  // traffic sums (100 bytes a node), the records-to-rank counts (16 bytes a
  // rank); the sparse traffic rows (at most one per moved record) are in the
  // event's plan above. Kept to the end: the event rows.
  const double T = static_cast<double>(e.timeline.size());
  const double runs = static_cast<double>(e.strategies.size()) * std::max(1u, e.repetitions);
  // The balance statistics per event: the active counts and weights, the
  // random draws' remaining weights (8 bytes a node each), and with replicas
  // the primary counts and their global sums (16 bytes a node).
  const double balance = (24.0 + (r > 1 ? 16.0 : 0.0)) * nodes;
  const double results = runs * T * kEventRowBytes + 100.0 * nodes + 16 * p + balance;

  // The key trace: each rank holds its share of the distinct keys, 8 bytes
  // a key; reading it (byte ranges, deduplicated by key hash, numbered by
  // first appearance) needs about 40 bytes a key of the share and the read
  // rounds' buffers for a moment (rank 0 more for a compressed trace).
  double trace = 0, trace_read = 0;
  if (e.keys.distribution == KeyDistribution::kFile) {
    const double n = static_cast<double>(e.keys.count) / p;
    trace = 8 * n;
    trace_read = kTraceReadBytesPerKey * n + kTraceReadFixedBytes;
    if (trace_is_zstd(e.keys.path.empty() ? e.keys.file : e.keys.path, e.keys.compression))
      trace_read += kTraceZstdBytes;
  }

  // Lookup state grows with the active nodes; the node tables of the membership.
  const double grow = initial ? std::max(1.0, double(most_active) / initial) : 1.0;
  const double state_part = static_cast<double>(state) * grow + 16.0 * nodes;

  // The shard, split into its parts.
  const double copies = largest / r;  // records of one copy of each key
  est.keys = bytes(copies * one_copy);
  est.values = bytes(copies * vb);
  // Values of variable size: a partly used chunk per size class.
  if (e.keys.variable_values())
    est.values += static_cast<std::uint64_t>(ValueArena::kClasses * ValueArena::kChunkBytes);
  est.replicas = bytes((largest - copies) * (one_copy + vb) + (r > 1 ? largest : 0));
  const double shard = static_cast<double>(est.keys + est.values + est.replicas);
  est.shard_headroom = bytes(shard * (kHeadroom - 1));
  const double shard_total = shard * kHeadroom;

  // The heap keeps the pages it has touched (main.cpp keeps glibc from
  // returning them), and an event's buffers seldom fit the holes the initial
  // placement's batches left: the two add up in the peak.
  const double exchange = ph.initial + std::max(ph.event, ph.lookup);
  const double data_peak = shard_total + std::max(exchange, ph.processing);
  est.exchange_buffers = bytes(exchange);
  est.processing = bytes(std::max(0.0, ph.processing - exchange));
  est.loads_matrices = bytes(results);
  est.rank0_extra = 0;  // nothing is held by rank 0 alone since the traffic is sparse
  est.strategy_state = bytes(state_part);
  // [run] order_dependence: a second placement and membership, for the
  // strategies that allow any removal (the others keep none).
  if (e.order_dependence) {
    std::uint64_t shadow = 0;
    bool any = false;
    for (const auto& s : e.strategies)
      if (s.traits.removal == Removal::kAny) {
        any = true;
        shadow = std::max(shadow, s.state_bytes);
      }
    if (any)
      est.order_shadow = bytes(static_cast<double>(shadow) * grow + 16.0 * nodes +
                               static_cast<double>(kOrderBatchBytes));
  }
  est.key_trace = bytes(trace);
  est.runtime = kRuntimeBytes;
  // Phases apart from the data (its memory is reused by them): the largest
  // counts where it exceeds the data's peak.
  const double calibration = static_cast<double>(kCalibrationBytes);
  const double apart = std::max(calibration, trace_read);
  const std::uint64_t beyond = bytes(apart - data_peak);
  if (apart == trace_read) {
    est.key_trace += beyond;
  } else {
    est.runtime += beyond;
  }
  est.per_rank_bytes = est.keys + est.values + est.replicas + est.shard_headroom +
                       est.exchange_buffers + est.processing + est.loads_matrices +
                       est.strategy_state + est.order_shadow + est.key_trace + est.runtime;
  return est;
}

namespace {

std::uint64_t read_number(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word) || word == "max") return 0;
  try {
    std::size_t used = 0;
    const unsigned long long v = std::stoull(word, &used);
    return used == word.size() ? v : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

// The smallest limit set in `file` in the folder `dir` or one above it, up to `top`.
std::uint64_t limit_up(std::filesystem::path dir, const std::filesystem::path& top,
                       const char* file) {
  std::uint64_t best = 0;
  for (;;) {
    const std::uint64_t v = read_number(dir / file);
    if (v && (!best || v < best)) best = v;
    if (dir == top || !dir.has_parent_path() || dir.parent_path() == dir) break;
    const auto up = dir.parent_path();
    if (up.string().size() < top.string().size()) break;
    dir = up;
  }
  return best;
}

}  // namespace

std::uint64_t host_memory_bytes(const std::filesystem::path& root) {
  std::uint64_t total = 0;
  {
    std::ifstream in(root / "proc/meminfo");
    std::string key;
    std::uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb) {
      std::getline(in, unit);
      if (key == "MemTotal:") {
        total = kb * 1024;
        break;
      }
    }
  }
  // This process's cgroup ("0::/path" in v2, "N:memory:/path" in v1).
  std::uint64_t limit = 0;
  const auto v2 = root / "sys/fs/cgroup";
  {
    std::ifstream in(root / "proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string controllers = line.substr(a + 1, b - a - 1);
      std::string path = line.substr(b + 1);
      while (!path.empty() && path.front() == '/') path.erase(0, 1);
      std::uint64_t v = 0;
      if (controllers.empty())
        v = limit_up(v2 / path, v2, "memory.max");
      else if (("," + controllers + ",").find(",memory,") != std::string::npos)
        v = limit_up(v2 / "memory" / path, v2 / "memory", "memory.limit_in_bytes");
      if (v && (!limit || v < limit)) limit = v;
    }
  }
  // In a container the cgroup is mounted as the root.
  if (const std::uint64_t v = read_number(v2 / "memory.max"); v && (!limit || v < limit)) limit = v;
  if (limit && (!total || limit < total)) return limit;
  return total;
}

std::uint64_t host_memory_bytes() { return host_memory_bytes("/"); }

std::optional<std::string> check_memory(const Experiment& e, int ranks, int ranks_on_this_host,
                                        std::uint64_t host_bytes) {
  if (host_bytes == 0) return std::nullopt;
  const int here = std::max(1, ranks_on_this_host);
  const double usable = static_cast<double>(host_bytes) * kUsableHostShare;
  // On a host with k ranks: k ranks' worth, and rank 0's own extras once.
  auto host_need = [&](const MemoryEstimate& m, int k) {
    return static_cast<double>(m.per_rank_bytes) * k - static_cast<double>(m.rank0_extra) * (k - 1);
  };
  const MemoryEstimate est = estimate_memory(e, ranks);
  const double need = host_need(est, here);
  if (need <= usable) return std::nullopt;

  std::ostringstream os;
  os << "not enough memory: the run needs about " << format_bytes(est.per_rank_bytes)
     << " per rank (" << est.describe() << "), " << format_bytes(static_cast<std::uint64_t>(need))
     << " for the " << here << (here == 1 ? " rank" : " ranks") << " on this host, which has "
     << format_bytes(host_bytes) << " (" << static_cast<int>(kUsableHostShare * 100)
     << "% usable); ";
  // More hosts like this one, with as many ranks each: the keys spread, the
  // per-node arrays do not.
  auto fits = [&](std::int64_t total) {
    return host_need(estimate_memory(e, static_cast<int>(total)), here) <= usable;
  };
  const std::int64_t limit = std::int64_t{1} << 24;
  std::int64_t lo = std::max<std::int64_t>(ranks, here), hi = lo;
  while (hi < limit && !fits(hi)) {
    lo = hi;
    hi = std::min(limit, hi * 2);
  }
  if (!fits(hi)) {
    // Why not: one node's keys cannot spread over more ranks than there are
    // nodes; the per-node arrays and the runtime do not shrink at all.
    const MemoryEstimate far = estimate_memory(e, static_cast<int>(hi));
    const double data = static_cast<double>(far.keys + far.values + far.replicas +
                                            far.shard_headroom + far.exchange_buffers);
    os << "it would not fit at " << here
       << " ranks per host on any number of hosts like this one: ";
    if (data * here > usable / 2)
      os << "with " << e.nodes << " nodes, a rank holds at least one node's keys ("
         << format_bytes(static_cast<std::uint64_t>(data)) << " with its buffers); "
         << "more cluster.nodes would spread them";
    else
      os << "the per-node arrays and the runtime (" << format_bytes(far.per_rank_bytes)
         << " per rank) do not shrink with more ranks; fewer events "
            "or fewer ranks per host would help";
  } else {
    while (hi - lo > 1) {  // the fewest ranks that fit, between lo (no) and hi (yes)
      const std::int64_t mid = lo + (hi - lo) / 2;
      (fits(mid) ? hi : lo) = mid;
    }
    const std::int64_t hosts = (hi + here - 1) / here;
    os << "it would fit on about " << hi << " ranks: " << hosts << (hosts == 1 ? " host" : " hosts")
       << " like this one at " << here << " ranks each";
  }
  os << " (or give fewer keys; --force-memory runs it anyway)";
  return os.str();
}

}  // namespace ringsim
