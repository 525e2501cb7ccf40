#include "experiment_path.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <system_error>

#include "error.hpp"

// Set by CMakeLists.txt for this file alone: where the installed experiments
// are relative to the installed binary's folder, and the source and build
// trees of this build (a binary in the build tree falls back to the sources).
#ifndef RINGSIM_EXPERIMENTS_FROM_BINDIR
#define RINGSIM_EXPERIMENTS_FROM_BINDIR "../share/ringsim/experiments"
#endif
#ifndef RINGSIM_SOURCE_EXPERIMENTS
#define RINGSIM_SOURCE_EXPERIMENTS ""
#endif
#ifndef RINGSIM_BUILD_DIR
#define RINGSIM_BUILD_DIR ""
#endif

namespace ringsim {
namespace fs = std::filesystem;
namespace {

// Is `p` the folder `dir` or inside it? Both are made canonical first, so a
// symlinked build folder or a relative path compares as the real location.
bool inside(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(p, ec);
  if (ec) return false;
  const fs::path b = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  auto [ai, bi] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  // Every component of dir matched; a trailing empty one (dir ends in '/') too.
  return bi == b.end() || (std::next(bi) == b.end() && bi->empty());
}

}  // namespace

ExperimentLayout this_build_layout() {
  ExperimentLayout l;
  std::error_code ec;
  l.exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) l.exe.clear();
  l.installed_from_bin = RINGSIM_EXPERIMENTS_FROM_BINDIR;
  l.source_experiments = RINGSIM_SOURCE_EXPERIMENTS;
  l.build_dir = RINGSIM_BUILD_DIR;
  return l;
}

std::vector<ExperimentFolder> experiment_search_path(const char* env, const ExperimentLayout& l) {
  std::vector<ExperimentFolder> folders;
  if (env != nullptr) {
    const std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) folders.push_back({s.substr(start, end - start), "RINGSIM_EXPERIMENT_PATH"});
      start = end + 1;
    }
  }
  std::error_code ec;
  if (!l.exe.empty() && !l.installed_from_bin.empty()) {
    const fs::path installed = (l.exe.parent_path() / l.installed_from_bin).lexically_normal();
    if (fs::is_directory(installed, ec)) folders.push_back({installed, "installed"});
  }
  if (!l.exe.empty() && !l.build_dir.empty() && !l.source_experiments.empty() &&
      inside(l.exe, l.build_dir) && fs::is_directory(l.source_experiments, ec))
    folders.push_back({l.source_experiments, "source tree"});
  return folders;
}

std::vector<std::string> available_experiments(const std::vector<ExperimentFolder>& folders) {
  std::vector<std::string> names;
  for (const auto& f : folders) {
    std::error_code ec;
    for (fs::directory_iterator it(f.dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (it->path().extension() == ".toml" && it->is_regular_file(ec2))
        names.push_back(it->path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

fs::path find_experiment(const std::string& arg, const std::vector<ExperimentFolder>& folders) {
  std::error_code ec;
  const bool exists = fs::exists(arg, ec);
  const bool is_dir = exists && fs::is_directory(arg, ec);
  if (arg.empty() || (exists && !is_dir) || arg.find('/') != std::string::npos) return arg;

  const std::string file = fs::path(arg).extension() == ".toml" ? arg : arg + ".toml";
  for (const auto& f : folders) {
    const fs::path p = f.dir / file;
    if (fs::is_regular_file(p, ec)) return p;
  }

  std::string msg = is_dir ? arg + " is a folder, not an experiment file"
                           : "experiment file " + arg + " does not exist";
  if (folders.empty()) {
    msg += ", and no folder of experiments is known to look for " + file +
           " in (set RINGSIM_EXPERIMENT_PATH)";
  } else {
    msg += ", and no " + file + " is in ";
    for (std::size_t i = 0; i < folders.size(); ++i)
      msg += (i ? ", " : "") + folders[i].dir.string() + " (" + folders[i].origin + ")";
    const std::vector<std::string> names = available_experiments(folders);
    if (names.empty()) {
      msg += "; there are no experiments there";
    } else {
      msg += "; experiments by name:";
      for (std::size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : " ") + names[i];
    }
  }
  throw Error(msg);
}

fs::path find_experiment(const std::string& arg) {
  return find_experiment(
      arg, experiment_search_path(std::getenv("RINGSIM_EXPERIMENT_PATH"), this_build_layout()));
}

}  // namespace ringsim
