// Which hosts a job runs on and whether its ranks share cores. Timings from
// ranks that share a core are marked oversubscribed and never compared as
// per-core figures; this is where that verdict comes from.
//
// Hosts are the groups of MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), indexed
// in the order of their lowest rank in the communicator.
//
// A host's hardware threads are the size of the union of the CPU affinity
// masks (sched_getaffinity) of its ranks in the communicator: the CPUs those
// ranks may run on. That answers the question asked, "do the ranks on this
// host exceed the cores they can use", also when the job got only part of a
// host (a Slurm allocation, a cgroup, a cpuset) and also when mpirun binds
// each rank to one core (ranks bound to distinct cores give a union as large
// as the rank count, so not oversubscribed; two ranks bound to the same core
// give a union too small, so oversubscribed). The count of CPUs online
// (sysconf) would call 8 ranks on a 64-CPU host "not oversubscribed" even when
// they are confined to 4 of them. Hardware threads are counted, not physical
// cores: two ranks on the SMT siblings of one core are not flagged. Where the
// affinity mask cannot be read, std::thread::hardware_concurrency() stands in.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace ringsim {

// Collective over comm. The same on every rank.
struct HostLayout {
  int hosts = 1;
  std::vector<int> host_of_rank;  // indexed by rank in comm
};
HostLayout host_layout(MPI_Comm comm);

struct HostInfo {
  int hosts = 1;
  int my_host = 0;  // index into the per-host vectors
  int ranks_on_my_host = 1;
  int hardware_threads_on_my_host = 1;  // union of the host's ranks' affinity masks
  int online_cpus_on_my_host = 1;       // sysconf(_SC_NPROCESSORS_ONLN), for the record
  // Some host has more ranks than hardware threads; the same on every rank.
  bool oversubscribed = false;
  std::vector<int> ranks_per_host, threads_per_host;  // indexed by host
  std::string cpu_model;  // /proc/cpuinfo "model name" of this rank's host, or "unknown"
};

// Collective over comm.
HostInfo host_info(MPI_Comm comm);

}  // namespace ringsim
