// Per-run calibration of the machine the job runs on, so that migration times
// can be set against what the hardware does: a memory bandwidth for the pack
// and apply phases and alpha-beta figures for the exchange.
//
// Model. A message of m bytes between two ranks takes t(m) = alpha + m / beta
// (Hockney): alpha the latency in seconds, beta the bandwidth in bytes/s.
// alpha and beta are fitted to a blocking ping-pong between rank 0 and one
// other rank, message sizes 8 B, then 16 B to 4 MiB in powers of 4; t is the
// one-way time, half the round trip, the median of a few samples, each of
// enough round trips to last well above the clock's resolution. The fit is
// least squares in two steps: alpha is the intercept of a fit on relative
// residuals (each point weighs 1 / t^2), so that the small messages, where
// latency dominates, count as much as the large; with alpha fixed, 1 / beta is
// the least-squares slope of t - alpha on absolute residuals, which the large
// messages lead (a migration's exchanges are large, and beyond the caches a
// link is slower than a single line through every size would say). alpha < 0
// is clamped to 0, and a non-positive slope (no size dependence seen) falls
// back to beta = m / t of the largest message.
// The intra-host pair is rank 0 and the lowest other rank on its host; the
// inter-host pair, if the job spans hosts, rank 0 and the lowest rank on
// another host. Hosts are MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) groups.
// While a pair measures, the other ranks wait in a sleeping poll, so that on
// an oversubscribed host they do not take the pair's cores.
//
// The collective exchange is modelled per rank as
//   t = max(bytes out, bytes in) / beta + alpha * peers,
// assuming a rank sends and receives at once at full rate (full duplex), one
// latency per peer with no overlap between peers, and a bandwidth not shared
// with the host's other ranks. It is a model estimate, not a guaranteed floor:
// latencies do overlap in a real MPI_Alltoallv (the model is pessimistic for
// many small messages) and ranks of one host share memory bandwidth (it is
// optimistic for large ones). The alltoall_* figures fit the same form to an
// MPI_Alltoallv with equal blocks to every other rank (per-peer sizes 8 B to
// 1 MiB, fewer when the job is so wide that a rank would send more than
// 16 MiB; nothing to itself): t = alltoall_alpha * (P - 1) + bytes out /
// alltoall_beta, t the median over repetitions of the slowest rank's time.
// alltoall_beta is thus a rank's injection bandwidth while every rank sends.
//
// Memory: every rank copies one half of a 64 MiB buffer onto the other
// half with memcpy (64 MiB touched, more than the last-level caches of common
// CPUs), all ranks at once, a few times; the figure is bytes copied per second
// (each byte read once and written once), the median over repetitions, the
// minimum over ranks: the share of the host's memory bandwidth a rank gets
// while every rank works, as in the pack and apply phases.
//
// Every measurement starts right after a barrier (for a ping-pong, a
// handshake of the pair) and is timed with MPI_Wtime. The results are
// broadcast from rank 0, so they are identical on every rank. On ranks that
// share cores the figures are what those ranks got; mark them oversubscribed
// (host_info.hpp). A job of one rank measures the memory only: the alpha and
// beta figures are 0 and the sweeps empty. The whole calibration takes a few
// hundred milliseconds on a workstation (see `seconds`).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ringsim {

struct Calibration {
  double memcpy_bytes_per_s = 0;  // per rank, all ranks copying at once; min over ranks
  double alpha_intra = 0;         // s, between ranks of one host
  double beta_intra = 0;          // bytes/s, between ranks of one host
  double alpha_inter = 0;         // s, across hosts; 0 on one host
  double beta_inter = 0;          // bytes/s, across hosts; 0 on one host
  double alltoall_alpha = 0;      // s per peer, from the MPI_Alltoallv sweep
  double alltoall_beta = 0;       // bytes/s, per-rank injection bandwidth
  // The raw sweep points, (message bytes, median seconds). Ping-pong: one-way
  // time. Alltoall: bytes per peer, the time of the whole MPI_Alltoallv.
  std::vector<std::pair<std::size_t, double>> pingpong;        // within rank 0's host
  std::vector<std::pair<std::size_t, double>> pingpong_inter;  // across hosts, if any
  std::vector<std::pair<std::size_t, double>> alltoall;
  int hosts = 1;
  double seconds = 0;  // wall time of the calibration, slowest rank
};

// Collective over comm; the same result on every rank.
Calibration calibrate(MPI_Comm comm);

// The per-rank exchange model with the point-to-point figures: inter-host
// when inter_host and the job spans hosts, intra-host otherwise (each falls
// back to the other if it was not measured). 0 when neither was (one rank).
// The run's model time is the maximum over ranks.
double model_exchange_seconds(const Calibration& c, std::uint64_t bytes_out, std::uint64_t bytes_in,
                              int peers, bool inter_host);

// The same form with the MPI_Alltoallv figures (0 for a one-rank job).
double model_alltoall_seconds(const Calibration& c, std::uint64_t bytes_out, std::uint64_t bytes_in,
                              int peers);

// The least-squares fit used above, on (bytes, seconds) points: returns
// (alpha, beta) with alpha >= 0 and beta > 0, or (0, 0) without points.
std::pair<double, double> fit_alpha_beta(const std::vector<std::pair<std::size_t, double>>& pts);

}  // namespace ringsim
