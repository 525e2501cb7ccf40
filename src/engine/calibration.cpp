#include "engine/calibration.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <tuple>
#include <vector>

#include "engine/host_info.hpp"

namespace ringsim {

namespace {

using Points = std::vector<std::pair<std::size_t, double>>;

constexpr std::size_t kMemcpyBytes = std::size_t{64} << 20;
constexpr int kMemcpyReps = 3;
constexpr std::size_t kPingMaxBytes = std::size_t{4} << 20;
constexpr int kPingSamples = 5;  // timed, after one untimed warm-up sample
constexpr std::size_t kPingBytesPerSample = std::size_t{256} << 10;
constexpr int kPingMaxIters = 50;
constexpr std::size_t kAlltoallMaxBytes = std::size_t{1} << 20;  // per peer
constexpr std::size_t kAlltoallRankCap = std::size_t{16} << 20;  // sent by one rank
constexpr int kAlltoallSamples = 5;                              // after one warm-up
constexpr int kTagPing = 1, kTagSync = 2;

// 8 B, then powers of 4 from 16 B up to `max`.
std::vector<std::size_t> sweep_sizes(std::size_t max) {
  std::vector<std::size_t> out{8};
  for (std::size_t m = 16; m <= max; m *= 4) out.push_back(m);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A barrier that sleeps between polls, for the ranks that only wait while a
// pair measures: on an oversubscribed host a spinning waiter would take the
// pair's cores.
void sleeping_barrier(MPI_Comm c) {
  MPI_Request req;
  MPI_Ibarrier(c, &req);
  int done = 0;
  MPI_Test(&req, &done, MPI_STATUS_IGNORE);
  while (!done) {
    timespec nap{0, 50'000};
    nanosleep(&nap, nullptr);
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
  }
}

// memcpy between the halves of a kMemcpyBytes buffer (each copy reads one
// half and writes the other, so it touches the whole buffer), all ranks at once
// after a barrier; bytes copied per second, the median over repetitions.
double memcpy_rate(MPI_Comm c) {
  constexpr std::size_t half = kMemcpyBytes / 2;
  std::unique_ptr<char[]> buf(new char[kMemcpyBytes]);
  std::memset(buf.get(), 1, kMemcpyBytes);  // faults the pages in, untimed
  std::vector<double> secs;
  for (int i = 0; i < kMemcpyReps; ++i) {
    char* from = buf.get() + (i % 2 ? half : 0);
    char* to = buf.get() + (i % 2 ? 0 : half);
    MPI_Barrier(c);
    const double t0 = MPI_Wtime();
    std::memcpy(to, from, half);
    // The copy must happen although nothing reads it.
    asm volatile("" : : "r"(to) : "memory");
    secs.push_back(MPI_Wtime() - t0);
  }
  return static_cast<double>(half) / median(secs);
}

// Blocking ping-pong between ranks a and b of c, called by both. Returns the
// one-way times on a, nothing on b.
Points pingpong(MPI_Comm c, int me, int a, int b) {
  const int peer = me == a ? b : a;
  std::unique_ptr<char[]> buf(new char[kPingMaxBytes]);
  std::memset(buf.get(), 0, kPingMaxBytes);
  char token = 0;
  Points out;
  for (std::size_t m : sweep_sizes(kPingMaxBytes)) {
    const int n = static_cast<int>(m);
    const int iters =
        static_cast<int>(std::clamp<std::size_t>(kPingBytesPerSample / m, 1, kPingMaxIters));
    std::vector<double> secs;
    for (int s = 0; s <= kPingSamples; ++s) {
      // The pair's barrier: a handshake, then a starts the clock.
      if (me == a) {
        MPI_Send(&token, 0, MPI_BYTE, peer, kTagSync, c);
        MPI_Recv(&token, 0, MPI_BYTE, peer, kTagSync, c, MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(&token, 0, MPI_BYTE, peer, kTagSync, c, MPI_STATUS_IGNORE);
        MPI_Send(&token, 0, MPI_BYTE, peer, kTagSync, c);
      }
      const double t0 = MPI_Wtime();
      for (int i = 0; i < iters; ++i) {
        if (me == a) {
          MPI_Send(buf.get(), n, MPI_BYTE, peer, kTagPing, c);
          MPI_Recv(buf.get(), n, MPI_BYTE, peer, kTagPing, c, MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(buf.get(), n, MPI_BYTE, peer, kTagPing, c, MPI_STATUS_IGNORE);
          MPI_Send(buf.get(), n, MPI_BYTE, peer, kTagPing, c);
        }
      }
      const double one_way = (MPI_Wtime() - t0) / (2.0 * iters);
      if (s > 0) secs.push_back(one_way);
    }
    if (me == a) out.emplace_back(m, median(secs));
  }
  return out;
}

// MPI_Alltoallv with m bytes to every other rank and none to itself, over a
// sweep of m; per m the median over repetitions of the slowest rank's time.
Points alltoall_sweep(MPI_Comm c, int rank, int size) {
  const auto peers = static_cast<std::size_t>(size - 1);
  const std::size_t largest =
      std::max<std::size_t>(8, std::min(kAlltoallMaxBytes, kAlltoallRankCap / peers));
  const std::vector<std::size_t> sizes = sweep_sizes(largest);
  const std::size_t block = sizes.back();
  const std::size_t bytes = block * static_cast<std::size_t>(size);
  std::unique_ptr<char[]> send(new char[bytes]), recv(new char[bytes]);
  std::memset(send.get(), 1, bytes);
  std::memset(recv.get(), 0, bytes);
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  Points out;
  for (std::size_t m : sizes) {
    for (int r = 0; r < size; ++r) {
      counts[static_cast<std::size_t>(r)] = r == rank ? 0 : static_cast<int>(m);
      displs[static_cast<std::size_t>(r)] = static_cast<int>(block * static_cast<std::size_t>(r));
    }
    double secs[kAlltoallSamples + 1], slowest[kAlltoallSamples + 1];
    for (int s = 0; s <= kAlltoallSamples; ++s) {
      MPI_Barrier(c);
      const double t0 = MPI_Wtime();
      MPI_Alltoallv(send.get(), counts.data(), displs.data(), MPI_BYTE, recv.get(), counts.data(),
                    displs.data(), MPI_BYTE, c);
      secs[s] = MPI_Wtime() - t0;
    }
    MPI_Allreduce(secs, slowest, kAlltoallSamples + 1, MPI_DOUBLE, MPI_MAX, c);
    out.emplace_back(m, median(std::vector<double>(slowest + 1, slowest + kAlltoallSamples + 1)));
  }
  return out;
}

void pack_points(std::vector<double>& v, const Points& pts) {
  v.push_back(static_cast<double>(pts.size()));
  for (const auto& [m, t] : pts) {
    v.push_back(static_cast<double>(m));
    v.push_back(t);
  }
}

Points unpack_points(const std::vector<double>& v, std::size_t& at) {
  Points pts(static_cast<std::size_t>(v[at++]));
  for (auto& [m, t] : pts) {
    m = static_cast<std::size_t>(v[at++]);
    t = v[at++];
  }
  return pts;
}

double model(double alpha, double beta, std::uint64_t out, std::uint64_t in, int peers) {
  if (!(beta > 0)) return 0;
  return static_cast<double>(std::max(out, in)) / beta + alpha * std::max(peers, 0);
}

}  // namespace

std::pair<double, double> fit_alpha_beta(const Points& pts) {
  // Step 1, alpha: least squares of t = a + b m on relative residuals
  // (weights 1 / t^2), where the small messages count as much as the large.
  double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  double largest_m = 0, largest_t = 0;
  for (const auto& [bytes, t] : pts) {
    if (!(t > 0) || !std::isfinite(t) || bytes == 0) continue;
    const double w = 1 / (t * t), x = static_cast<double>(bytes);
    s += w;
    sx += w * x;
    sy += w * t;
    sxx += w * x * x;
    sxy += w * x * t;
    if (x > largest_m) largest_m = x, largest_t = t;
  }
  if (s == 0) return {0, 0};
  const double det = s * sxx - sx * sx;
  double a = det > 0 ? (sxx * sy - sx * sxy) / det : 0;
  if (!(a >= 0) || !std::isfinite(a)) a = 0;
  // Step 2, beta: least squares of t - alpha = m / beta on absolute
  // residuals, led by the large messages, the regime of a migration.
  double num = 0, den = 0;
  for (const auto& [bytes, t] : pts) {
    if (!(t > 0) || !std::isfinite(t) || bytes == 0) continue;
    const double x = static_cast<double>(bytes);
    num += x * (t - a);
    den += x * x;
  }
  double b = num / den;
  if (!(b > 0) || !std::isfinite(b)) b = largest_t / largest_m;
  return {a, 1 / b};
}

Calibration calibrate(MPI_Comm comm) {
  MPI_Comm c;
  MPI_Comm_dup(comm, &c);
  int rank = 0, size = 1;
  MPI_Comm_rank(c, &rank);
  MPI_Comm_size(c, &size);
  MPI_Barrier(c);
  const double start = MPI_Wtime();

  Calibration cal;
  const HostLayout hosts = host_layout(c);
  cal.hosts = hosts.hosts;

  const double rate = memcpy_rate(c);
  MPI_Allreduce(&rate, &cal.memcpy_bytes_per_s, 1, MPI_DOUBLE, MPI_MIN, c);

  if (size > 1) {
    // Rank 0's partners: the lowest other rank on its host, the lowest rank
    // on another host.
    int intra = -1, inter = -1;
    for (int r = size - 1; r > 0; --r) {
      if (hosts.host_of_rank[static_cast<std::size_t>(r)] == hosts.host_of_rank[0])
        intra = r;
      else
        inter = r;
    }
    if (intra > 0) {
      if (rank == 0 || rank == intra) cal.pingpong = pingpong(c, rank, 0, intra);
      sleeping_barrier(c);
    }
    if (inter > 0) {
      if (rank == 0 || rank == inter) cal.pingpong_inter = pingpong(c, rank, 0, inter);
      sleeping_barrier(c);
    }
    std::tie(cal.alpha_intra, cal.beta_intra) = fit_alpha_beta(cal.pingpong);
    std::tie(cal.alpha_inter, cal.beta_inter) = fit_alpha_beta(cal.pingpong_inter);

    cal.alltoall = alltoall_sweep(c, rank, size);
    Points per_peer = cal.alltoall;
    for (auto& [m, t] : per_peer) t /= size - 1;
    std::tie(cal.alltoall_alpha, cal.alltoall_beta) = fit_alpha_beta(per_peer);
  }

  const double mine = MPI_Wtime() - start;
  MPI_Allreduce(&mine, &cal.seconds, 1, MPI_DOUBLE, MPI_MAX, c);

  // Rank 0's figures to every rank.
  std::vector<double> v;
  if (rank == 0) {
    v = {cal.memcpy_bytes_per_s,
         cal.alpha_intra,
         cal.beta_intra,
         cal.alpha_inter,
         cal.beta_inter,
         cal.alltoall_alpha,
         cal.alltoall_beta,
         static_cast<double>(cal.hosts),
         cal.seconds};
    pack_points(v, cal.pingpong);
    pack_points(v, cal.pingpong_inter);
    pack_points(v, cal.alltoall);
  }
  unsigned long long n = v.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, c);
  v.resize(static_cast<std::size_t>(n));
  MPI_Bcast(v.data(), static_cast<int>(n), MPI_DOUBLE, 0, c);
  std::size_t at = 0;
  cal.memcpy_bytes_per_s = v[at++];
  cal.alpha_intra = v[at++];
  cal.beta_intra = v[at++];
  cal.alpha_inter = v[at++];
  cal.beta_inter = v[at++];
  cal.alltoall_alpha = v[at++];
  cal.alltoall_beta = v[at++];
  cal.hosts = static_cast<int>(v[at++]);
  cal.seconds = v[at++];
  cal.pingpong = unpack_points(v, at);
  cal.pingpong_inter = unpack_points(v, at);
  cal.alltoall = unpack_points(v, at);

  MPI_Comm_free(&c);
  return cal;
}

double model_exchange_seconds(const Calibration& c, std::uint64_t bytes_out, std::uint64_t bytes_in,
                              int peers, bool inter_host) {
  bool inter = inter_host && c.beta_inter > 0;
  if (!inter && !(c.beta_intra > 0)) inter = c.beta_inter > 0;
  return inter ? model(c.alpha_inter, c.beta_inter, bytes_out, bytes_in, peers)
               : model(c.alpha_intra, c.beta_intra, bytes_out, bytes_in, peers);
}

double model_alltoall_seconds(const Calibration& c, std::uint64_t bytes_out, std::uint64_t bytes_in,
                              int peers) {
  return model(c.alltoall_alpha, c.alltoall_beta, bytes_out, bytes_in, peers);
}

}  // namespace ringsim
