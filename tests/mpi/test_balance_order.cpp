// Balance statistics and removal-order dependence end to end: ringsim's
// main job on the bundled order-dependence experiment (fewer keys), the
// figures in the result file, and the same figures on 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "experiment.hpp"
#include "mpi_test_util.hpp"
#include "output/console.hpp"
#include "output/h5_stream.hpp"
#include "output/memory_sink.hpp"
#include "runner.hpp"

namespace ringsim {
namespace {

using test::world_rank;
using test::world_size;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int size_of(MPI_Comm c) {
  int n = 1;
  MPI_Comm_size(c, &n);
  return n;
}

Experiment order_experiment(int ranks, std::vector<std::string> overrides = {}) {
  const std::string path = std::string(RINGSIM_SOURCE_DIR) + "/experiments/order-dependence.toml";
  overrides.insert(overrides.begin(), "keys.count=20000");
  Experiment e = parse_experiment(read_text(path), path, overrides);
  e.name = "order-dependence";
  validate_experiment(e, ranks);
  return e;
}

std::vector<CollectedStrategy> run_on(const Experiment& e, MPI_Comm comm) {
  RunOptions opt;
  opt.warmup = false;
  MemorySink sink;
  run_experiment(e, opt, comm, sink);
  return std::move(sink.strategies);
}

// The per-event figures that must not depend on the rank count.
struct Figures {
  std::vector<std::int64_t> differ;
  std::vector<double> random, random_se, chi2, p;
  bool operator==(const Figures&) const = default;
};
std::map<std::string, Figures> figures(const std::vector<CollectedStrategy>& s) {
  std::map<std::string, Figures> out;
  for (const auto& c : s)
    for (const auto& ev : c.events) {
      Figures& f = out[c.label];
      f.differ.push_back(ev.order_keys_differ);
      f.random.push_back(ev.random_peak_to_mean);
      f.random_se.push_back(ev.random_peak_to_mean_se);
      f.chi2.push_back(ev.load_chi2);
      f.p.push_back(ev.load_chi2_p);
    }
  return out;
}

TEST(OrderDependence, OrderFreeStrategiesGiveZeroAndAnchorAndMementoDo) {
  const Experiment e = order_experiment(world_size());
  const auto s = run_on(e, MPI_COMM_WORLD);
  ASSERT_EQ(s.size(), e.strategies.size());
  std::map<std::string, const CollectedStrategy*> by;
  for (const auto& c : s) by[c.label] = &c;
  for (const char* label :
       {"modulo", "ring", "rendezvous", "multiprobe", "maglev", "bounded", "dx"}) {
    ASSERT_TRUE(by.count(label)) << label;
    EXPECT_TRUE(by[label]->order_applicable) << label;
    for (const auto& ev : by[label]->events) {
      EXPECT_EQ(ev.order_keys_differ, 0) << label << " event " << ev.event;
      EXPECT_EQ(ev.order_fraction_differ, 0.0) << label;
    }
  }
  // Anchor and memento keep a stack of removed buckets: the order of a
  // batch decides which bucket is reused, so the owners differ from the
  // first multi-node leave on; jump with removal = swap too (each swap
  // moves the last bucket's node).
  for (const char* label : {"anchor", "memento", "jump-swap"}) {
    ASSERT_TRUE(by.count(label)) << label;
    const auto& evs = by[label]->events;
    EXPECT_GT(evs.front().order_keys_differ, 0) << label;
    for (const auto& ev : evs) {
      EXPECT_GE(ev.order_keys_differ, 0) << label;
      EXPECT_DOUBLE_EQ(ev.order_fraction_differ, static_cast<double>(ev.order_keys_differ) /
                                                     static_cast<double>(ev.keys_total))
          << label;
    }
  }
}

TEST(OrderDependence, TheSameCountsAndBalanceFiguresOnOneTwoAndFourRanks) {
  const int n = world_size();
  const auto whole = figures(run_on(order_experiment(n), MPI_COMM_WORLD));
  // Every smaller power of two, as sub-communicators of this job running the
  // same experiment side by side.
  for (int part = n / 2; part >= 1; part /= 2) {
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank() / part, world_rank(), &sub);
    const auto f = figures(run_on(order_experiment(size_of(sub)), sub));
    for (const auto& [label, fig] : whole) {
      ASSERT_TRUE(f.count(label)) << label;
      EXPECT_EQ(f.at(label).differ, fig.differ)
          << label << " on " << part << " vs " << n << " ranks";
      EXPECT_EQ(f.at(label).random, fig.random) << label;
      EXPECT_EQ(f.at(label).random_se, fig.random_se) << label;
      EXPECT_EQ(f.at(label).chi2.size(), fig.chi2.size()) << label;
      for (std::size_t i = 0; i < fig.chi2.size(); ++i) {
        EXPECT_NEAR(f.at(label).chi2[i], fig.chi2[i], 1e-9 * fig.chi2[i]) << label;
        EXPECT_NEAR(f.at(label).p[i], fig.p[i], 1e-9) << label;
      }
    }
    MPI_Comm_free(&sub);
  }
  // Measured on this experiment: anchor's owners differ after the first leave.
  EXPECT_GT(whole.at("anchor").differ.front(), 0);
}

// Reads one column of an events table (the group `table`) as `mem` (serial
// HDF5).
template <typename T>
std::vector<T> read_field(hid_t f, const std::string& table, const char* field, hid_t mem) {
  hid_t d = H5Dopen2(f, (table + "/" + field).c_str(), H5P_DEFAULT);
  if (d < 0) return {};
  hid_t sp = H5Dget_space(d);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp));
  std::vector<T> v(n);
  if (n) H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Sclose(sp);
  H5Dclose(d);
  return v;
}

std::string read_group_string(hid_t f, const std::string& group, const char* name) {
  hid_t a = H5Aopen_by_name(f, group.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return "";
  // String attributes are variable-length UTF-8.
  hid_t t = H5Aget_type(a);
  char* text = nullptr;
  std::string s;
  if (H5Tis_variable_str(t) > 0 && H5Aread(a, t, &text) >= 0 && text) s = text;
  H5free_memory(text);
  H5Tclose(t);
  H5Aclose(a);
  return s;
}

RunContext context() {
  RunContext ctx;
  ctx.command_line = "test";
  ctx.start_time = "2026-01-01T00:00:00Z";
  ctx.hosts.assign(static_cast<std::size_t>(world_size()), "localhost");
  ctx.mpi_version = "mpi";
  return ctx;
}

// Writes the run to a result file, returns its path (complete).
std::string write_file(const Experiment& e, const std::string& name, RunResult* out = nullptr) {
  const std::string path = name + "_np" + std::to_string(world_size()) + ".h5";
  H5Stream stream(path, e, context(), MPI_COMM_WORLD);
  RunOptions opt;
  opt.warmup = false;
  RunResult r = run_experiment(e, opt, MPI_COMM_WORLD, stream);
  stream.end_run({&r});
  if (out) *out = r;
  return path;
}

TEST(BalanceColumns, InTheFileAndConsistent) {
  RunResult r;
  const Experiment e = order_experiment(world_size());
  const std::string path = write_file(e, "balance_order", &r);
  if (world_rank() != 0) return;
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  std::int32_t version = 0, order = 0;
  hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_INT32, &version);
  H5Aclose(a);
  a = H5Aopen(f, "order_dependence", H5P_DEFAULT);
  ASSERT_GE(a, 0);
  H5Aread(a, H5T_NATIVE_INT32, &order);
  H5Aclose(a);
  EXPECT_EQ(version, kSchemaVersion);
  EXPECT_EQ(order, 1);
  for (const auto& s : r.strategies) {
    const std::string g = "/strategies/" + s.label, ev = g + "/events";
    EXPECT_EQ(read_group_string(f, g, "order_dependence"), "on") << s.label;
    const auto random = read_field<double>(f, ev, "random_peak_to_mean", H5T_NATIVE_DOUBLE);
    const auto se = read_field<double>(f, ev, "random_peak_to_mean_se", H5T_NATIVE_DOUBLE);
    const auto p = read_field<double>(f, ev, "load_chi2_p", H5T_NATIVE_DOUBLE);
    const auto chi2 = read_field<double>(f, ev, "load_chi2", H5T_NATIVE_DOUBLE);
    const auto dof = read_field<std::uint32_t>(f, ev, "load_chi2_dof", H5T_NATIVE_UINT32);
    const auto few = read_field<std::uint8_t>(f, ev, "balance_few_keys", H5T_NATIVE_UINT8);
    const auto differ = read_field<std::int64_t>(f, ev, "order_keys_differ", H5T_NATIVE_INT64);
    const auto frac = read_field<double>(f, ev, "order_fraction_differ", H5T_NATIVE_DOUBLE);
    ASSERT_EQ(random.size(), e.timeline.size()) << s.label;
    ASSERT_EQ(differ.size(), e.timeline.size()) << s.label;
    for (std::size_t i = 0; i < random.size(); ++i) {
      const EventRecord& rec = s.events[i];
      EXPECT_GE(random[i], 1.0) << s.label;
      EXPECT_GT(se[i], 0.0) << s.label;
      EXPECT_LT(se[i], 0.05 * (random[i] - 1) + 1e-3) << s.label;
      EXPECT_GE(p[i], 0.0) << s.label;
      EXPECT_LE(p[i], 1.0) << s.label;
      EXPECT_GE(chi2[i], 0.0) << s.label;
      EXPECT_EQ(dof[i], rec.nodes_after - 1) << s.label;
      // 20,000 keys on 84 to 90 nodes: about 230 a node, not few.
      EXPECT_EQ(few[i], 0) << s.label;
      EXPECT_EQ(differ[i], rec.order_keys_differ) << s.label;
      EXPECT_EQ(frac[i], rec.order_fraction_differ) << s.label;
    }
  }
  H5Fclose(f);
}

TEST(BalanceColumns, RandomFigureIsTheSameForEveryStrategyAtOneSize) {
  const Experiment e = order_experiment(world_size(), {"run.order_dependence=false"});
  const auto s = run_on(e, MPI_COMM_WORLD);
  std::map<std::pair<std::uint64_t, std::uint32_t>, double> seen;
  for (const auto& c : s) {
    EXPECT_FALSE(c.order_applicable);
    for (const auto& ev : c.events) {
      // Off: -1 and NaN, no cost.
      EXPECT_EQ(ev.order_keys_differ, -1);
      EXPECT_TRUE(std::isnan(ev.order_fraction_differ));
      EXPECT_EQ(ev.t_order, 0.0);
      const auto key = std::make_pair(ev.keys_total, ev.nodes_after);
      auto [it, fresh] = seen.emplace(key, ev.random_peak_to_mean);
      if (!fresh) {
        EXPECT_EQ(it->second, ev.random_peak_to_mean) << c.label;
      }
    }
  }
}

TEST(BalanceColumns, ReplicasUsePrimaryCountsAndFewKeysAreFlaggedOncePerStrategy) {
  // 500 keys on 20 to 24 nodes: fewer than 100 a node; two replicas.
  Experiment e = parse_experiment(R"(
[keys]
count = 500
[cluster]
nodes = 24
initial = 20
replicas = 2
[run]
order_dependence = true
[[strategies]]
name = "ring"
[[strategies]]
name = "jump"
[[events]]
kind = "add"
count = 4
[[events]]
kind = "remove"
nodes = [23, 22]
)",
                                  "few.toml");
  e.name = "few";
  validate_experiment(e, world_size());
  RunOptions opt;
  opt.warmup = false;
  const RunResult r = run_experiment(e, opt, MPI_COMM_WORLD);
  ASSERT_EQ(r.strategies.size(), 2u);
  for (const auto& s : r.strategies)
    for (const auto& ev : s.events) {
      EXPECT_TRUE(ev.balance_few_keys);
      EXPECT_GE(ev.primary_peak_to_mean, 1.0);
      EXPECT_GE(ev.random_peak_to_mean, 1.0);
      EXPECT_EQ(ev.load_chi2_dof, ev.nodes_after - 1);
    }
  // jump removes only its last added node: a reversed batch is illegal, so
  // the metric does not apply (and the LIFO leave of 23, 22 is legal).
  EXPECT_TRUE(r.strategies[0].order_applicable);
  EXPECT_FALSE(r.strategies[1].order_applicable);
  EXPECT_EQ(r.strategies[1].events.back().order_keys_differ, -1);
  if (world_rank() != 0) return;
  std::ostringstream os;
  print_report(os, e, r);
  const std::string text = os.str();
  std::size_t warnings = 0;
  for (std::size_t at = text.find("warning: fewer than 100 keys per active node");
       at != std::string::npos; at = text.find("warning: fewer than 100 keys", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 2u) << text;  // once per strategy
  EXPECT_NE(text.find("removal order: not applicable"), std::string::npos) << text;
}

}  // namespace
}  // namespace ringsim
