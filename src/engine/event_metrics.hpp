// An event's figures: each rank's own counts and times, reduced over ranks
// in named fields (one allreduce for the sums, one for the maxima), and the
// figures derived from the global load vectors.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/membership.hpp"
#include "engine/shard.hpp"
#include "experiment.hpp"
#include "keys.hpp"

namespace ringsim {

// What one rank counted and timed in one event.
struct LocalEventFigures {
  // summed over ranks
  std::uint64_t keys_moved = 0, records_sent = 0, keys_moved_by_load = 0, replicas_created = 0;
  // maxima over ranks
  double t_update = 0, t_verify = 0;
  double exchange_model = 0;  // this rank's alpha-beta model of its exchange, s
  double pack_bound = 0, apply_bound = 0, plan_bound = 0;  // memory and lookup bounds, s
};

// Collective: sums and maxima in two allreduces.
LocalEventFigures reduce_figures(const LocalEventFigures& mine, MPI_Comm comm);

// Collective: records per node over all ranks (every rank gets the vector).
std::vector<std::uint64_t> global_loads(const Shard& shard, std::uint32_t nodes, MPI_Comm comm);
// Collective: request load per node (the popularity of the keys whose
// replica 0 each node holds), for skewed workloads.
std::vector<double> global_requests(const Shard& shard, const KeySpace& keys, std::uint32_t nodes,
                                    MPI_Comm comm);

// Peak-to-mean and coefficient of variation over the active nodes of each
// node's load relative to its fair share total * w / W.
std::pair<double, double> load_shape(const std::vector<double>& loads, const Membership& m,
                                     double total);
std::pair<double, double> load_shape(const std::vector<std::uint64_t>& loads, const Membership& m,
                                     double total);

// The fewest record moves that turn `before` into `after`: every record a
// node gains must arrive from elsewhere, so the sum of the positive changes.
std::uint64_t min_moves(const std::vector<std::uint64_t>& before,
                        const std::vector<std::uint64_t>& after);

// Node-level traffic of an event from the (from << 32 | to) pairs of every
// record that changed node (each rank passes its own; the node `from` is
// hosted on that rank): the exact bytes each node sends and receives and the
// distinct nodes it talks to. Collective (two allreduces of nodes entries).
struct NodeTraffic {
  // max over nodes of max(bytes out, bytes in) / bandwidth + latency * peers,
  // peers = max(distinct destinations, distinct sources).
  double projected_seconds = 0;
  std::uint64_t max_node_bytes = 0;  // max over nodes of max(bytes out, bytes in)
  std::uint32_t max_peers = 0;
};
// The network the projection assumes: each of [network]'s bandwidth and
// latency when given, else the calibrated point-to-point figure (across hosts
// when the job spans hosts).
struct ProjectionNetwork {
  double bandwidth = 0, latency = 0;  // bytes/s per node, s per message
  const char* source = "calibration";
};
ProjectionNetwork projection_network(const Experiment& e, const Calibration& c);

// One (from, to) entry of an event's sparse traffic table: ranks or nodes.
struct TrafficRow {
  std::uint32_t from = 0, to = 0;
  std::uint64_t records = 0, bytes = 0;
};

// `rows` (optional): this rank's entries of the node-to-node table, one per
// (from, to) pair with records > 0, ascending; `from` is always a node this
// rank hosts, so the ranks' rows are disjoint and together the whole table.
// `pair_bytes` (values of variable size): the bytes of each pair's record,
// parallel to `pairs`; empty: every record is `record_bytes`.
NodeTraffic node_traffic(std::vector<std::uint64_t>& pairs, std::uint64_t record_bytes,
                         std::uint32_t nodes, double bandwidth, double latency, MPI_Comm comm,
                         std::vector<TrafficRow>* rows = nullptr,
                         std::vector<std::uint64_t>* pair_bytes = nullptr);

// This rank's entries of the rank-to-rank table from its records and bytes
// sent to each rank: one per destination with records > 0.
std::vector<TrafficRow> rank_traffic_rows(const std::vector<std::uint64_t>& records_to_rank,
                                          int rank,
                                          const std::vector<std::uint64_t>& bytes_to_rank);

}  // namespace ringsim
