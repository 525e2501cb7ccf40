#include "engine/event_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace ringsim {

LocalEventFigures reduce_figures(const LocalEventFigures& mine, MPI_Comm comm) {
  std::uint64_t sums[4] = {mine.keys_moved, mine.records_sent, mine.keys_moved_by_load,
                           mine.replicas_created};
  double maxima[6] = {mine.t_update,   mine.t_verify,    mine.exchange_model,
                      mine.pack_bound, mine.apply_bound, mine.plan_bound};
  LocalEventFigures out;
  std::uint64_t s[4];
  double x[6];
  MPI_Allreduce(sums, s, 4, MPI_UINT64_T, MPI_SUM, comm);
  MPI_Allreduce(maxima, x, 6, MPI_DOUBLE, MPI_MAX, comm);
  out.keys_moved = s[0];
  out.records_sent = s[1];
  out.keys_moved_by_load = s[2];
  out.replicas_created = s[3];
  out.t_update = x[0];
  out.t_verify = x[1];
  out.exchange_model = x[2];
  out.pack_bound = x[3];
  out.apply_bound = x[4];
  out.plan_bound = x[5];
  return out;
}

std::vector<std::uint64_t> global_loads(const Shard& shard, std::uint32_t nodes, MPI_Comm comm) {
  std::vector<std::uint64_t> local(nodes, 0), global(nodes, 0);
  for (NodeId o : shard.owners) ++local[o];
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(nodes), MPI_UINT64_T, MPI_SUM, comm);
  return global;
}

std::vector<double> global_requests(const Shard& shard, const KeySpace& keys, std::uint32_t nodes,
                                    MPI_Comm comm) {
  std::vector<double> local(nodes, 0.0), global(nodes, 0.0);
  for (std::size_t i = 0; i < shard.size(); ++i)
    if (shard.replica_of(i) == 0) local[shard.owners[i]] += keys.popularity(shard.keys[i]);
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(nodes), MPI_DOUBLE, MPI_SUM, comm);
  return global;
}

namespace {
template <typename T>
std::pair<double, double> shape(const std::vector<T>& loads, const Membership& m, double total) {
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
}  // namespace

std::pair<double, double> load_shape(const std::vector<double>& loads, const Membership& m,
                                     double total) {
  return shape(loads, m, total);
}
std::pair<double, double> load_shape(const std::vector<std::uint64_t>& loads, const Membership& m,
                                     double total) {
  return shape(loads, m, total);
}

std::uint64_t min_moves(const std::vector<std::uint64_t>& before,
                        const std::vector<std::uint64_t>& after) {
  std::uint64_t gained = 0;
  for (std::size_t n = 0; n < after.size(); ++n)
    if (after[n] > before[n]) gained += after[n] - before[n];
  return gained;
}

std::vector<TrafficRow> rank_traffic_rows(const std::vector<std::uint64_t>& records_to_rank,
                                          int rank,
                                          const std::vector<std::uint64_t>& bytes_to_rank) {
  std::vector<TrafficRow> rows;
  for (std::size_t r = 0; r < records_to_rank.size(); ++r)
    if (records_to_rank[r] > 0)
      rows.push_back({static_cast<std::uint32_t>(rank), static_cast<std::uint32_t>(r),
                      records_to_rank[r], bytes_to_rank[r]});
  return rows;
}

ProjectionNetwork projection_network(const Experiment& e, const Calibration& c) {
  const bool inter = c.hosts > 1;
  ProjectionNetwork n;
  n.bandwidth =
      e.network.bandwidth > 0 ? e.network.bandwidth : (inter ? c.beta_inter : c.beta_intra);
  n.latency = e.network.latency > 0 ? e.network.latency : (inter ? c.alpha_inter : c.alpha_intra);
  n.source = e.network.bandwidth > 0 && e.network.latency > 0 ? "[network]"
             : e.network.bandwidth > 0 ? "[network] bandwidth, calibrated latency"
             : e.network.latency > 0   ? "calibrated bandwidth, [network] latency"
                                       : "calibration";
  return n;
}

NodeTraffic node_traffic(std::vector<std::uint64_t>& pairs, std::uint64_t record_bytes,
                         std::uint32_t nodes, double bandwidth, double latency, MPI_Comm comm,
                         std::vector<TrafficRow>* rows, std::vector<std::uint64_t>* pair_bytes) {
  // Sorted, equal pairs are adjacent: one pass gives records per (from, to).
  const bool sized = pair_bytes && !pair_bytes->empty();
  if (sized) {
    std::vector<std::size_t> order(pairs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t x, std::size_t y) { return pairs[x] < pairs[y]; });
    std::vector<std::uint64_t> p(pairs.size()), b(pairs.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      p[i] = pairs[order[i]];
      b[i] = (*pair_bytes)[order[i]];
    }
    pairs.swap(p);
    pair_bytes->swap(b);
  } else {
    std::sort(pairs.begin(), pairs.end());
  }
  // [0, nodes): bytes out; [nodes, 2 nodes): bytes in; then peers out, peers in.
  std::vector<std::uint64_t> local(4 * std::size_t{nodes}, 0), global(local.size(), 0);
  if (rows) rows->clear();
  for (std::size_t i = 0; i < pairs.size();) {
    std::size_t j = i;
    while (j < pairs.size() && pairs[j] == pairs[i]) ++j;
    const auto from = static_cast<NodeId>(pairs[i] >> 32);
    const auto to = static_cast<NodeId>(pairs[i] & 0xffffffffu);
    const std::uint64_t records = j - i;
    std::uint64_t bytes = records * record_bytes;
    if (sized) {
      bytes = 0;
      for (std::size_t k = i; k < j; ++k) bytes += (*pair_bytes)[k];
    }
    local[from] += bytes;
    local[nodes + to] += bytes;
    ++local[2 * std::size_t{nodes} + from];
    ++local[3 * std::size_t{nodes} + to];
    if (rows) rows->push_back({from, to, records, bytes});
    i = j;
  }
  // A node's outgoing traffic is counted on the one rank that hosts it, its
  // incoming traffic on every rank that sends to it: sums are exact.
  MPI_Allreduce(local.data(), global.data(), static_cast<int>(global.size()), MPI_UINT64_T, MPI_SUM,
                comm);
  NodeTraffic t;
  for (std::size_t n = 0; n < nodes; ++n) {
    const std::uint64_t bytes = std::max(global[n], global[nodes + n]);
    const auto peers = static_cast<std::uint32_t>(
        std::max(global[2 * std::size_t{nodes} + n], global[3 * std::size_t{nodes} + n]));
    const double seconds =
        (bandwidth > 0 ? static_cast<double>(bytes) / bandwidth : 0) + latency * peers;
    t.projected_seconds = std::max(t.projected_seconds, seconds);
    t.max_node_bytes = std::max(t.max_node_bytes, bytes);
    t.max_peers = std::max(t.max_peers, peers);
  }
  return t;
}

}  // namespace ringsim
