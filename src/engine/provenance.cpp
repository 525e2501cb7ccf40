#include "engine/provenance.hpp"

#include <hdf5.h>
#include <sys/utsname.h>
#include <toml++/toml.h>
#include <unistd.h>
#include <xxhash.h>

#include <CLI/Version.hpp>
#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/version.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "engine/host_info.hpp"

extern char** environ;

namespace ringsim {
namespace {

std::string dotted(long major, long minor, long patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string uname_line() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

}  // namespace

std::string mpi_library_line() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string s(buf, static_cast<std::size_t>(len));
  if (auto nl = s.find_first_of("\r\n"); nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::vector<std::pair<std::string, std::string>> library_versions() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  const unsigned xxh = XXH_versionNumber();  // major * 10000 + minor * 100 + release
  return {
      {"mpi", mpi_library_line()},
      {"hdf5", dotted(maj, min, rel)},
      {"boost", dotted(BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100)},
      {"tomlplusplus", dotted(TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH)},
      {"cli11", CLI11_VERSION},
      {"xxhash", dotted(xxh / 10000, xxh / 100 % 100, xxh % 100)},
      {"nlohmann_json", dotted(NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                               NLOHMANN_JSON_VERSION_PATCH)},
  };
}

std::vector<std::string> environment_with(const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  for (char** v = environ; v && *v; ++v) {
    const std::string entry(*v);
    for (const auto& p : prefixes)
      if (entry.rfind(p, 0) == 0) {
        out.push_back(entry);
        break;
      }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t mem_total_bytes(const std::string& root) {
  std::ifstream in(root + "/proc/meminfo");
  std::string key, unit;
  std::uint64_t kb = 0;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") return kb * 1024;
  }
  return 0;
}

std::string os_pretty_name(const std::string& os_release_path) {
  std::ifstream in(os_release_path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

Provenance gather_provenance(MPI_Comm comm) {
  boost::mpi::communicator world(comm, boost::mpi::comm_attach);
  Provenance p;
  p.ringsim_version = std::string(version());
  p.git_commit = std::string(git_commit());
  p.git_dirty = git_dirty();
  p.build_type = std::string(build_type());
  p.compiler = std::string(compiler());
  p.compiler_flags = std::string(compiler_flags());
  if (world.rank() == 0) {
    p.libraries = library_versions();
    p.os = uname_line();
    p.os_release = os_pretty_name();
    p.environment = environment_with({"OMPI_MCA_", "SLURM_"});
  }
  boost::mpi::broadcast(world, p.libraries, 0);
  boost::mpi::broadcast(world, p.os, 0);
  boost::mpi::broadcast(world, p.os_release, 0);
  boost::mpi::broadcast(world, p.environment, 0);

  // Each rank's figures; a host's are its lowest rank's.
  const HostLayout layout = host_layout(comm);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const std::uint64_t mine[2] = {static_cast<std::uint64_t>(std::max(1L, cpus)), mem_total_bytes()};
  std::vector<std::uint64_t> all(2 * static_cast<std::size_t>(world.size()));
  MPI_Allgather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, comm);
  p.online_cpus_per_host.assign(static_cast<std::size_t>(layout.hosts), -1);
  p.mem_total_per_host.assign(static_cast<std::size_t>(layout.hosts), 0);
  for (std::size_t r = 0; r < layout.host_of_rank.size(); ++r) {
    const auto h = static_cast<std::size_t>(layout.host_of_rank[r]);
    if (p.online_cpus_per_host[h] >= 0) continue;  // a lower rank of the host came first
    p.online_cpus_per_host[h] = static_cast<int>(all[2 * r]);
    p.mem_total_per_host[h] = all[2 * r + 1];
  }
  return p;
}

}  // namespace ringsim
