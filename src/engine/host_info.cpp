#include "engine/host_info.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <thread>

namespace ringsim {

namespace {

// The ranks of comm that share this rank's memory, ordered by rank in comm.
struct HostComm {
  MPI_Comm comm = MPI_COMM_NULL;
  explicit HostComm(MPI_Comm parent) {
    int rank = 0;
    MPI_Comm_rank(parent, &rank);
    MPI_Comm_split_type(parent, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &comm);
  }
  ~HostComm() { MPI_Comm_free(&comm); }
  HostComm(const HostComm&) = delete;
  HostComm& operator=(const HostComm&) = delete;
};

HostLayout layout_with(MPI_Comm comm, MPI_Comm host) {
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  // The host's lowest rank names it (rank 0 of the host communicator, whose
  // ranks are ordered by their rank in comm).
  int leader = rank;
  MPI_Bcast(&leader, 1, MPI_INT, 0, host);
  std::vector<int> leaders(static_cast<std::size_t>(size));
  MPI_Allgather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, comm);
  std::vector<int> sorted = leaders;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  HostLayout out;
  out.hosts = static_cast<int>(sorted.size());
  out.host_of_rank.resize(leaders.size());
  for (std::size_t r = 0; r < leaders.size(); ++r)
    out.host_of_rank[r] = static_cast<int>(
        std::lower_bound(sorted.begin(), sorted.end(), leaders[r]) - sorted.begin());
  return out;
}

// This process's affinity mask as 64-bit words (bit c: CPU c), or empty if it
// cannot be read.
std::vector<std::uint64_t> affinity_words() {
  for (int cpus = 1024; cpus <= (1 << 18); cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(static_cast<unsigned>(cpus));
    if (!set) return {};
    const std::size_t bytes = CPU_ALLOC_SIZE(static_cast<unsigned>(cpus));
    CPU_ZERO_S(bytes, set);
    if (sched_getaffinity(0, bytes, set) == 0) {
      std::vector<std::uint64_t> words((static_cast<std::size_t>(cpus) + 63) / 64, 0);
      for (int c = 0; c < cpus; ++c)
        if (CPU_ISSET_S(static_cast<unsigned>(c), bytes, set))
          words[static_cast<std::size_t>(c) / 64] |= std::uint64_t{1} << (c % 64);
      CPU_FREE(set);
      while (!words.empty() && words.back() == 0) words.pop_back();
      return words;
    }
    const int err = errno;
    CPU_FREE(set);
    if (err != EINVAL) return {};  // EINVAL: the kernel's mask is wider, try again
  }
  return {};
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto start = line.find_first_not_of(" \t", colon + 1);
    if (start != std::string::npos) return line.substr(start);
  }
  return "unknown";
}

}  // namespace

HostLayout host_layout(MPI_Comm comm) {
  HostComm host(comm);
  return layout_with(comm, host.comm);
}

HostInfo host_info(MPI_Comm comm) {
  HostComm host(comm);
  const HostLayout layout = layout_with(comm, host.comm);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);

  HostInfo out;
  out.hosts = layout.hosts;
  out.my_host = layout.host_of_rank[static_cast<std::size_t>(rank)];
  MPI_Comm_size(host.comm, &out.ranks_on_my_host);

  // The union of the host's affinity masks; if any rank there cannot read its
  // mask, the host's largest hardware_concurrency() instead.
  std::vector<std::uint64_t> mask = affinity_words();
  int have_mask = mask.empty() ? 0 : 1, all_have_mask = 0;
  MPI_Allreduce(&have_mask, &all_have_mask, 1, MPI_INT, MPI_MIN, host.comm);
  if (all_have_mask) {
    int words = static_cast<int>(mask.size()), most = 0;
    MPI_Allreduce(&words, &most, 1, MPI_INT, MPI_MAX, host.comm);
    mask.resize(static_cast<std::size_t>(most), 0);
    std::vector<std::uint64_t> both(mask.size(), 0);
    MPI_Allreduce(mask.data(), both.data(), most, MPI_UINT64_T, MPI_BOR, host.comm);
    int threads = 0;
    for (std::uint64_t w : both) threads += std::popcount(w);
    out.hardware_threads_on_my_host = threads;
  } else {
    int mine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    MPI_Allreduce(&mine, &out.hardware_threads_on_my_host, 1, MPI_INT, MPI_MAX, host.comm);
  }
  out.online_cpus_on_my_host = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));

  // Every rank reports its host's figures; the per-host tables follow.
  const int mine[3] = {out.my_host, out.ranks_on_my_host, out.hardware_threads_on_my_host};
  std::vector<int> all(3 * static_cast<std::size_t>(size));
  MPI_Allgather(mine, 3, MPI_INT, all.data(), 3, MPI_INT, comm);
  out.ranks_per_host.assign(static_cast<std::size_t>(out.hosts), 0);
  out.threads_per_host.assign(static_cast<std::size_t>(out.hosts), 0);
  for (std::size_t r = 0; r < static_cast<std::size_t>(size); ++r) {
    const auto h = static_cast<std::size_t>(all[3 * r]);
    out.ranks_per_host[h] = all[3 * r + 1];
    out.threads_per_host[h] = all[3 * r + 2];
  }
  for (int h = 0; h < out.hosts; ++h)
    if (out.ranks_per_host[static_cast<std::size_t>(h)] >
        out.threads_per_host[static_cast<std::size_t>(h)])
      out.oversubscribed = true;
  out.cpu_model = cpu_model_name();
  return out;
}

}  // namespace ringsim
