// What a result needs to be reproduced and trusted later, beyond the
// experiment itself: the build (git commit and dirty flag, compiler, flags,
// build type), the libraries linked and their versions, the operating
// system, each host's online CPUs and memory, and rank 0's Open MPI and
// Slurm environment. The HDF5 root attributes and the --json context both
// come from here.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringsim {

struct Provenance {
  std::string ringsim_version, git_commit;
  int git_dirty = -1;  // 1 dirty, 0 clean, -1 unknown
  std::string build_type, compiler, compiler_flags;
  // (library, version) of every library ringsim links: Open MPI (the MPI
  // library's own version line), HDF5 (the one linked, at run time), Boost,
  // toml++, CLI11, xxHash (at run time), nlohmann/json.
  std::vector<std::pair<std::string, std::string>> libraries;
  std::string os;          // uname: sysname release version machine (rank 0)
  std::string os_release;  // /etc/os-release PRETTY_NAME (rank 0), "" if absent
  // Every OMPI_MCA_* and SLURM_* variable of rank 0, NAME=value, sorted.
  std::vector<std::string> environment;
  // Per host, in the order of host_layout() (each host's lowest rank):
  // sysconf(_SC_NPROCESSORS_ONLN) and /proc/meminfo MemTotal in bytes (0 if
  // unreadable) of the host's lowest rank.
  std::vector<int> online_cpus_per_host;
  std::vector<std::uint64_t> mem_total_per_host;
};

// Collective over comm; the same on every rank (rank 0's strings).
Provenance gather_provenance(MPI_Comm comm);

// The first line of MPI_Get_library_version, trailing blanks removed.
std::string mpi_library_line();

// The library versions alone (no MPI call but MPI_Get_library_version).
std::vector<std::pair<std::string, std::string>> library_versions();

// The environment part: NAME=value of every variable whose name starts with
// one of `prefixes`, sorted by name.
std::vector<std::string> environment_with(const std::vector<std::string>& prefixes);

// /proc/meminfo MemTotal in bytes under `root` ("/" on a live system), 0 if
// it cannot be read.
std::uint64_t mem_total_bytes(const std::string& root = "/");

// PRETTY_NAME of an os-release file ("" if absent), its quotes removed.
std::string os_pretty_name(const std::string& os_release_path = "/etc/os-release");

}  // namespace ringsim
