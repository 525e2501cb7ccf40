#include "h5_output.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "build_info.hpp"

namespace ringsim {
namespace {

// A failed HDF5 call names the call and its place; HDF5's own stack is
// printed by its default handler on the failing rank.
#define H5_CHECK(expr)                                                            \
  ([&]() {                                                                        \
    auto h5_check_result = (expr);                                                \
    if (h5_check_result < 0)                                                      \
      throw std::runtime_error(std::string("HDF5 call failed at " __FILE__ ":") + \
                               std::to_string(__LINE__) + ": " #expr);            \
    return h5_check_result;                                                       \
  }())

// Owns an hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {
    if (id_ < 0) throw std::runtime_error("HDF5 returned an invalid handle");
  }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

Handle string_type(std::size_t size) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5_CHECK(H5Tset_size(t, std::max<std::size_t>(size, 1)));
  H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
  H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
  return t;
}

void attr_string(hid_t obj, const char* name, const std::string& value) {
  Handle type = string_type(value.size() + 1);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5_CHECK(H5Awrite(a, type, value.c_str()));
}

void attr_strings(hid_t obj, const char* name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  std::vector<char> buf(width * std::max<std::size_t>(values.size(), 1), '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(&buf[i * width], values[i].data(), values[i].size());
  Handle type = string_type(width);
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5_CHECK(H5Awrite(a, type, buf.data()));
}

template <typename T>
void attr_scalar(hid_t obj, const char* name, hid_t type, T value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5_CHECK(H5Awrite(a, type, &value));
}

// In-memory row of the `events` compound dataset.
struct EventRow {
  std::uint32_t repetition;
  std::uint32_t event;
  char kind[8];
  char detail[48];
  std::uint32_t nodes_before, nodes_after;
  std::uint64_t keys_total, keys_moved, keys_optimal, keys_moved_by_load, keys_lost,
      keys_duplicated, replicas_created, bytes_moved, bytes_rereplicated;
  double t_update, t_plan, t_pack, t_exchange, t_apply, t_verify, t_lower_bound;
  std::uint64_t load_max;
  double load_mean, load_peak_to_mean, load_cv, request_peak_to_mean, request_cv;
  std::uint64_t state_bytes;
  std::uint64_t updates, update_reads, updates_missed;
  double t_process, update_p50_us, update_p99_us;
};

Handle event_type() {
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(EventRow)), H5Tclose);
  Handle kind = string_type(sizeof(EventRow::kind));
  Handle detail = string_type(sizeof(EventRow::detail));
#define FIELD(name, type) H5_CHECK(H5Tinsert(t, #name, HOFFSET(EventRow, name), type))
  FIELD(repetition, H5T_NATIVE_UINT32);
  FIELD(event, H5T_NATIVE_UINT32);
  FIELD(kind, kind);
  FIELD(detail, detail);
  FIELD(nodes_before, H5T_NATIVE_UINT32);
  FIELD(nodes_after, H5T_NATIVE_UINT32);
  FIELD(keys_total, H5T_NATIVE_UINT64);
  FIELD(keys_moved, H5T_NATIVE_UINT64);
  FIELD(keys_optimal, H5T_NATIVE_UINT64);
  FIELD(keys_moved_by_load, H5T_NATIVE_UINT64);
  FIELD(keys_lost, H5T_NATIVE_UINT64);
  FIELD(keys_duplicated, H5T_NATIVE_UINT64);
  FIELD(replicas_created, H5T_NATIVE_UINT64);
  FIELD(bytes_moved, H5T_NATIVE_UINT64);
  FIELD(bytes_rereplicated, H5T_NATIVE_UINT64);
  FIELD(t_update, H5T_NATIVE_DOUBLE);
  FIELD(t_plan, H5T_NATIVE_DOUBLE);
  FIELD(t_pack, H5T_NATIVE_DOUBLE);
  FIELD(t_exchange, H5T_NATIVE_DOUBLE);
  FIELD(t_apply, H5T_NATIVE_DOUBLE);
  FIELD(t_verify, H5T_NATIVE_DOUBLE);
  FIELD(t_lower_bound, H5T_NATIVE_DOUBLE);
  FIELD(load_max, H5T_NATIVE_UINT64);
  FIELD(load_mean, H5T_NATIVE_DOUBLE);
  FIELD(load_peak_to_mean, H5T_NATIVE_DOUBLE);
  FIELD(load_cv, H5T_NATIVE_DOUBLE);
  FIELD(request_peak_to_mean, H5T_NATIVE_DOUBLE);
  FIELD(request_cv, H5T_NATIVE_DOUBLE);
  FIELD(state_bytes, H5T_NATIVE_UINT64);
  FIELD(updates, H5T_NATIVE_UINT64);
  FIELD(update_reads, H5T_NATIVE_UINT64);
  FIELD(updates_missed, H5T_NATIVE_UINT64);
  FIELD(t_process, H5T_NATIVE_DOUBLE);
  FIELD(update_p50_us, H5T_NATIVE_DOUBLE);
  FIELD(update_p99_us, H5T_NATIVE_DOUBLE);
#undef FIELD
  return t;
}

void copy_text(char* dst, std::size_t size, const std::string& s) {
  std::memset(dst, 0, size);
  std::memcpy(dst, s.data(), std::min(s.size(), size - 1));
}

// A uint64 dataset; with `compress`, chunked by its first dimension (one
// event per chunk) and deflated. Parallel HDF5 writes filtered datasets only
// collectively, which is how ringsim writes everything.
Handle create_u64(hid_t g, const char* name, std::initializer_list<hsize_t> dims_list,
                  bool compress) {
  std::vector<hsize_t> dims(dims_list);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const bool empty = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  if (compress && !empty) {
    std::vector<hsize_t> chunk(dims);
    chunk[0] = 1;
    H5_CHECK(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()));
    H5_CHECK(H5Pset_deflate(dcpl, 4));
  }
  return Handle(H5Dcreate2(g, name, H5T_STD_U64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                H5Dclose);
}

// Rank 0 writes the whole selection, the others take part with an empty one,
// as a collective write requires.
void write_by_root(hid_t dset, hid_t mem_type, const void* data, int rank, hid_t dxpl) {
  Handle file_space(H5Dget_space(dset), H5Sclose);
  if (rank != 0) H5_CHECK(H5Sselect_none(file_space));
  Handle mem_space(H5Scopy(file_space), H5Sclose);
  H5_CHECK(H5Dwrite(dset, mem_type, mem_space, file_space, dxpl, data));
}

template <typename T>
void attr_array(hid_t obj, const char* name, hid_t file_type, hid_t mem_type,
                const std::vector<T>& v) {
  const hsize_t dims[1] = {v.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle a(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5_CHECK(H5Awrite(a, mem_type, v.data()));
}

// One strategy's results over all repetitions, laid end to end.
struct Merged {
  StrategyResult all;  // events, loads and matrices of every repetition in order
  std::vector<double> t_initial, lookup_ns;
  std::vector<std::uint64_t> state_bytes_initial;
  std::uint32_t repetitions = 0;
};

Merged merge(const std::vector<const StrategyResult*>& reps) {
  Merged m;
  m.all.label = reps.front()->label;
  m.all.strategy = reps.front()->strategy;
  m.all.params = reps.front()->params;
  for (const StrategyResult* s : reps) {
    m.all.events.insert(m.all.events.end(), s->events.begin(), s->events.end());
    m.all.loads.insert(m.all.loads.end(), s->loads.begin(), s->loads.end());
    m.all.bytes_to_rank.insert(m.all.bytes_to_rank.end(), s->bytes_to_rank.begin(),
                               s->bytes_to_rank.end());
    m.all.node_moves.insert(m.all.node_moves.end(), s->node_moves.begin(), s->node_moves.end());
    m.all.initial_loads.insert(m.all.initial_loads.end(), s->initial_loads.begin(),
                               s->initial_loads.end());
    m.t_initial.push_back(s->t_initial);
    m.lookup_ns.push_back(s->lookup_ns);
    m.state_bytes_initial.push_back(s->state_bytes_initial);
    ++m.repetitions;
  }
  return m;
}

void write_strategy(hid_t file, const Merged& merged, std::uint32_t nodes, int rank, int ranks,
                    hid_t dxpl, bool compress) {
  const StrategyResult& s = merged.all;
  const std::string path = "/strategies/" + s.label;
  Handle g(H5Gcreate2(file, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  attr_string(g, "strategy", s.strategy);
  attr_string(g, "params", s.params);
  attr_array(g, "t_initial", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, merged.t_initial);
  attr_array(g, "lookup_ns", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, merged.lookup_ns);
  attr_array(g, "state_bytes_initial", H5T_STD_U64LE, H5T_NATIVE_UINT64,
             merged.state_bytes_initial);

  // events: one row per event.
  std::vector<EventRow> rows(s.events.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const EventRecord& e = s.events[i];
    EventRow& r = rows[i];
    r.repetition = e.repetition;
    r.event = e.event;
    copy_text(r.kind, sizeof r.kind, to_string(e.kind));
    copy_text(r.detail, sizeof r.detail, e.detail);
    r.nodes_before = e.nodes_before;
    r.nodes_after = e.nodes_after;
    r.keys_total = e.keys_total;
    r.keys_moved = e.keys_moved;
    r.keys_optimal = e.keys_optimal;
    r.keys_moved_by_load = e.keys_moved_by_load;
    r.keys_lost = e.keys_lost;
    r.keys_duplicated = e.keys_duplicated;
    r.replicas_created = e.replicas_created;
    r.bytes_moved = e.bytes_moved;
    r.bytes_rereplicated = e.bytes_rereplicated;
    r.t_update = e.t_update;
    r.t_plan = e.t_plan;
    r.t_pack = e.t_pack;
    r.t_exchange = e.t_exchange;
    r.t_apply = e.t_apply;
    r.t_verify = e.t_verify;
    r.t_lower_bound = e.t_lower_bound;
    r.load_max = e.load_max;
    r.load_mean = e.load_mean;
    r.load_peak_to_mean = e.load_peak_to_mean;
    r.load_cv = e.load_cv;
    r.request_peak_to_mean = e.request_peak_to_mean;
    r.request_cv = e.request_cv;
    r.state_bytes = e.state_bytes;
    r.updates = e.updates;
    r.update_reads = e.update_reads;
    r.updates_missed = e.updates_missed;
    r.t_process = e.t_process;
    r.update_p50_us = e.update_p50_us;
    r.update_p99_us = e.update_p99_us;
  }
  Handle etype = event_type();
  const hsize_t edims[1] = {rows.size()};
  Handle espace(H5Screate_simple(1, edims, nullptr), H5Sclose);
  Handle events(H5Dcreate2(g, "events", etype, espace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose);
  write_by_root(events, etype, rows.data(), rank, dxpl);

  // initial_loads: keys per node after the initial placement, per repetition.
  const hsize_t ndims[2] = {merged.repetitions, nodes};
  Handle nspace(H5Screate_simple(2, ndims, nullptr), H5Sclose);
  Handle initial(
      H5Dcreate2(g, "initial_loads", H5T_STD_U64LE, nspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  write_by_root(initial, H5T_NATIVE_UINT64, s.initial_loads.data(), rank, dxpl);

  // loads: [event][node]. Each rank writes the columns of the nodes it hosts
  // (node n lives on rank n mod P): a strided hyperslab per rank.
  const hsize_t E = s.events.size();
  const hsize_t ldims[2] = {E, nodes};
  Handle lspace(H5Screate_simple(2, ldims, nullptr), H5Sclose);
  Handle loads = create_u64(g, "loads", {E, nodes}, compress);
  const hsize_t mine = static_cast<hsize_t>(rank) < nodes
                           ? (nodes - static_cast<hsize_t>(rank) + ranks - 1) / ranks
                           : 0;
  std::vector<std::uint64_t> cols(E * mine);
  for (hsize_t ev = 0; ev < E; ++ev)
    for (hsize_t j = 0; j < mine; ++j) cols[ev * mine + j] = s.loads[ev][rank + j * ranks];
  Handle fsel(H5Scopy(lspace), H5Sclose);
  const hsize_t mdims[2] = {E, mine};
  Handle msel(H5Screate_simple(2, mdims, nullptr), H5Sclose);
  if (E * mine == 0) {
    H5_CHECK(H5Sselect_none(fsel));
    H5_CHECK(H5Sselect_none(msel));
  } else {
    const hsize_t start[2] = {0, static_cast<hsize_t>(rank)};
    const hsize_t stride[2] = {1, static_cast<hsize_t>(ranks)};
    const hsize_t count[2] = {E, mine};
    H5_CHECK(H5Sselect_hyperslab(fsel, H5S_SELECT_SET, start, stride, count, nullptr));
  }
  H5_CHECK(H5Dwrite(loads, H5T_NATIVE_UINT64, msel, fsel, dxpl, cols.data()));

  // migration_ranks: [event][from rank][to rank] bytes; each rank writes its row.
  const hsize_t P = static_cast<hsize_t>(ranks);
  Handle mr = create_u64(g, "migration_ranks", {E, P, P}, compress);
  {
    std::vector<std::uint64_t> rows_of_mine(E * P);
    for (hsize_t ev = 0; ev < E; ++ev)
      std::copy(s.bytes_to_rank[ev].begin(), s.bytes_to_rank[ev].end(),
                rows_of_mine.begin() + ev * P);
    Handle f(H5Dget_space(mr), H5Sclose);
    const hsize_t mdims3[3] = {E, 1, P};
    Handle mem(H5Screate_simple(3, mdims3, nullptr), H5Sclose);
    if (E == 0) {
      H5_CHECK(H5Sselect_none(f));
      H5_CHECK(H5Sselect_none(mem));
    } else {
      const hsize_t start[3] = {0, static_cast<hsize_t>(rank), 0};
      const hsize_t count[3] = {E, 1, P};
      H5_CHECK(H5Sselect_hyperslab(f, H5S_SELECT_SET, start, nullptr, count, nullptr));
    }
    H5_CHECK(H5Dwrite(mr, H5T_NATIVE_UINT64, mem, f, dxpl, rows_of_mine.data()));
  }

  // migration_nodes: [event][from node][to node] keys, when recorded.
  if (!s.node_moves.empty()) {
    Handle mn = create_u64(g, "migration_nodes", {E, nodes, nodes}, compress);
    std::vector<std::uint64_t> all;
    if (rank == 0)
      for (const auto& m : s.node_moves) all.insert(all.end(), m.begin(), m.end());
    write_by_root(mn, H5T_NATIVE_UINT64, all.data(), rank, dxpl);
  }
}

// One row of /locks/results.
struct LockRow {
  char algorithm[16], workload[16], target[8];
  std::uint32_t ranks, stripes;
  std::uint64_t acquisitions;
  double seconds, acquisitions_per_second, latency_p50_us, latency_p99_us, latency_max_us, fairness;
};

void write_locks(hid_t file, const std::vector<LockBenchResult>& locks, int rank, hid_t dxpl) {
  Handle g(H5Gcreate2(file, "locks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(LockRow)), H5Tclose);
  Handle s16 = string_type(16), s8 = string_type(8);
#define LFIELD(name, type) H5_CHECK(H5Tinsert(t, #name, HOFFSET(LockRow, name), type))
  LFIELD(algorithm, s16);
  LFIELD(workload, s16);
  LFIELD(target, s8);
  LFIELD(ranks, H5T_NATIVE_UINT32);
  LFIELD(stripes, H5T_NATIVE_UINT32);
  LFIELD(acquisitions, H5T_NATIVE_UINT64);
  LFIELD(seconds, H5T_NATIVE_DOUBLE);
  LFIELD(acquisitions_per_second, H5T_NATIVE_DOUBLE);
  LFIELD(latency_p50_us, H5T_NATIVE_DOUBLE);
  LFIELD(latency_p99_us, H5T_NATIVE_DOUBLE);
  LFIELD(latency_max_us, H5T_NATIVE_DOUBLE);
  LFIELD(fairness, H5T_NATIVE_DOUBLE);
#undef LFIELD
  std::vector<LockRow> rows(locks.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LockBenchResult& l = locks[i];
    LockRow& w = rows[i];
    copy_text(w.algorithm, sizeof w.algorithm, l.algorithm);
    copy_text(w.workload, sizeof w.workload, l.workload);
    copy_text(w.target, sizeof w.target, l.target);
    w.ranks = static_cast<std::uint32_t>(l.ranks);
    w.stripes = static_cast<std::uint32_t>(l.stripes);
    w.acquisitions = l.acquisitions;
    w.seconds = l.seconds;
    w.acquisitions_per_second = l.acquisitions_per_second;
    w.latency_p50_us = l.latency_p50_us;
    w.latency_p99_us = l.latency_p99_us;
    w.latency_max_us = l.latency_max_us;
    w.fairness = l.fairness;
  }
  const hsize_t dims[1] = {rows.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle d(H5Dcreate2(g, "results", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  write_by_root(d, t, rows.data(), rank, dxpl);
}

}  // namespace

void write_result_file(const std::string& path, const Experiment& e, const RunResult& r,
                       const RunContext& ctx, MPI_Comm comm,
                       const std::vector<LockBenchResult>& locks) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::string tmp = path + ".tmp";
  {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
    H5_CHECK(H5Pset_all_coll_metadata_ops(fapl, true));
    H5_CHECK(H5Pset_coll_metadata_write(fapl, true));
    Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
    H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));

    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    std::string overrides;
    for (const auto& o : e.overrides) overrides += (overrides.empty() ? "" : "\n") + o;

    attr_scalar(file, "schema_version", H5T_NATIVE_INT32,
                static_cast<std::int32_t>(kSchemaVersion));
    attr_string(file, "ringsim_version", std::string(version()));
    attr_string(file, "git_commit", std::string(git_commit()));
    attr_string(file, "experiment_name", e.name);
    attr_string(file, "experiment_source", e.source);
    attr_string(file, "experiment_text", e.text);
    attr_string(file, "overrides", overrides);
    attr_string(file, "command_line", ctx.command_line);
    attr_string(file, "start_time", ctx.start_time);
    attr_scalar(file, "ranks", H5T_NATIVE_INT32, static_cast<std::int32_t>(ranks));
    attr_strings(file, "hosts", ctx.hosts);
    attr_string(file, "mpi_version", ctx.mpi_version);
    attr_string(file, "hdf5_version",
                std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel));
    attr_scalar(file, "nodes", H5T_NATIVE_UINT32, r.nodes);
    attr_scalar(file, "initial_nodes", H5T_NATIVE_UINT32, e.initial);
    attr_scalar(file, "replicas", H5T_NATIVE_UINT32, e.replicas);
    attr_scalar(file, "keys_count", H5T_NATIVE_UINT64, e.keys.count);
    attr_scalar(file, "key_bytes", H5T_NATIVE_UINT64, std::uint64_t{8});
    attr_scalar(file, "value_bytes", H5T_NATIVE_UINT64,
                static_cast<std::uint64_t>(e.keys.value_bytes));
    attr_scalar(file, "seed", H5T_NATIVE_UINT64, e.keys.seed);
    attr_string(file, "key_distribution", to_string(e.keys.distribution));
    attr_string(file, "key_file", e.keys.file);
    attr_scalar(file, "zipf_exponent", H5T_NATIVE_DOUBLE,
                e.keys.distribution == KeyDistribution::kZipf ? e.keys.zipf_exponent : 0.0);
    attr_scalar(file, "verified", H5T_NATIVE_INT32, static_cast<std::int32_t>(e.verify));
    attr_scalar(file, "repetitions", H5T_NATIVE_UINT32, e.repetitions);
    attr_string(file, "processing_lock", e.processing.updates ? e.processing.lock : "");
    attr_scalar(file, "processing_updates", H5T_NATIVE_UINT64, e.processing.updates);
    attr_scalar(file, "partial", H5T_NATIVE_INT32, static_cast<std::int32_t>(r.partial));
    attr_scalar(file, "events_completed", H5T_NATIVE_UINT64, r.events_completed);
    attr_scalar(file, "wall_seconds", H5T_NATIVE_DOUBLE, r.wall_seconds);
    {
      const hsize_t dims[1] = {r.peak_rss_bytes.size()};
      Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
      Handle a(H5Acreate2(file, "peak_rss_bytes", H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose);
      H5_CHECK(H5Awrite(a, H5T_NATIVE_UINT64, r.peak_rss_bytes.data()));
    }

    Handle strategies(H5Gcreate2(file, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      H5Gclose);
    std::vector<std::string> order;
    for (const auto& spec : e.strategies)
      if (std::any_of(r.strategies.begin(), r.strategies.end(),
                      [&](const StrategyResult& s) { return s.label == spec.label; }))
        order.push_back(spec.label);
    attr_strings(strategies, "order", order);
    attr_string(file, "compression", e.compress ? "deflate-4, chunks of one event" : "none");
    for (const auto& spec : e.strategies) {
      std::vector<const StrategyResult*> reps;
      for (const auto& s : r.strategies)
        if (s.label == spec.label) reps.push_back(&s);
      if (!reps.empty()) write_strategy(file, merge(reps), r.nodes, rank, ranks, dxpl, e.compress);
    }
    if (e.has_locks) write_locks(file, locks, rank, dxpl);
  }  // every handle closed here, the file last

  MPI_Barrier(comm);
  int ok = 1;
  if (rank == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) ok = 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  if (!ok) throw std::runtime_error("could not rename " + tmp + " to " + path);
}

}  // namespace ringsim
