#include "output/console.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include "build_info.hpp"

namespace ringsim {
namespace {

std::string fmt(const char* f, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt("%.0f %s", b, units[u]) : fmt("%.1f %s", b, units[u]);
}

double ms(double s) { return s * 1e3; }

}  // namespace

std::vector<ComparisonRow> comparison_rows(const Experiment& e, const RunResult& r) {
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::vector<ComparisonRow> rows;
  for (const auto& spec : e.strategies) {
    std::vector<double> moved, ratio, worst, peak, t;
    std::uint64_t state = 0;
    for (const auto& s : r.strategies) {
      if (s.label != spec.label) continue;
      std::uint64_t mv = 0, opt = 0;
      double w = 0, p = 0, tt = 0;
      for (const auto& ev : s.events) {
        mv += ev.keys_moved;
        opt += ev.keys_min;
        w = std::max(w, ev.disruption());
        p = std::max(p, ev.load_peak_to_mean);
        tt += ev.t_migrate;  // critical paths, one per event
      }
      moved.push_back(double(mv));
      ratio.push_back(opt ? double(mv) / double(opt) : 0.0);
      worst.push_back(w);
      peak.push_back(p);
      t.push_back(tt);
      state = s.events.empty() ? s.state_bytes_initial : s.events.back().state_bytes;
    }
    if (moved.empty()) continue;  // not run (the run was stopped early)
    rows.push_back(
        {spec.label, median(moved), median(ratio), median(worst), median(peak), median(t), state});
  }
  return rows;
}

void print_header(std::ostream& os, const Experiment& e, int ranks) {
  // The values: one size, or the distribution each key's size comes from.
  const ValueSizeSpec& vs = e.keys.value_size;
  std::string values = fmt("8 + %zu bytes", e.keys.value_bytes);
  if (vs.distribution == ValueSizeDistribution::kUniform)
    values = fmt("8 bytes and uniform values of %llu .. %llu B",
                 static_cast<unsigned long long>(vs.min), static_cast<unsigned long long>(vs.max));
  else if (vs.distribution == ValueSizeDistribution::kLognormal)
    values = fmt("8 bytes and lognormal values (mean %.0f B, sigma %.2f, clamped to %llu .. %llu B)",
                 vs.mean, vs.sigma, static_cast<unsigned long long>(vs.min),
                 static_cast<unsigned long long>(vs.max));
  else if (vs.distribution == ValueSizeDistribution::kPareto)
    values = fmt("8 bytes and pareto values (mean %.0f B, alpha %.2f, clamped to %llu .. %llu B)",
                 vs.mean, vs.alpha, static_cast<unsigned long long>(vs.min),
                 static_cast<unsigned long long>(vs.max));
  else if (vs.distribution == ValueSizeDistribution::kTrace)
    values = "8 bytes and the trace's value sizes";
  os << "ringsim " << version() << " | experiment " << e.name << " (" << e.source << ")\n"
     << fmt("%d MPI ranks, %u ring nodes (%u active at start), %llu keys of %s, "
            "%u replica(s), seed %llu, %s keys, verification %s\n",
            ranks, e.nodes, e.initial, static_cast<unsigned long long>(e.keys.count),
            values.c_str(), e.replicas, static_cast<unsigned long long>(e.keys.seed),
            to_string(e.keys.distribution), e.verify ? "on" : "off");
  if (e.keys.distribution == KeyDistribution::kFile && e.keys.trace_stats.requests > 0) {
    const TraceStats& t = e.keys.trace_stats;
    os << fmt("trace: %s format%s, %llu requests", to_string(e.keys.format),
              trace_is_zstd(e.keys.path.empty() ? e.keys.file : e.keys.path, e.keys.compression)
                  ? ", zstd"
                  : "",
              static_cast<unsigned long long>(t.requests));
    if (t.reads + t.other_ops > 0)
      os << fmt(" (%llu get/gets, %llu other operations)", static_cast<unsigned long long>(t.reads),
                static_cast<unsigned long long>(t.other_ops));
    if (t.sized > 0)
      os << fmt(", value sizes mean %.0f B, max %llu B", t.value_bytes_mean(),
                static_cast<unsigned long long>(t.value_bytes_max))
         << (vs.distribution == ValueSizeDistribution::kTrace
                 ? std::string(" (the values' sizes)")
                 : vs.distribution == ValueSizeDistribution::kFixed
                     ? fmt(" (not used: every value is %zu bytes)", e.keys.value_bytes)
                     : std::string(" (not used: keys.value_size gives the sizes)"));
    os << "\n";
  }
  for (const auto& o : e.overrides) os << "override: " << o << "\n";
}

void print_report(std::ostream& os, const Experiment& e, const RunResult& r) {
  // Tables for the first repetition; the comparison takes medians over all.
  for (const auto& s : r.strategies) {
    if (s.repetition != 0) continue;
    os << "\n== " << s.label;
    if (s.label != s.strategy) os << " (" << s.strategy << ")";
    if (!s.params.empty()) os << " " << s.params;
    os << fmt(" | initial placement %.1f ms, lookup %.1f ns\n", ms(s.t_initial), s.lookup_ns);
    os << fmt("%5s  %-30s %9s %10s %8s %10s %10s %9s %8s %8s %8s %8s %9s %10s %8s\n", "event",
              "change", "nodes", "moved", "moved%", "min", "disruption", "peak/mean", "plan_ms",
              "pack_ms", "exch_ms", "apply_ms", "migr_ms", "exch/floor", "MiB_moved");
    for (const auto& ev : s.events) {
      const std::string nodes =
          std::to_string(ev.nodes_before) + "->" + std::to_string(ev.nodes_after);
      os << fmt(
          "%5u  %-30s %9s %10llu %7.2f%% %10llu %10.2f %9.3f %8.2f %8.2f %8.2f %8.2f %9.2f %10.2f "
          "%8.2f\n",
          ev.event, ev.detail.c_str(), nodes.c_str(),
          static_cast<unsigned long long>(ev.keys_moved), 100.0 * ev.moved_fraction(e.replicas),
          static_cast<unsigned long long>(ev.keys_min), ev.disruption(), ev.load_peak_to_mean,
          ms(ev.t_plan), ms(ev.t_pack), ms(ev.t_exchange), ms(ev.t_apply), ms(ev.t_migrate),
          ev.t_exchange_floor_min > 0 ? ev.t_exchange / ev.t_exchange_floor_min : 0.0,
          double(ev.bytes_moved) / (1 << 20));
    }
    // Balance and removal order: per event for a short timeline, as ranges
    // over the events for a long one.
    constexpr std::size_t kListed = 8;
    const bool list = s.events.size() <= kListed;
    std::string balance, few;
    double fewest = HUGE_VAL, pm_lo = HUGE_VAL, pm_hi = 0, rnd_lo = HUGE_VAL, rnd_hi = 0,
           p_lo = HUGE_VAL, p_hi = 0;
    for (const auto& ev : s.events) {
      if (list)
        balance += fmt(" %u: %.3f/%.3f p=%.3g;", ev.event, ev.primary_peak_to_mean,
                       ev.random_peak_to_mean, ev.load_chi2_p);
      pm_lo = std::min(pm_lo, ev.primary_peak_to_mean);
      pm_hi = std::max(pm_hi, ev.primary_peak_to_mean);
      rnd_lo = std::min(rnd_lo, ev.random_peak_to_mean);
      rnd_hi = std::max(rnd_hi, ev.random_peak_to_mean);
      p_lo = std::min(p_lo, ev.load_chi2_p);
      p_hi = std::max(p_hi, ev.load_chi2_p);
      if (ev.balance_few_keys) {
        if (few.size() < 60) few += fmt("%s%u", few.empty() ? "" : ",", ev.event);
        fewest = std::min(fewest, ev.nodes_after ? double(ev.keys_total) / ev.nodes_after : 0.0);
      }
    }
    if (!s.events.empty() && !list)
      balance = fmt(" over %zu events: %.3f-%.3f against %.3f-%.3f, p %.3g-%.3g", s.events.size(),
                    pm_lo, pm_hi, rnd_lo, rnd_hi, p_lo, p_hi);
    if (!s.events.empty())
      os << "balance after each event (primary records; peak/mean against a random "
            "assignment's, chi-square p):"
         << balance << "\n";
    if (!few.empty())
      os << fmt(
          "warning: fewer than 100 keys per active node after event(s) %s%s (%.1f at the "
          "fewest): the balance figures mean little\n",
          few.c_str(), few.size() >= 60 ? ",..." : "", fewest);
    if (s.order_dependence && !s.order_applicable) {
      os << "removal order: not applicable (the strategy removes only its last added node)\n";
    } else if (s.order_applicable && !s.events.empty()) {
      std::string order;
      if (list) {
        for (const auto& ev : s.events)
          order +=
              fmt(" %u: %lld (%.4f%%);", ev.event, static_cast<long long>(ev.order_keys_differ),
                  100.0 * ev.order_fraction_differ);
      } else {
        const auto most = std::max_element(
            s.events.begin(), s.events.end(),
            [](const auto& a, const auto& b) { return a.order_keys_differ < b.order_keys_differ; });
        order = fmt(" after the last event %lld (%.4f%%), at most %lld (%.4f%%, event %u)",
                    static_cast<long long>(s.events.back().order_keys_differ),
                    100.0 * s.events.back().order_fraction_differ,
                    static_cast<long long>(most->order_keys_differ),
                    100.0 * most->order_fraction_differ, most->event);
      }
      os << "removal order (a shadow removes each multi-node leave in reverse), keys whose "
            "owner differs:"
         << order << "\n";
    }
    std::string by_load;
    for (const auto& ev : s.events)
      if (ev.keys_moved_by_load)
        by_load += fmt(" event %u: %llu;", ev.event,
                       static_cast<unsigned long long>(ev.keys_moved_by_load));
    if (!by_load.empty()) os << "keys moved only because loads changed:" << by_load << "\n";
    std::string requests;
    for (const auto& ev : s.events)
      if (ev.request_peak_to_mean > 0) requests += fmt(" %.3f", ev.request_peak_to_mean);
    if (!requests.empty())
      os << "request load peak/mean after each event (zipf):" << requests << "\n";
    std::string processing;
    for (const auto& ev : s.events)
      if (ev.updates || ev.update_reads)
        processing +=
            fmt("\n  after event %u: %llu updates + %llu reads in %.1f ms (%.0f/s), p50 %.1f us, "
                "p99 %.1f us, ops per node peak/mean %.3f (cv %.3f)",
                ev.event, static_cast<unsigned long long>(ev.updates),
                static_cast<unsigned long long>(ev.update_reads), ms(ev.t_process),
                ev.t_process > 0 ? double(ev.updates + ev.update_reads) / ev.t_process : 0.0,
                ev.update_p50_us, ev.update_p99_us, ev.ops_peak_to_mean, ev.ops_cv);
    if (!processing.empty())
      os << "processing with lock '" << e.processing.lock << "', every value checked:" << processing
         << "\n";
    std::string failures;
    for (const auto& ev : s.events)
      if (ev.kind == EventKind::kFail)
        failures += fmt(" event %u: %llu keys lost, %llu replicas re-created (%.2f MiB);", ev.event,
                        static_cast<unsigned long long>(ev.keys_lost),
                        static_cast<unsigned long long>(ev.replicas_created),
                        double(ev.bytes_rereplicated) / (1 << 20));
    if (!failures.empty()) os << "failures:" << failures << "\n";
  }

  if (e.strategies.size() > 1 && !e.timeline.empty() && !r.strategies.empty()) {
    os << "\n== comparison over " << e.timeline.size() << " events";
    if (e.repetitions > 1) os << " (medians over " << e.repetitions << " repetitions)";
    os << "\n";
    os << fmt("%-16s %12s %12s %14s %14s %12s %12s\n", "strategy", "keys_moved", "moved/min",
              "worst_disr", "worst_peak/mean", "migrate_ms", "state");
    for (const auto& row : comparison_rows(e, r))
      os << fmt("%-16s %12.0f %12.2f %14.2f %14.3f %12.2f %12s\n", row.label.c_str(),
                row.keys_moved, row.moved_over_min, row.worst_disruption, row.worst_peak_to_mean,
                ms(row.migrate_seconds), human_bytes(double(row.state_bytes)).c_str());
  }
  std::uint64_t peak = 0;
  for (auto b : r.peak_rss_bytes) peak = std::max(peak, b);
  if (e.timeline.empty() && e.has_locks) {
    // A lock benchmark alone: no placement ran, so there is no event to time or verify; say what
    // the run does instead (its table follows).
    const auto& l = e.locks;
    std::string sizes;
    std::size_t skipped = 0;
    for (int k : l.ranks.empty() ? std::vector<int>{r.ranks} : l.ranks) {
      if (k > r.ranks) {
        ++skipped;
        continue;
      }
      sizes += (sizes.empty() ? "" : ", ") + std::to_string(k);
    }
    const std::string each = l.acquisitions ? fmt("%llu acquisitions per rank",
                                                  static_cast<unsigned long long>(l.acquisitions))
                                            : fmt("%.2f s per run", l.duration);
    os << fmt(
        "\nno placement events (the experiment has only a [locks] table): lock benchmark of %zu "
        "algorithm(s) x %zu workload(s) x %zu read fraction(s) on the %s lock at %s rank(s)",
        l.algorithms.size(), l.workloads.size(), l.reads.size(), l.target.c_str(),
        sizes.empty() ? "no" : sizes.c_str());
    if (skipped) os << fmt(" (%zu rank count(s) above the job's %d skipped)", skipped, r.ranks);
    if (!l.reads_workloads.empty() && l.reads.size() > 1) {
      std::string on;
      for (const auto& w : l.reads_workloads) on += (on.empty() ? "" : ", ") + w;
      os << ", read fractions above 0 on " << on << " only";
    }
    os << ", " << each
       << fmt("; setup %.2f s, peak memory %s on the largest rank\n", r.wall_seconds,
              human_bytes(double(peak)).c_str());
    return;
  }
  os << fmt("\nwall time %.2f s (%.2f s writing results), peak memory %s on the largest rank",
            r.wall_seconds, r.write_seconds, human_bytes(double(peak)).c_str());
  if (r.events_completed == 0)
    os << "; no event ran\n";
  else
    os << (e.verify ? "; verification passed after every event (key count, checksum, placement)\n"
                    : "; verification was off\n");
}

}  // namespace ringsim
