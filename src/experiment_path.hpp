// Experiments by name: `ringsim run scale-out` from any folder.
//
// An argument that names an existing file is used as it is. Otherwise a bare
// name (no '/'), with or without ".toml", is looked up as NAME.toml in, in
// order: the folders of $RINGSIM_EXPERIMENT_PATH (colon-separated), the
// installed experiments found relative to the running executable
// (BINDIR/../share/ringsim/experiments, so an installed tree can be moved),
// and, for a binary that runs from its build tree, the source tree's
// experiments/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ringsim {

// One folder of the search, with where it came from for the error message.
struct ExperimentFolder {
  std::filesystem::path dir;
  std::string origin;  // "RINGSIM_EXPERIMENT_PATH", "installed", "source tree"
};

// Where the installed binary's experiments and the build tree's are.
struct ExperimentLayout {
  std::filesystem::path exe;                 // the running executable
  std::filesystem::path installed_from_bin;  // e.g. ../share/ringsim/experiments
  std::filesystem::path source_experiments;  // the source tree's experiments/
  std::filesystem::path build_dir;           // the build tree it belongs to
};

// The layout of this build: /proc/self/exe and the paths CMake compiled in.
ExperimentLayout this_build_layout();

// The folders searched, in order. `env` is $RINGSIM_EXPERIMENT_PATH (null or
// empty: none; empty entries are skipped). The installed folder is listed when
// it exists; the source tree's only when the executable lies in the build tree.
std::vector<ExperimentFolder> experiment_search_path(const char* env, const ExperimentLayout& l);

// The names (file stems) of the *.toml files in the folders, sorted, unique.
std::vector<std::string> available_experiments(const std::vector<ExperimentFolder>& folders);

// The file an experiment argument stands for. An argument with a '/' that
// names no file is returned unchanged (reading it reports it missing). A bare
// name that is found nowhere throws Error: one line naming the name, the
// folders searched and the names available.
std::filesystem::path find_experiment(const std::string& arg,
                                      const std::vector<ExperimentFolder>& folders);

// find_experiment with $RINGSIM_EXPERIMENT_PATH and this build's layout.
std::filesystem::path find_experiment(const std::string& arg);

}  // namespace ringsim
