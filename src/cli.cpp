#include "cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "build_info.hpp"
#include "engine/stop_token.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "h5_output.hpp"
#include "lock_suite.hpp"
#include "registry.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace ringsim {
namespace fs = std::filesystem;
namespace {

// results/x.h5 -> results/x.partial.h5
std::string partial_name(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".partial" + p.extension().string())).string();
}

struct RunArgs {
  std::string experiment;  // empty: the embedded default
  std::string out;
  bool force = false;
  bool no_verify = false;
  bool quiet = false;
  std::vector<std::string> sets;
  std::string fault = "none";
};

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("experiment file " + path + " does not exist");
  if (fs::is_directory(path, ec)) throw Error("experiment file " + path + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read experiment file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Decides the output path and checks it can be written, on rank 0, before
// any work: an existing file needs --force, the folder must exist and be
// writable. The default folder results/ is created if missing.
std::string check_output(const RunArgs& a, const std::string& name) {
  const bool chosen = !a.out.empty();
  fs::path out = chosen ? fs::path(a.out) : fs::path("results") / (name + ".h5");
  fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::error_code ec;
  if (!chosen && !fs::exists(dir, ec)) fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) throw Error("output folder " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error("output folder " + dir.string() + " is not writable");
  if (fs::is_directory(out, ec)) throw Error("output path " + out.string() + " is a directory");
  if (fs::exists(out, ec) && !a.force)
    throw Error("output file " + out.string() + " exists; pass --force to overwrite it");
  return out.string();
}

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string mpi_library_version() {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string s(buf, static_cast<std::size_t>(len));
  if (auto nl = s.find_first_of("\r\n"); nl != std::string::npos) s.resize(nl);
  return s;
}

Fault parse_fault(const std::string& f) {
  if (f == "drop-key") return Fault::kDropKey;
  if (f == "corrupt-value") return Fault::kCorruptValue;
  if (f == "misplace-key") return Fault::kMisplaceKey;
  if (f == "lost-update") return Fault::kLostUpdate;
  if (f == "lock-timeout") return Fault::kLockTimeout;
  return Fault::kNone;
}

void print_error(int rank, const std::string& msg) {
  if (rank == 0) std::cerr << "ringsim: error: " << msg << std::endl;
}

int do_run(const RunArgs& a, const std::string& command_line, MPI_Comm comm) {
  boost::mpi::communicator world(comm, boost::mpi::comm_attach);
  const int rank = world.rank();

  // Phase 1, validation: rank 0 reads the inputs and checks the output path;
  // everything is broadcast, then every rank parses and validates the same
  // text, so every rank reaches the same verdict and none is left waiting.
  Experiment e;
  std::string out_path;
  {
    std::string text, error;
    if (rank == 0) {
      try {
        text =
            a.experiment.empty() ? std::string(default_experiment_text()) : read_file(a.experiment);
      } catch (const Error& err) {
        error = err.what();
      }
    }
    boost::mpi::broadcast(world, error, 0);
    if (!error.empty()) return print_error(rank, error), kExitBadInput;
    boost::mpi::broadcast(world, text, 0);
    try {
      const std::string source = a.experiment.empty() ? "<built-in default.toml>" : a.experiment;
      e = parse_experiment(text, source, a.sets);
      if (e.name.empty())
        e.name = a.experiment.empty() ? "default" : fs::path(a.experiment).stem().string();
      if (a.no_verify) e.verify = false;
      validate_experiment(e, world.size());
    } catch (const Error& err) {
      return print_error(rank, err.what()), kExitBadInput;
    }
    if (rank == 0) {
      try {
        out_path = check_output(a, e.name);
      } catch (const Error& err) {
        error = err.what();
      }
    }
    boost::mpi::broadcast(world, error, 0);
    if (!error.empty()) return print_error(rank, error), kExitBadInput;
    boost::mpi::broadcast(world, out_path, 0);
  }

  RunContext ctx;
  ctx.command_line = command_line;
  ctx.start_time = now_iso8601();
  boost::mpi::broadcast(world, ctx.start_time, 0);
  boost::mpi::all_gather(world, hostname(), ctx.hosts);
  ctx.mpi_version = mpi_library_version();
  if (rank == 0) print_header(std::cout, e, world.size());

  // Phase 2, the run. Verification failures are seen by every rank at once.
  // SIGTERM (Slurm's time limit, a user's kill) asks for a stop at the next
  // safe point; what completed is written to a file named as partial.
  const volatile std::sig_atomic_t* stop_flag = install_stop_handlers(rank);
  RunResult result;
  std::vector<LockBenchResult> locks;
  try {
    RunOptions opt;
    opt.fault = parse_fault(a.fault);
    opt.progress = !a.quiet;
    opt.stop_flag = stop_flag;
    result = run_experiment(e, opt, comm);
    if (e.has_locks && !result.partial) {
      std::vector<int> skipped;
      locks = run_lock_suite(e, comm, &skipped);
      if (rank == 0)
        for (int k : skipped)
          std::cerr << "ringsim: note: locks.ranks " << k << " skipped: the job has only "
                    << world.size() << " ranks" << std::endl;
    }
  } catch (const VerificationError& err) {
    print_error(rank, err.what());
    if (rank == 0) std::cerr << "ringsim: no result file written" << std::endl;
    return kExitVerification;
  }

  if (result.partial) out_path = partial_name(out_path);
  const double t_write = MPI_Wtime();
  write_result_file(out_path, e, result, ctx, comm, locks);
  const double write_seconds = MPI_Wtime() - t_write;
  if (rank == 0) {
    print_report(std::cout, e, result);
    if (!locks.empty()) {
      std::cout << "\n== locks (" << e.locks.target << " lock, "
                << (e.locks.acquisitions
                        ? std::to_string(e.locks.acquisitions) + " acquisitions per rank"
                        : std::to_string(e.locks.duration) + " s per run")
                << "; fairness: max/min acquisitions over ranks, or the spread of finish times)\n";
      print_lock_table(std::cout, locks);
    }
    std::cout << "results: " << out_path << " (written in " << std::fixed << std::setprecision(2)
              << write_seconds << " s)" << std::endl;
  }
  if (result.partial) {
    print_error(rank, "stopped by SIGTERM after " + std::to_string(result.events_completed) +
                          " completed event(s); partial results in " + out_path);
    return kExitStopped;
  }
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);

  CLI::App app{
      "ringsim: what does each rehash strategy cost when nodes change?\n"
      "MPI ranks act as the nodes of a consistent-hashing ring; keys move with\n"
      "MPI_Alltoallv after each membership event, and every figure goes to HDF5."};
  app.set_version_flag("--version",
                       std::string(version()) + " (" + std::string(git_commit()) + ")");
  app.require_subcommand(1);

  RunArgs a;
  auto* run = app.add_subcommand(
      "run", "Run an experiment under mpirun or srun and write an HDF5 result file");
  run->add_option("experiment", a.experiment,
                  "Experiment file (TOML); without it, the built-in experiments/default.toml");
  run->add_option("-o,--out", a.out, "Result file (default: results/<experiment>.h5)")
      ->envname("RINGSIM_OUT");
  run->add_flag("-f,--force", a.force, "Overwrite an existing result file")
      ->envname("RINGSIM_FORCE");
  run->add_option(
      "-s,--set", a.sets,
      "Override a field of the experiment, KEY.PATH=VALUE (repeatable), e.g. --set keys.count=1e7");
  run->add_flag("-q,--quiet", a.quiet,
                "No progress lines on stderr (they appear once a run passes a second)")
      ->envname("RINGSIM_QUIET");
  run->add_flag("--no-verify", a.no_verify,
                "Skip the check after each event that keys and values survived and sit where the "
                "strategy says (on by default)");
  run->add_option(
         "--inject-fault", a.fault,
         "For tests: damage the shard after the first event so that verification must fail")
      ->check(CLI::IsMember(
          {"none", "drop-key", "corrupt-value", "misplace-key", "lost-update", "lock-timeout"}));

  auto* list = app.add_subcommand("list", "List the placement strategies and their parameters");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    // Help and errors: rank 0 prints, every rank returns the same code.
    if (rank == 0) return app.exit(err);
    return err.get_exit_code() == 0 ? 0 : kExitBadInput;
  }

  if (list->parsed()) {
    if (rank == 0) {
      for (const auto& s : strategies())
        std::cout << s.name << "\n    " << s.summary << "\n    parameters: " << s.parameters
                  << "\n";
    }
    return kExitOk;
  }

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  (void)run;
  return do_run(a, command_line, comm);
}

}  // namespace ringsim
