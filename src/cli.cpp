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
#include "engine/host_info.hpp"
#include "engine/key_trace.hpp"
#include "engine/provenance.hpp"
#include "engine/stop_token.hpp"
#include "error.hpp"
#include "experiment.hpp"
#include "experiment_path.hpp"
#include "keys.hpp"
#include "lock_suite.hpp"
#include "memory_estimate.hpp"
#include "output/console.hpp"
#include "output/h5_stream.hpp"
#include "output/json_sink.hpp"
#include "output/tee_sink.hpp"
#include "registry.hpp"
#include "runner.hpp"

namespace ringsim {
namespace fs = std::filesystem;
namespace {

struct RunArgs {
  std::string experiment;  // empty: the embedded default
  std::string out;
  bool force = false;
  bool no_verify = false;
  bool quiet = false;
  std::vector<std::string> sets;
  std::string fault = "none";
  std::string resume;  // a partial result file to continue
  bool dry_run = false;
  int ranks = 0;  // --dry-run: validate for this many ranks (0: the job's)
  bool force_memory = false;
  bool no_warmup = false;
  std::string json;  // --json FILE, or "-" for stdout
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
  if (out.extension() != ".h5") throw Error("output file " + out.string() + " must end in .h5");
  if (complete_name(out.string()) != out.string())
    throw Error("output file " + out.string() +
                " ends in .partial.h5, the name ringsim gives a run in progress; to continue a "
                "stopped run use --resume " +
                out.string());
  if (fs::exists(out, ec) && !a.force)
    throw Error("output file " + out.string() + " exists; pass --force to overwrite it");
  return out.string();
}

// What launched the ranks, for the provenance: the parent's command line when
// it is mpirun/mpiexec, else Slurm's step, else nothing known.
std::string launcher_line() {
  std::ifstream in("/proc/" + std::to_string(::getppid()) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string line;
  for (char c : raw) line += c == '\0' ? ' ' : c;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  const std::string exe = line.substr(0, line.find(' '));
  const std::string base = fs::path(exe).filename().string();
  if (base == "mpirun" || base == "mpiexec" || base == "orterun" || base == "prterun") return line;
  if (const char* job = std::getenv("SLURM_JOB_ID")) {
    const char* n = std::getenv("SLURM_NTASKS");
    return std::string("srun (SLURM_JOB_ID=") + job + ", SLURM_NTASKS=" + (n ? n : "?") + ")";
  }
  return line.empty() ? "" : "unknown (parent: " + line + ")";
}

// Collective: every rank's verdict; the first failing rank's message, or "".
std::string first_problem(const std::string& mine, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  int first = mine.empty() ? ranks : rank, who = ranks;
  MPI_Allreduce(&first, &who, 1, MPI_INT, MPI_MIN, comm);
  if (who == ranks) return "";
  std::string msg = rank == who ? mine : std::string();
  boost::mpi::communicator world(comm, boost::mpi::comm_attach);
  boost::mpi::broadcast(world, msg, who);
  return who == 0 ? msg : "rank " + std::to_string(who) + ": " + msg;
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

Fault parse_fault(const std::string& f) {
  if (f == "drop-key") return Fault::kDropKey;
  if (f == "corrupt-value") return Fault::kCorruptValue;
  if (f == "misplace-key") return Fault::kMisplaceKey;
  if (f == "lost-update") return Fault::kLostUpdate;
  if (f == "lock-timeout") return Fault::kLockTimeout;
  if (f == "slow-event") return Fault::kSlowEvent;
  return Fault::kNone;
}

void print_error(int rank, const std::string& msg) {
  if (rank == 0) std::cerr << "ringsim: error: " << msg << std::endl;
}

int do_run(RunArgs a, const std::string& command_line, MPI_Comm comm) {
  boost::mpi::communicator world(comm, boost::mpi::comm_attach);
  const int rank = world.rank();
  // With --json -, stdout carries the JSON alone: the human output goes to stderr.
  std::ostream& human = a.json == "-" ? std::cerr : std::cout;

  // --resume FILE.partial.h5: the experiment text and overrides come from the
  // file; the output is the file's complete name.
  ResumeInfo resume;
  const bool resuming = !a.resume.empty();
  if (resuming) {
    if (!a.experiment.empty() || !a.sets.empty() || !a.out.empty())
      return print_error(rank,
                         "--resume takes the experiment, --set and --out from the file; "
                         "give none of them"),
             kExitBadInput;
    if (complete_name(a.resume) == a.resume)
      return print_error(rank,
                         "--resume needs a partial result (NAME.partial.h5), not " + a.resume),
             kExitBadInput;
    std::error_code ec;
    if (!fs::exists(a.resume, ec))
      return print_error(rank, "--resume: " + a.resume + " does not exist"), kExitBadInput;
    try {
      resume = read_resume_info(a.resume, comm);
    } catch (const Error& err) {
      return print_error(rank, err.what()), kExitBadInput;
    }
    if (resume.git_commit != git_commit())
      return print_error(rank, "--resume: " + a.resume + " was written by ringsim " +
                                   resume.git_commit + ", this is " + std::string(git_commit()) +
                                   ": its rows and this build's cannot be mixed in one file"),
             kExitBadInput;
    if (resume.ranks != world.size())
      return print_error(rank, "--resume: " + a.resume + " was written by " +
                                   std::to_string(resume.ranks) + " ranks; run it with " +
                                   std::to_string(resume.ranks) + ", not " +
                                   std::to_string(world.size())),
             kExitBadInput;
  }

  // Validation: rank 0 reads the inputs and checks the output path; the text
  // is broadcast, every rank parses and validates the same text, and what
  // only a rank can know (can it read the key trace, does the host have the
  // memory) is reduced, so every rank reaches the same verdict.
  Experiment e;
  std::string out_path;
  {
    std::string text, error;
    std::vector<std::string> sets = a.sets;
    if (resuming) {
      text = resume.experiment_text;
      sets.clear();
      std::istringstream os(resume.overrides);
      for (std::string line; std::getline(os, line);)
        if (!line.empty()) sets.push_back(line);
    } else if (rank == 0) {
      try {
        // A bare name is looked up in the experiment folders (experiment_path.hpp).
        if (!a.experiment.empty()) a.experiment = find_experiment(a.experiment).string();
        text =
            a.experiment.empty() ? std::string(default_experiment_text()) : read_file(a.experiment);
      } catch (const Error& err) {
        error = err.what();
      }
    }
    boost::mpi::broadcast(world, error, 0);
    if (!error.empty()) return print_error(rank, error), kExitBadInput;
    boost::mpi::broadcast(world, text, 0);
    boost::mpi::broadcast(world, a.experiment, 0);
    const int ranks_for = a.dry_run && a.ranks > 0 ? a.ranks : world.size();
    // Each rank parses and validates; the verdicts are reduced, so a rank
    // that alone cannot read an input does not leave the others waiting in a
    // collective. The key trace is read by all ranks together (each a byte
    // range; each keeps its share of the keys), once every rank has parsed
    // the text, and its problems are the same on every rank.
    std::string verdict;
    try {
      const std::string source = resuming               ? a.resume
                                 : a.experiment.empty() ? "<built-in default.toml>"
                                                        : a.experiment;
      e = parse_experiment(text, source, sets);
      if (e.name.empty())
        e.name = a.experiment.empty() ? "default" : fs::path(a.experiment).stem().string();
      if (a.no_verify) e.verify = false;
    } catch (const Error& err) {
      verdict = err.what();
    }
    verdict = first_problem(verdict, comm);
    if (!verdict.empty()) return print_error(rank, verdict), kExitBadInput;
    try {
      load_key_trace(e.keys, e.keys_count_given, e.source, comm);
      validate_experiment(e, ranks_for);
    } catch (const Error& err) {
      verdict = err.what();
    }
    if (verdict.empty() && (a.fault == "lost-update" || a.fault == "lock-timeout") &&
        (!e.processing.enabled() || (a.fault == "lock-timeout" && e.processing.lock == "none")))
      verdict = "--inject-fault " + a.fault +
                " needs a processing stage with a lock ([processing] updates > 0 or keys = "
                "\"trace\", lock "
                "not none)";
    verdict = first_problem(verdict, comm);
    if (!verdict.empty()) return print_error(rank, verdict), kExitBadInput;
    if (a.dry_run) {
      if (rank == 0)
        human << "ringsim: ok: " << e.source << ": " << e.strategies.size() << " strateg"
              << (e.strategies.size() == 1 ? "y" : "ies") << " x " << e.timeline.size()
              << " events x " << e.repetitions << " repetition(s), " << e.nodes << " nodes, "
              << e.keys.count << " keys, on " << ranks_for << " ranks" << std::endl;
      return kExitOk;
    }
    // (Whether every rank can read the key trace was checked as it was read.)
    if (!a.force_memory) {
      const HostInfo host = host_info(comm);
      const std::string problem = first_problem(
          check_memory(e, world.size(), host.ranks_on_my_host, host_memory_bytes()).value_or(""),
          comm);
      if (!problem.empty()) return print_error(rank, problem), kExitBadInput;
    }
    if (rank == 0) {
      try {
        if (resuming) {
          out_path = complete_name(a.resume);
          std::error_code ec;
          if (fs::exists(out_path, ec))
            throw Error("--resume: the complete result " + out_path + " exists already");
        } else {
          out_path = check_output(a, e.name);
        }
        if (!a.json.empty()) check_json_path(a.json, a.force, out_path);
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
  ctx.mpi_version = mpi_library_line();
  ctx.provenance = gather_provenance(comm);
  ctx.launcher = rank == 0 ? launcher_line() : "";
  boost::mpi::broadcast(world, ctx.launcher, 0);

  // The run. SIGTERM and SIGINT (a Slurm time limit, a kill, a Ctrl-C) ask
  // for a stop at the next safe point; every finished event is already in
  // the file, which keeps its partial name.
  const volatile std::sig_atomic_t* stop_flag = install_stop_handlers(rank);
  H5Stream stream(out_path, e, ctx, comm, resuming);
  std::unique_ptr<JsonSink> json;
  if (!a.json.empty())
    json = std::make_unique<JsonSink>(a.json, e, ctx, comm, [&stream] { return stream.path(); });
  TeeSink sink{&stream, json.get()};
  if (rank == 0) {
    print_header(human, e, world.size());
    human << "results: streaming to " << stream.path() << std::endl;
  }
  RunResult result;
  std::vector<LockBenchResult> locks;
  try {
    RunOptions opt;
    opt.fault = parse_fault(a.fault);
    opt.progress = !a.quiet;
    opt.stop_flag = stop_flag;
    opt.warmup = !a.no_warmup;
    opt.skip = resume.complete;
    result = run_experiment(e, opt, comm, sink);
    if (rank == 0 && result.events_resumed)
      human << "resumed: " << result.events_resumed << " event(s) kept from " << a.resume
            << std::endl;
    StopToken stop(comm, stop_flag);
    if (e.has_locks && !result.partial) {
      std::vector<int> skipped;
      locks = run_lock_suite(e, comm, &skipped, &stop,
                             [&](const LockBenchResult& l) { sink.lock_result(l); });
      result.partial = stop.stopped();
      if (rank == 0)
        for (int k : skipped)
          std::cerr << "ringsim: note: locks.ranks " << k << " skipped: the job has only "
                    << world.size() << " ranks" << std::endl;
    }
  } catch (const VerificationError& err) {
    // Raised on every rank at once: the file's figures cannot be trusted.
    stream.discard();
    print_error(rank, err.what());
    if (rank == 0) std::cerr << "ringsim: no result file written" << std::endl;
    return kExitVerification;
  }

  const double t_close = MPI_Wtime();
  sink.end_run({&result});
  const double close_seconds = MPI_Wtime() - t_close;
  if (rank == 0) {
    print_report(human, e, result);
    if (!locks.empty()) {
      human << "\n== locks (" << e.locks.target << " lock, "
            << (e.locks.acquisitions
                    ? std::to_string(e.locks.acquisitions) + " acquisitions per rank"
                    : std::to_string(e.locks.duration) + " s per run")
            << "; reads: fraction in shared mode; fairness of the per-rank acquisition rates: "
               "max/min and CV = stddev/mean)\n";
      print_lock_table(human, locks);
    }
    human << "results: " << stream.path() << " (closed in " << std::fixed << std::setprecision(2)
          << close_seconds << " s)" << std::endl;
  }
  if (result.partial) {
    const std::string lock_rows =
        e.has_locks ? " and " + std::to_string(locks.size()) + " lock configuration(s)" : "";
    print_error(rank, std::string("stopped by ") + stop_signal_name() + " after " +
                          std::to_string(result.events_completed) + " completed event(s)" +
                          lock_rows + "; partial results in " + stream.path() +
                          " (continue it with: ringsim run --resume " + stream.path() + ")");
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
  const std::string version_text = std::string(version()) + " (" + std::string(git_commit()) +
                                   (git_dirty() == 1 ? ", dirty" : "") + ")";
  app.set_version_flag("--version", version_text);
  app.require_subcommand(1);

  RunArgs a;
  auto* run = app.add_subcommand(
      "run", "Run an experiment under mpirun or srun and write an HDF5 result file");
  run->add_option("experiment", a.experiment,
                  "Experiment file (TOML), or the name of one (scale-out or scale-out.toml) in "
                  "$RINGSIM_EXPERIMENT_PATH (colon-separated), the installed "
                  "share/ringsim/experiments, or the source tree's experiments/ (a build-tree "
                  "binary); without it, the built-in experiments/default.toml");
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
  run->add_option("--resume", a.resume,
                  "Continue a stopped run from its NAME.partial.h5: the strategies and repetitions "
                  "it completed are kept, the one in progress is run again");
  run->add_flag(
      "--dry-run", a.dry_run,
      "Parse and validate the experiment (for --ranks ranks) and exit: 0 if it would run");
  run->add_option("--ranks", a.ranks, "With --dry-run: validate for this many ranks")
      ->check(CLI::Range(1, 1 << 30));
  run->add_flag("--force-memory", a.force_memory,
                "Run even if the memory estimate says the hosts are too small");
  run->add_flag("--no-warmup", a.no_warmup,
                "Skip the untimed warm-up (the first strategy through the first event)");
  run->add_option(
         "--inject-fault", a.fault,
         "For tests: damage the shard after the first event so that verification must fail")
      ->check(CLI::IsMember({"none", "drop-key", "corrupt-value", "misplace-key", "lost-update",
                             "lock-timeout", "slow-event"}));

  run->add_option("--json", a.json,
                  "Also write a JSON summary (context, per-strategy and per-event figures) to "
                  "FILE; - writes it to stdout and the human output to stderr")
      ->type_name("FILE")
      ->envname("RINGSIM_JSON");

  bool list_as_json = false;
  auto* list = app.add_subcommand("list", "List the placement strategies and their parameters");
  list->add_flag("--json", list_as_json,
                 "The list as JSON (name, summary, parameters with type, default and meaning)");
  // The same --version on every subcommand as on ringsim itself.
  for (auto* sub : app.get_subcommands({})) sub->set_version_flag("--version", version_text);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    // Help and version: CLI11's text, exit 0. Errors: one line, exit 2, on
    // every rank.
    if (err.get_exit_code() == 0) return rank == 0 ? app.exit(err) : 0;
    if (rank == 0)
      std::cerr << "ringsim: error: " << err.what() << " (ringsim --help lists the commands)"
                << std::endl;
    return kExitBadInput;
  }
  if (auto* o = run->get_option("--out"); o->count() > 0 && a.out.empty()) {
    if (rank == 0) std::cerr << "ringsim: error: --out is empty: name a result file" << std::endl;
    return kExitBadInput;
  }
  if (auto* o = run->get_option("--json"); o->count() > 0 && a.json.empty()) {
    if (rank == 0)
      std::cerr << "ringsim: error: --json is empty: name a file, or - for stdout" << std::endl;
    return kExitBadInput;
  }

  if (list->parsed()) {
    if (rank == 0 && list_as_json) {
      std::cout << list_json() << std::flush;
    } else if (rank == 0) {
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
