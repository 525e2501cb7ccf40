// Experiments by name (src/experiment_path.hpp): `ringsim run scale-out` from
// any folder, against $RINGSIM_EXPERIMENT_PATH, an installed tree and the
// source tree, and the error a user gets for a name that is nowhere.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "error.hpp"
#include "experiment_path.hpp"

namespace ringsim {
namespace {
namespace fs = std::filesystem;

// A fresh folder under the system's temporary folder, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "ringsim-exppath-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs the test body in another working folder, and goes back after.
class InDir {
 public:
  explicit InDir(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~InDir() { fs::current_path(old_); }

 private:
  fs::path old_;
};

fs::path touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "[[strategies]]\nname = \"ring\"\n";
  return p;
}

std::string error_of(const std::string& arg, const std::vector<ExperimentFolder>& folders) {
  try {
    find_experiment(arg, folders);
  } catch (const Error& err) {
    return err.what();
  }
  return "";
}

// An installed tree: PREFIX/bin/ringsim and PREFIX/share/ringsim/experiments.
ExperimentLayout installed_layout(const fs::path& prefix) {
  ExperimentLayout l;
  l.exe = prefix / "bin" / "ringsim";
  l.installed_from_bin = "../share/ringsim/experiments";
  return l;
}

TEST(ExperimentPath, AnExistingFileIsUsedAsItIsEvenWhenAFolderHasTheName) {
  TempDir t;
  const fs::path env = t.path() / "env";
  touch(env / "mine.toml");
  const std::vector<ExperimentFolder> folders = {{env, "RINGSIM_EXPERIMENT_PATH"}};
  const fs::path here = touch(t.path() / "work" / "mine.toml");
  EXPECT_EQ(find_experiment(here.string(), folders), here);
  InDir in(t.path() / "work");
  EXPECT_EQ(find_experiment("mine.toml", folders), fs::path("mine.toml"));
  // A file without the .toml ending is a file too.
  touch(t.path() / "work" / "plain");
  EXPECT_EQ(find_experiment("plain", folders), fs::path("plain"));
}

TEST(ExperimentPath, ABareNameIsFoundWithOrWithoutToml) {
  TempDir t;
  const fs::path f = touch(t.path() / "exps" / "scale-out.toml");
  const std::vector<ExperimentFolder> folders = {{t.path() / "exps", "installed"}};
  InDir in(t.path());  // no scale-out here
  EXPECT_EQ(find_experiment("scale-out", folders), f);
  EXPECT_EQ(find_experiment("scale-out.toml", folders), f);
}

TEST(ExperimentPath, AFolderInTheWorkingFolderDoesNotHideTheExperiment) {
  TempDir t;
  const fs::path f = touch(t.path() / "exps" / "churn.toml");
  fs::create_directories(t.path() / "work" / "churn");
  InDir in(t.path() / "work");
  EXPECT_EQ(find_experiment("churn", {{t.path() / "exps", "installed"}}), f);
}

TEST(ExperimentPath, AnArgumentWithASlashIsNeverSearched) {
  TempDir t;
  touch(t.path() / "exps" / "churn.toml");
  const std::vector<ExperimentFolder> folders = {{t.path() / "exps", "installed"}};
  InDir in(t.path());
  // Returned unchanged: reading it reports the missing file by the user's name.
  EXPECT_EQ(find_experiment("sub/churn", folders), fs::path("sub/churn"));
  EXPECT_EQ(find_experiment("./churn.toml", folders), fs::path("./churn.toml"));
}

TEST(ExperimentPath, EnvironmentFoldersComeFirstInTheirOrder) {
  TempDir t;
  const fs::path prefix = t.path() / "prefix";
  const fs::path installed = touch(prefix / "share/ringsim/experiments/scale-out.toml");
  touch(prefix / "share/ringsim/experiments/churn.toml");
  const fs::path a = t.path() / "a", b = t.path() / "b";
  const fs::path b_scale = touch(b / "scale-out.toml");
  const fs::path a_churn = touch(a / "churn.toml");
  const fs::path b_churn = touch(b / "churn.toml");
  const std::string env = a.string() + "::" + b.string() + ":";  // empty entries are skipped
  const auto folders = experiment_search_path(env.c_str(), installed_layout(prefix));
  ASSERT_EQ(folders.size(), 3u);
  EXPECT_EQ(folders[0].dir, a);
  EXPECT_EQ(folders[1].dir, b);
  EXPECT_EQ(folders[0].origin, "RINGSIM_EXPERIMENT_PATH");
  EXPECT_EQ(folders[2].origin, "installed");
  EXPECT_EQ(find_experiment("churn", folders), a_churn);
  EXPECT_EQ(find_experiment("scale-out", folders), b_scale);
  // Without the variable, the installed experiment.
  EXPECT_EQ(find_experiment("scale-out", experiment_search_path(nullptr, installed_layout(prefix))),
            installed);
  EXPECT_EQ(find_experiment("scale-out", experiment_search_path("", installed_layout(prefix))),
            installed);
}

TEST(ExperimentPath, TheInstalledFolderFollowsTheBinaryWhenThePrefixMoves) {
  TempDir t;
  touch(t.path() / "old/share/ringsim/experiments/churn.toml");
  fs::rename(t.path() / "old", t.path() / "new");
  const auto folders = experiment_search_path(nullptr, installed_layout(t.path() / "new"));
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0].dir, t.path() / "new/share/ringsim/experiments");
  EXPECT_EQ(find_experiment("churn", folders),
            t.path() / "new/share/ringsim/experiments/churn.toml");
}

TEST(ExperimentPath, TheSourceTreeIsSearchedOnlyByABuildTreeBinary) {
  TempDir t;
  const fs::path src = t.path() / "src/experiments";
  const fs::path churn = touch(src / "churn.toml");
  ExperimentLayout l;
  l.installed_from_bin = "../share/ringsim/experiments";
  l.source_experiments = src;
  l.build_dir = t.path() / "build";
  l.exe = t.path() / "build/ringsim";
  auto folders = experiment_search_path(nullptr, l);
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0].origin, "source tree");
  EXPECT_EQ(find_experiment("churn", folders), churn);
  // The same build, installed elsewhere: its own experiments only.
  l.exe = t.path() / "buildings/bin/ringsim";  // a name that merely starts like build/
  EXPECT_TRUE(experiment_search_path(nullptr, l).empty());
  touch(t.path() / "buildings/share/ringsim/experiments/other.toml");
  folders = experiment_search_path(nullptr, l);
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0].origin, "installed");
  EXPECT_NE(error_of("churn", folders), "");
}

TEST(ExperimentPath, ANameFoundNowhereIsOneLineNamingItTheFoldersAndTheNames) {
  TempDir t;
  const fs::path a = t.path() / "a", b = t.path() / "b";
  touch(a / "churn.toml");
  touch(b / "scale-out.toml");
  touch(b / "churn.toml");
  touch(b / "notes.txt");                     // not an experiment
  touch(b / "sweeps" / "example.toml");       // below the folder: not by name
  fs::create_directories(b / "folder.toml");  // a folder, not a file
  const std::vector<ExperimentFolder> folders = {{a, "RINGSIM_EXPERIMENT_PATH"}, {b, "installed"}};
  InDir in(t.path());
  const std::string msg = error_of("scale-ot", folders);
  EXPECT_EQ(msg, "experiment file scale-ot does not exist, and no scale-ot.toml is in " +
                     a.string() + " (RINGSIM_EXPERIMENT_PATH), " + b.string() +
                     " (installed); experiments by name: churn, scale-out");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  // The .toml form names the file the user typed.
  EXPECT_EQ(error_of("nope.toml", folders).rfind("experiment file nope.toml does not exist, ", 0),
            0u);
  // A folder of the name is not mistaken for a missing file.
  fs::create_directories(t.path() / "results");
  EXPECT_EQ(error_of("results", folders).rfind("results is a folder, not an experiment file", 0),
            0u);
}

TEST(ExperimentPath, WithNoFolderAtAllTheErrorSaysWhatToSet) {
  TempDir t;
  InDir in(t.path());
  EXPECT_NE(error_of("churn", {}).find("set RINGSIM_EXPERIMENT_PATH"), std::string::npos);
  const std::string empty = error_of("churn", {{t.path(), "RINGSIM_EXPERIMENT_PATH"}});
  EXPECT_NE(empty.find("there are no experiments there"), std::string::npos) << empty;
}

TEST(ExperimentPath, ThisBuildsBinaryFindsTheBundledExperimentsFromAnyFolder) {
  // The unit tests run from the build tree, so the source tree's experiments/
  // is searched: every bundled experiment is found by name.
  TempDir t;
  InDir in(t.path());
  const auto folders = experiment_search_path(nullptr, this_build_layout());
  ASSERT_FALSE(folders.empty());
  EXPECT_EQ(folders.back().origin, "source tree");
  const fs::path bundled = fs::path(RINGSIM_SOURCE_DIR) / "experiments";
  EXPECT_EQ(fs::weakly_canonical(find_experiment("scale-out", folders)),
            fs::weakly_canonical(bundled / "scale-out.toml"));
  const auto names = available_experiments(folders);
  for (const char* n : {"default", "scale-out", "churn", "trace"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

}  // namespace
}  // namespace ringsim
