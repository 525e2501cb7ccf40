#include "output/json_sink.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "error.hpp"
#include "output/console.hpp"
#include "output/h5_stream.hpp"
#include "registry.hpp"

namespace ringsim {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// JSON has no NaN or infinity: such a figure is null.
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json event_json(const EventRecord& ev, std::uint32_t replicas) {
  return {
      {"repetition", ev.repetition},
      {"event", ev.event},
      {"kind", to_string(ev.kind)},
      {"detail", ev.detail},
      {"nodes_before", ev.nodes_before},
      {"nodes_after", ev.nodes_after},
      {"keys_total", ev.keys_total},
      {"keys_moved", ev.keys_moved},
      {"moved_fraction", num(ev.moved_fraction(replicas))},
      {"keys_ideal", ev.keys_ideal},
      {"keys_min", ev.keys_min},
      {"disruption", num(ev.disruption())},
      {"keys_moved_by_load", ev.keys_moved_by_load},
      {"keys_lost", ev.keys_lost},
      {"keys_duplicated", ev.keys_duplicated},
      {"replicas_created", ev.replicas_created},
      {"bytes_moved", ev.bytes_moved},
      {"bytes_exchanged", ev.bytes_exchanged},
      {"bytes_rereplicated", ev.bytes_rereplicated},
      {"seconds",
       {{"update", num(ev.t_update)},
        {"plan", num(ev.t_plan)},
        {"counts", num(ev.t_counts)},
        {"pack", num(ev.t_pack)},
        {"exchange", num(ev.t_exchange)},
        {"apply", num(ev.t_apply)},
        {"migrate", num(ev.t_migrate)},
        {"verify", num(ev.t_verify)},
        {"balance", num(ev.t_balance)},
        {"order", num(ev.t_order)},
        {"process", num(ev.t_process)},
        {"process_verify", num(ev.t_process_verify)}}},
      {"imbalance",
       {{"plan", num(ev.imb_plan)},
        {"counts", num(ev.imb_counts)},
        {"pack", num(ev.imb_pack)},
        {"exchange", num(ev.imb_exchange)},
        {"apply", num(ev.imb_apply)}}},
      {"bounds",
       {{"exchange_floor_min", num(ev.t_exchange_floor_min)},
        {"exchange_floor_median", num(ev.t_exchange_floor_median)},
        {"exchange_model", num(ev.t_exchange_model)},
        {"pack", num(ev.t_pack_bound)},
        {"apply", num(ev.t_apply_bound)},
        {"plan", num(ev.t_plan_bound)},
        {"projected", num(ev.t_projected)}}},
      {"exchange_over_floor",
       ev.t_exchange_floor_min > 0 ? num(ev.t_exchange / ev.t_exchange_floor_min) : json(nullptr)},
      {"load_max", ev.load_max},
      {"load_mean", num(ev.load_mean)},
      {"load_peak_to_mean", num(ev.load_peak_to_mean)},
      {"load_cv", num(ev.load_cv)},
      {"request_peak_to_mean", num(ev.request_peak_to_mean)},
      {"request_cv", num(ev.request_cv)},
      {"primary_peak_to_mean", num(ev.primary_peak_to_mean)},
      {"random_peak_to_mean", num(ev.random_peak_to_mean)},
      {"random_peak_to_mean_se", num(ev.random_peak_to_mean_se)},
      {"load_chi2", num(ev.load_chi2)},
      {"load_chi2_dof", ev.load_chi2_dof},
      {"load_chi2_p", num(ev.load_chi2_p)},
      {"balance_few_keys", ev.balance_few_keys},
      {"order_keys_differ", ev.order_keys_differ < 0 ? json(nullptr) : json(ev.order_keys_differ)},
      {"order_fraction_differ", num(ev.order_fraction_differ)},
      {"state_bytes", ev.state_bytes},
      {"processing",
       {{"updates", ev.updates},
        {"reads", ev.update_reads},
        {"missed", ev.updates_missed},
        {"p50_us", num(ev.update_p50_us)},
        {"p99_us", num(ev.update_p99_us)},
        {"max_us", num(ev.update_max_us)},
        {"ops_peak_to_mean", num(ev.ops_peak_to_mean)},
        {"ops_cv", num(ev.ops_cv)}}},
  };
}

json strategy_json(const StrategyResult& s, std::uint32_t replicas) {
  json events = json::array();
  for (const auto& ev : s.events) events.push_back(event_json(ev, replicas));
  return {{"label", s.label},
          {"strategy", s.strategy},
          {"params", s.params},
          {"repetition", s.repetition},
          {"initial_placement_seconds", num(s.t_initial)},
          {"lookup_ns", num(s.lookup_ns)},
          {"state_bytes_initial", s.state_bytes_initial},
          {"order_dependence", s.order_dependence},
          {"order_applicable", s.order_applicable},
          {"events", std::move(events)}};
}

json lock_json(const LockBenchResult& l) {
  return {{"algorithm", l.algorithm},
          {"workload", l.workload},
          {"target", l.target},
          {"ranks", l.ranks},
          {"stripes", l.stripes},
          {"reads", num(l.reads)},
          {"ranks_per_host", l.ranks_per_host},
          {"cohort_handoffs", l.cohort_handoffs},
          {"oversubscribed", l.oversubscribed},
          {"acquisitions", l.acquisitions},
          {"read_acquisitions", l.read_acquisitions},
          {"write_acquisitions", l.write_acquisitions},
          {"seconds", num(l.seconds)},
          {"acquisitions_per_second", num(l.acquisitions_per_second)},
          {"latency_p50_us", num(l.latency_p50_us)},
          {"latency_p90_us", num(l.latency_p90_us)},
          {"latency_p99_us", num(l.latency_p99_us)},
          {"latency_max_us", num(l.latency_max_us)},
          {"fairness", num(l.fairness)},
          {"fairness_cv", num(l.fairness_cv)},
          {"counters_ok", l.counters_ok},
          {"per_rank_acquisitions", l.per_rank_acquisitions},
          {"per_rank_seconds", l.per_rank_seconds}};
}

json context_json(const Experiment& e, const RunContext& ctx, const HostInfo& host,
                  const std::string& result_file) {
  const Provenance& p = ctx.provenance;
  // The hosts in the order of their lowest rank, as /hosts in the HDF5 file.
  std::vector<std::string> names;
  for (const auto& h : ctx.hosts)
    if (std::find(names.begin(), names.end(), h) == names.end()) names.push_back(h);
  json hosts = json::array();
  for (std::size_t i = 0; i < names.size(); ++i) {
    json h = {{"name", names[i]}};
    if (host.ranks_per_host.size() == names.size()) {
      h["ranks"] = host.ranks_per_host[i];
      h["threads"] = host.threads_per_host[i];
    }
    if (p.online_cpus_per_host.size() == names.size()) {
      h["online_cpus"] = p.online_cpus_per_host[i];
      h["mem_total_bytes"] = p.mem_total_per_host[i];
    }
    hosts.push_back(std::move(h));
  }
  json versions = {{"ringsim", p.ringsim_version},
                   {"git_commit", p.git_commit},
                   {"git_dirty", p.git_dirty < 0 ? json(nullptr) : json(p.git_dirty == 1)},
                   {"hdf5_schema", kSchemaVersion}};
  for (const auto& [library, v] : p.libraries) versions[library] = v;
  return {
      {"date", ctx.start_time},
      {"host", ctx.hosts.empty() ? std::string() : ctx.hosts.front()},
      {"ranks", static_cast<int>(ctx.hosts.size())},
      {"host_count", host.hosts},
      {"hosts", std::move(hosts)},
      {"oversubscribed", host.oversubscribed},
      {"cpu_model", host.cpu_model},
      {"os", {{"uname", p.os}, {"pretty_name", p.os_release}}},
      {"build", {{"type", p.build_type}, {"compiler", p.compiler}, {"flags", p.compiler_flags}}},
      {"versions", std::move(versions)},
      {"command_line", ctx.command_line},
      {"launcher", ctx.launcher},
      {"environment", p.environment},
      {"experiment", {{"name", e.name}, {"source", e.source}, {"overrides", e.overrides}}},
      {"result_file", result_file}};
}

// Writes `text` to `path` whole: a temporary file in the same folder, then a
// rename. Throws std::runtime_error (the terminate handler ends the job).
void write_whole(const std::string& path, const std::string& text) {
  const fs::path final_path(path);
  const fs::path tmp = final_path.parent_path() / ("." + final_path.filename().string() + ".tmp." +
                                                   std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write the JSON summary " + tmp.string());
    }
  }
  if (std::rename(tmp.c_str(), final_path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::error_code ec;
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + path + ": " + why);
  }
}

}  // namespace

void check_json_path(const std::string& path, bool force, const std::string& result_path) {
  if (path == "-") return;
  if (path.empty()) throw Error("--json is empty: name a file, or - for stdout");
  const fs::path out(path);
  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("--json: folder " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error("--json: folder " + dir.string() + " is not writable");
  if (fs::is_directory(out, ec)) throw Error("--json: " + path + " is a directory");
  if (fs::weakly_canonical(out, ec) == fs::weakly_canonical(result_path, ec))
    throw Error("--json: " + path + " is the result file itself");
  if (fs::exists(out, ec) && !force)
    throw Error("--json: " + path + " exists; pass --force to overwrite it");
}

JsonSink::JsonSink(std::string path, const Experiment& e, const RunContext& ctx, MPI_Comm comm,
                   std::function<std::string()> result_file)
    : path_(std::move(path)), e_(&e), ctx_(ctx), result_file_(std::move(result_file)) {
  MPI_Comm_rank(comm, &rank_);
}

void JsonSink::begin_run(const RunStart& start) { host_ = start.host; }

void JsonSink::lock_result(const LockBenchResult& l) { locks_.push_back(l); }

void JsonSink::end_run(const RunEnd& end) {
  if (rank_ != 0) return;
  const RunResult& r = *end.result;
  const Experiment& e = *e_;
  json strategies = json::array();
  for (const auto& s : r.strategies) strategies.push_back(strategy_json(s, e.replicas));
  json comparison = json::array();
  for (const auto& row : comparison_rows(e, r))
    comparison.push_back({{"label", row.label},
                          {"keys_moved", num(row.keys_moved)},
                          {"moved_over_min", num(row.moved_over_min)},
                          {"worst_disruption", num(row.worst_disruption)},
                          {"worst_peak_to_mean", num(row.worst_peak_to_mean)},
                          {"migrate_seconds", num(row.migrate_seconds)},
                          {"state_bytes", row.state_bytes}});
  json locks = json::array();
  for (const auto& l : locks_) locks.push_back(lock_json(l));
  std::uint64_t peak = 0;
  for (auto b : r.peak_rss_bytes) peak = std::max(peak, b);
  const char* verification = !e.verify                 ? "off"
                             : r.events_completed == 0 ? "no event ran"
                                                       : "passed";
  json doc = {
      {"format", "ringsim-run"},
      {"format_version", kJsonFormatVersion},
      {"partial", r.partial},
      {"context", context_json(e, ctx_, host_, result_file_ ? result_file_() : std::string())},
      {"run",
       {{"nodes", e.nodes},
        {"initial_nodes", e.initial},
        {"replicas", e.replicas},
        {"keys", e.keys.count},
        {"value_bytes", e.keys.variable_values() ? std::size_t{0} : e.keys.value_bytes},
        {"value_size_distribution", to_string(e.keys.value_size.distribution)},
        {"key_distribution", to_string(e.keys.distribution)},
        {"seed", e.keys.seed},
        {"repetitions", e.repetitions},
        {"events_in_timeline", e.timeline.size()},
        {"events_completed", r.events_completed},
        {"events_resumed", r.events_resumed},
        {"verification", verification},
        {"wall_seconds", num(r.wall_seconds)},
        {"write_seconds", num(r.write_seconds)},
        {"peak_rss_bytes", peak}}},
      {"strategies", std::move(strategies)},
      {"comparison", std::move(comparison)},
      {"locks", std::move(locks)},
  };
  const std::string text = doc.dump(2) + "\n";
  if (path_ == "-") {
    std::cout << text << std::flush;
    return;
  }
  write_whole(path_, text);
}

std::vector<ParameterInfo> parse_parameters(std::string_view description) {
  std::vector<ParameterInfo> out;
  if (description == "(none)" || description.empty()) return out;
  // Items "name=default (meaning)" separated by ", " outside parentheses.
  std::vector<std::string> items;
  std::string item;
  int depth = 0;
  for (std::size_t i = 0; i < description.size(); ++i) {
    const char c = description[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      items.push_back(item);
      item.clear();
      while (i + 1 < description.size() && description[i + 1] == ' ') ++i;
      continue;
    }
    item += c;
  }
  items.push_back(item);
  static const std::regex form(R"(^([a-z_][a-z0-9_]*)=([^ ]+)(?: \((.*)\))?$)");
  static const std::regex integer(R"(^-?[0-9]+$)");
  static const std::regex number(R"(^-?[0-9]*\.[0-9]+([eE][-+]?[0-9]+)?$)");
  for (const auto& it : items) {
    std::smatch m;
    if (!std::regex_match(it, m, form))
      throw Error("strategy parameter description '" + it + "' is not name=default (meaning)");
    ParameterInfo p;
    p.name = m[1];
    p.default_value = m[2];
    p.meaning = m[3];
    p.type = std::regex_match(p.default_value, integer)  ? "integer"
             : std::regex_match(p.default_value, number) ? "number"
                                                         : "string";
    out.push_back(std::move(p));
  }
  return out;
}

std::string list_json() {
  json list = json::array();
  for (const auto& s : strategies()) {
    json params = json::array();
    for (const auto& p : parse_parameters(s.parameters)) {
      json def = p.type == "integer"  ? json(std::stoll(p.default_value))
                 : p.type == "number" ? json(std::stod(p.default_value))
                                      : json(p.default_value);
      params.push_back(
          {{"name", p.name}, {"type", p.type}, {"default", def}, {"meaning", p.meaning}});
    }
    list.push_back({{"name", std::string(s.name)},
                    {"summary", std::string(s.summary)},
                    {"parameters_text", std::string(s.parameters)},
                    {"parameters", std::move(params)}});
  }
  json doc = {{"format", "ringsim-list"},
              {"format_version", kJsonFormatVersion},
              {"strategies", std::move(list)}};
  return doc.dump(2) + "\n";
}

}  // namespace ringsim
