#include "output/h5_stream.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "build_info.hpp"
#include "engine/event_metrics.hpp"
#include "error.hpp"

namespace ringsim {
namespace fs = std::filesystem;

std::string partial_name(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".partial" + p.extension().string())).string();
}

std::string complete_name(const std::string& path) {
  const std::string tag = ".partial";
  const fs::path p(path);
  std::string stem = p.stem().string();
  if (stem.size() <= tag.size() || stem.compare(stem.size() - tag.size(), tag.size(), tag) != 0)
    return path;
  stem.resize(stem.size() - tag.size());
  return (p.parent_path() / (stem + p.extension().string())).string();
}

namespace {

// The innermost message of HDF5's error stack (the closest to the cause,
// e.g. the MPI-IO or system error), with errno's text when it is set.
std::string h5_cause() {
  struct Found {
    std::string text;
  } found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
        auto* f = static_cast<Found*>(data);
        if (n == 0 && err) {
          char minor[256] = {};
          H5Eget_msg(err->min_num, nullptr, minor, sizeof minor);
          f->text = std::string(err->desc ? err->desc : "") + " (" + minor + ")";
        }
        return 0;
      },
      &found);
  H5Eclear2(H5E_DEFAULT);
  return found.text.empty() ? "unknown HDF5 error" : found.text;
}

// The file a failing call was writing, for the message.
thread_local std::string g_current_file;

[[noreturn]] void h5_fail(const char* call, int line) {
  const int e = errno;
  std::string msg = "cannot write result file " + g_current_file + ": " + h5_cause();
  if (e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS)
    msg += ": " + std::string(std::strerror(e));
  msg += " [" + std::string(call) + ", h5_stream.cpp:" + std::to_string(line) + "]";
  // Not caught anywhere: the terminate handler reports it and aborts the job.
  throw std::runtime_error(msg);
}

#define H5_CHECK(expr)                                 \
  ([&]() {                                             \
    errno = 0;                                         \
    auto h5_check_result = (expr);                     \
    if (h5_check_result < 0) h5_fail(#expr, __LINE__); \
    return h5_check_result;                            \
  }())

// Owns an hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t), const char* what = "HDF5 handle")
      : id_(id), close_(close) {
    if (id_ < 0) h5_fail(what, __LINE__);
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

Handle string_type(std::size_t size) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5_CHECK(H5Tset_size(t, std::max<std::size_t>(size, 1)));
  H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
  H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
  return t;
}

// Attributes are (re)written: an existing one of the name is replaced.
void drop_attr(hid_t obj, const char* name) {
  if (H5_CHECK(H5Aexists(obj, name)) > 0) H5_CHECK(H5Adelete(obj, name));
}

// Variable-length UTF-8: h5py returns such attributes as str (fixed-length
// ones as bytes). Datasets of strings stay fixed-length: parallel HDF5 does
// not write variable-length data.
Handle vl_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5_CHECK(H5Tset_size(t, H5T_VARIABLE));
  H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
  return t;
}

void attr_string(hid_t obj, const char* name, const std::string& value) {
  drop_attr(obj, name);
  Handle type = vl_string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  const char* text = value.c_str();
  H5_CHECK(H5Awrite(a, type, &text));
}

template <typename T>
void attr_scalar(hid_t obj, const char* name, hid_t type, T value) {
  drop_attr(obj, name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  H5_CHECK(H5Awrite(a, type, &value));
}

template <typename T>
void attr_array(hid_t obj, const char* name, hid_t file_type, hid_t mem_type,
                const std::vector<T>& v) {
  drop_attr(obj, name);
  const hsize_t dims[1] = {v.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle a(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  if (!v.empty()) H5_CHECK(H5Awrite(a, mem_type, v.data()));
}

template <typename T>
std::vector<T> read_attr_array(hid_t obj, const char* name, hid_t mem_type) {
  if (H5_CHECK(H5Aexists(obj, name)) <= 0) return {};
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, name);
  Handle space(H5Aget_space(a), H5Sclose);
  const auto n = H5_CHECK(H5Sget_simple_extent_npoints(space));
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0) H5_CHECK(H5Aread(a, mem_type, v.data()));
  return v;
}

std::string read_attr_string(hid_t obj, const char* name) {
  if (H5_CHECK(H5Aexists(obj, name)) <= 0) return {};
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, name);
  Handle type(H5Aget_type(a), H5Tclose);
  if (H5_CHECK(H5Tis_variable_str(type)) > 0) {
    Handle mem = vl_string_type();
    char* text = nullptr;
    H5_CHECK(H5Aread(a, mem, &text));
    std::string s = text ? text : "";
    H5free_memory(text);
    return s;
  }
  const std::size_t size = H5Tget_size(type);
  std::string s(size, '\0');
  Handle mem = string_type(size);
  H5_CHECK(H5Aread(a, mem, s.data()));
  s.resize(std::strlen(s.c_str()));
  return s;
}

// This process's peak resident memory so far, bytes.
std::uint64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // kB on Linux
}

void copy_text(char* dst, std::size_t size, const std::string& s) {
  std::memset(dst, 0, size);
  std::memcpy(dst, s.data(), std::min(s.size(), size - 1));
}

// In-memory row of the `events` table.
struct EventRow {
  std::uint32_t repetition;
  std::uint32_t event;
  char kind[8];
  char detail[48];
  std::uint32_t nodes_before, nodes_after;
  std::uint64_t keys_total, keys_moved, keys_ideal, keys_min, keys_moved_by_load, keys_lost,
      keys_duplicated, replicas_created, bytes_moved, bytes_exchanged, bytes_rereplicated;
  double t_update, t_plan, t_counts, t_pack, t_exchange, t_apply, t_migrate, t_verify;
  double imb_plan, imb_counts, imb_pack, imb_exchange, imb_apply;
  double t_exchange_floor_min, t_exchange_floor_median, t_exchange_model;
  double t_pack_bound, t_apply_bound, t_plan_bound, t_projected;
  std::uint64_t load_max;
  double load_mean, load_peak_to_mean, load_cv, request_peak_to_mean, request_cv;
  std::uint64_t state_bytes;
  std::uint64_t updates, update_reads, updates_missed;
  double t_process, update_p50_us, update_p99_us, update_max_us, t_process_verify;
  double ops_peak_to_mean, ops_cv;
  double primary_peak_to_mean, load_chi2;
  std::uint32_t load_chi2_dof;
  double load_chi2_p, random_peak_to_mean, random_peak_to_mean_se;
  std::uint8_t balance_few_keys;
  double t_balance;
  std::int64_t order_keys_differ;
  double order_fraction_differ, t_order;
};

// A table's field: its name, native type (kString: a fixed-length UTF-8
// string of `bytes`, NUL-terminated), where it sits in the in-memory row, and
// its `units` attribute ("1": a ratio, a fraction, an index or a label).
constexpr hid_t kString = -1;
struct Field {
  const char* name;
  hid_t type;
  std::size_t offset, bytes;
  const char* units;
};

std::vector<Field> event_fields() {
#define EFIELD(name, type, units) \
  Field { #name, type, offsetof(EventRow, name), sizeof(EventRow::name), units }
  return {
      EFIELD(repetition, H5T_NATIVE_UINT32, "1"),
      EFIELD(event, H5T_NATIVE_UINT32, "1"),
      EFIELD(kind, kString, "1"),
      EFIELD(detail, kString, "1"),
      EFIELD(nodes_before, H5T_NATIVE_UINT32, "nodes"),
      EFIELD(nodes_after, H5T_NATIVE_UINT32, "nodes"),
      EFIELD(keys_total, H5T_NATIVE_UINT64, "keys"),
      EFIELD(keys_moved, H5T_NATIVE_UINT64, "records"),
      EFIELD(keys_ideal, H5T_NATIVE_UINT64, "records"),
      EFIELD(keys_min, H5T_NATIVE_UINT64, "records"),
      EFIELD(keys_moved_by_load, H5T_NATIVE_UINT64, "keys"),
      EFIELD(keys_lost, H5T_NATIVE_UINT64, "keys"),
      EFIELD(keys_duplicated, H5T_NATIVE_UINT64, "records"),
      EFIELD(replicas_created, H5T_NATIVE_UINT64, "records"),
      EFIELD(bytes_moved, H5T_NATIVE_UINT64, "bytes"),
      EFIELD(bytes_exchanged, H5T_NATIVE_UINT64, "bytes"),
      EFIELD(bytes_rereplicated, H5T_NATIVE_UINT64, "bytes"),
      EFIELD(t_update, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_plan, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_counts, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_pack, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_exchange, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_apply, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_migrate, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_verify, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(imb_plan, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(imb_counts, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(imb_pack, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(imb_exchange, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(imb_apply, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(t_exchange_floor_min, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_exchange_floor_median, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_exchange_model, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_pack_bound, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_apply_bound, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_plan_bound, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(t_projected, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(load_max, H5T_NATIVE_UINT64, "keys"),
      EFIELD(load_mean, H5T_NATIVE_DOUBLE, "keys"),
      EFIELD(load_peak_to_mean, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(load_cv, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(request_peak_to_mean, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(request_cv, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(state_bytes, H5T_NATIVE_UINT64, "bytes"),
      EFIELD(updates, H5T_NATIVE_UINT64, "operations"),
      EFIELD(update_reads, H5T_NATIVE_UINT64, "operations"),
      EFIELD(updates_missed, H5T_NATIVE_UINT64, "operations"),
      EFIELD(t_process, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(update_p50_us, H5T_NATIVE_DOUBLE, "us"),
      EFIELD(update_p99_us, H5T_NATIVE_DOUBLE, "us"),
      EFIELD(update_max_us, H5T_NATIVE_DOUBLE, "us"),
      EFIELD(t_process_verify, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(ops_peak_to_mean, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(ops_cv, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(primary_peak_to_mean, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(load_chi2, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(load_chi2_dof, H5T_NATIVE_UINT32, "1"),
      EFIELD(load_chi2_p, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(random_peak_to_mean, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(random_peak_to_mean_se, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(balance_few_keys, H5T_NATIVE_UINT8, "1"),
      EFIELD(t_balance, H5T_NATIVE_DOUBLE, "s"),
      EFIELD(order_keys_differ, H5T_NATIVE_INT64, "keys"),
      EFIELD(order_fraction_differ, H5T_NATIVE_DOUBLE, "1"),
      EFIELD(t_order, H5T_NATIVE_DOUBLE, "s"),
  };
#undef EFIELD
}

EventRow to_row(const EventRecord& e) {
  EventRow r{};
  r.repetition = e.repetition;
  r.event = e.event;
  copy_text(r.kind, sizeof r.kind, to_string(e.kind));
  copy_text(r.detail, sizeof r.detail, e.detail);
  r.nodes_before = e.nodes_before;
  r.nodes_after = e.nodes_after;
  r.keys_total = e.keys_total;
  r.keys_moved = e.keys_moved;
  r.keys_ideal = e.keys_ideal;
  r.keys_min = e.keys_min;
  r.keys_moved_by_load = e.keys_moved_by_load;
  r.keys_lost = e.keys_lost;
  r.keys_duplicated = e.keys_duplicated;
  r.replicas_created = e.replicas_created;
  r.bytes_moved = e.bytes_moved;
  r.bytes_exchanged = e.bytes_exchanged;
  r.bytes_rereplicated = e.bytes_rereplicated;
  r.t_update = e.t_update;
  r.t_plan = e.t_plan;
  r.t_counts = e.t_counts;
  r.t_pack = e.t_pack;
  r.t_exchange = e.t_exchange;
  r.t_apply = e.t_apply;
  r.t_migrate = e.t_migrate;
  r.t_verify = e.t_verify;
  r.imb_plan = e.imb_plan;
  r.imb_counts = e.imb_counts;
  r.imb_pack = e.imb_pack;
  r.imb_exchange = e.imb_exchange;
  r.imb_apply = e.imb_apply;
  r.t_exchange_floor_min = e.t_exchange_floor_min;
  r.t_exchange_floor_median = e.t_exchange_floor_median;
  r.t_exchange_model = e.t_exchange_model;
  r.t_pack_bound = e.t_pack_bound;
  r.t_apply_bound = e.t_apply_bound;
  r.t_plan_bound = e.t_plan_bound;
  r.t_projected = e.t_projected;
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
  r.update_max_us = e.update_max_us;
  r.t_process_verify = e.t_process_verify;
  r.ops_peak_to_mean = e.ops_peak_to_mean;
  r.ops_cv = e.ops_cv;
  r.primary_peak_to_mean = e.primary_peak_to_mean;
  r.load_chi2 = e.load_chi2;
  r.load_chi2_dof = e.load_chi2_dof;
  r.load_chi2_p = e.load_chi2_p;
  r.random_peak_to_mean = e.random_peak_to_mean;
  r.random_peak_to_mean_se = e.random_peak_to_mean_se;
  r.balance_few_keys = e.balance_few_keys ? 1 : 0;
  r.t_balance = e.t_balance;
  r.order_keys_differ = e.order_keys_differ;
  r.order_fraction_differ = e.order_fraction_differ;
  r.t_order = e.t_order;
  return r;
}

// One row of /locks/results.
struct LockRow {
  char algorithm[16], workload[16], target[8];
  std::uint32_t ranks, stripes;
  std::uint64_t acquisitions;
  double seconds, acquisitions_per_second, latency_p50_us, latency_p99_us, latency_max_us, fairness;
  double latency_min_us;
  double reads;
  std::uint64_t read_acquisitions, write_acquisitions;
  double latency_p90_us, fairness_cv;
  std::uint8_t oversubscribed, counters_ok;
  std::uint32_t ranks_per_host, cohort_handoffs;
};

std::vector<Field> lock_fields() {
#define LFIELD(name, type, units) \
  Field { #name, type, offsetof(LockRow, name), sizeof(LockRow::name), units }
  return {
      LFIELD(algorithm, kString, "1"),
      LFIELD(workload, kString, "1"),
      LFIELD(target, kString, "1"),
      LFIELD(ranks, H5T_NATIVE_UINT32, "ranks"),
      LFIELD(stripes, H5T_NATIVE_UINT32, "1"),
      LFIELD(acquisitions, H5T_NATIVE_UINT64, "acquisitions"),
      LFIELD(seconds, H5T_NATIVE_DOUBLE, "s"),
      LFIELD(acquisitions_per_second, H5T_NATIVE_DOUBLE, "1/s"),
      LFIELD(latency_p50_us, H5T_NATIVE_DOUBLE, "us"),
      LFIELD(latency_p99_us, H5T_NATIVE_DOUBLE, "us"),
      LFIELD(latency_max_us, H5T_NATIVE_DOUBLE, "us"),
      LFIELD(fairness, H5T_NATIVE_DOUBLE, "1"),
      LFIELD(latency_min_us, H5T_NATIVE_DOUBLE, "us"),
      LFIELD(reads, H5T_NATIVE_DOUBLE, "1"),
      LFIELD(read_acquisitions, H5T_NATIVE_UINT64, "acquisitions"),
      LFIELD(write_acquisitions, H5T_NATIVE_UINT64, "acquisitions"),
      LFIELD(latency_p90_us, H5T_NATIVE_DOUBLE, "us"),
      LFIELD(fairness_cv, H5T_NATIVE_DOUBLE, "1"),
      LFIELD(oversubscribed, H5T_NATIVE_UINT8, "1"),
      LFIELD(counters_ok, H5T_NATIVE_UINT8, "1"),
      LFIELD(ranks_per_host, H5T_NATIVE_UINT32, "ranks"),
      LFIELD(cohort_handoffs, H5T_NATIVE_UINT32, "1"),
  };
#undef LFIELD
}

// One row of a strategy's rank_traffic / node_traffic table: `row` is the
// index of the event's row in the group's `events`.
struct TrafficFileRow {
  std::uint64_t row;
  std::uint32_t from, to;
  std::uint64_t records, bytes;
};

std::vector<Field> traffic_fields() {
#define TFIELD(name, type, units) \
  Field { #name, type, offsetof(TrafficFileRow, name), sizeof(TrafficFileRow::name), units }
  return {
      TFIELD(row, H5T_NATIVE_UINT64, "1"),       TFIELD(from, H5T_NATIVE_UINT32, "1"),
      TFIELD(to, H5T_NATIVE_UINT32, "1"),        TFIELD(records, H5T_NATIVE_UINT64, "records"),
      TFIELD(bytes, H5T_NATIVE_UINT64, "bytes"),
  };
#undef TFIELD
}

// An extendible dataset whose first dimension grows one row at a time; the
// other dimensions are fixed. Chunked (a row per chunk, or `rows_per_chunk`)
// and deflated when asked; parallel HDF5 writes filtered datasets only
// collectively, which is how every write here is made.
Handle create_rows(hid_t g, const char* name, hid_t type, std::vector<hsize_t> row_dims,
                   bool compress, hsize_t rows_per_chunk = 1) {
  std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk{rows_per_chunk};
  for (hsize_t d : row_dims) {
    dims.push_back(d);
    maxdims.push_back(d);
    chunk.push_back(std::max<hsize_t>(d, 1));
  }
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()),
               H5Sclose, name);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5_CHECK(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()));
  if (compress) H5_CHECK(H5Pset_deflate(dcpl, 4));
  return Handle(H5Dcreate2(g, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, name);
}

hsize_t rows_of(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  hsize_t dims[4] = {};
  H5_CHECK(H5Sget_simple_extent_dims(space, dims, nullptr));
  return dims[0];
}

// Collective: sets the row count of `dset` to `rows`.
void set_rows(hid_t dset, hsize_t rows) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5_CHECK(H5Sget_simple_extent_ndims(space));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5_CHECK(H5Sget_simple_extent_dims(space, dims.data(), nullptr));
  dims[0] = rows;
  H5_CHECK(H5Dset_extent(dset, dims.data()));
}

// Rows per chunk: the events table's columns and row scale (a row is written
// per event; 128 rows of a float64 column are 1 KiB), and the traffic
// tables' (thousands of rows per event).
constexpr hsize_t kEventChunk = 128;
constexpr hsize_t kTrafficChunk = 4096;

// How a write reaches the file. Deflated datasets are written collectively
// (parallel HDF5 writes filtered data no other way); the others
// independently: every rank still calls H5Dwrite (the others with nothing
// selected), but a row that only rank 0 holds costs no collective MPI-IO.
enum class Io { kCollective, kIndependent };

// Collective: grows `dset` to `row + total` rows and writes this rank's `n`
// rows of `data` at `row + offset` (a rank with n = 0 takes part and writes
// nothing). 64-bit row counts throughout.
// The transfer property lists of the two modes, made once (the library
// releases them when it shuts down).
hid_t transfer(Io io) {
  static const hid_t collective = [] {
    const hid_t p = H5_CHECK(H5Pcreate(H5P_DATASET_XFER));
    H5_CHECK(H5Pset_dxpl_mpio(p, H5FD_MPIO_COLLECTIVE));
    return p;
  }();
  static const hid_t independent = [] {
    const hid_t p = H5_CHECK(H5Pcreate(H5P_DATASET_XFER));
    H5_CHECK(H5Pset_dxpl_mpio(p, H5FD_MPIO_INDEPENDENT));
    return p;
  }();
  return io == Io::kCollective ? collective : independent;
}

void write_rows(hid_t dset, hid_t mem_type, const void* data, hsize_t row, hsize_t offset,
                hsize_t n, hsize_t total, Io io = Io::kCollective) {
  Handle file_space(H5Dget_space(dset), H5Sclose);
  const int nd = H5_CHECK(H5Sget_simple_extent_ndims(file_space));
  std::vector<hsize_t> dims(static_cast<std::size_t>(nd)), maxdims(dims.size());
  H5_CHECK(H5Sget_simple_extent_dims(file_space, dims.data(), maxdims.data()));
  dims[0] = row + total;
  H5_CHECK(H5Dset_extent(dset, dims.data()));
  H5_CHECK(H5Sset_extent_simple(file_space, nd, dims.data(), maxdims.data()));
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = row + offset;
  count[0] = n;
  std::vector<hsize_t> mem_count = count;
  mem_count[0] = std::max<hsize_t>(n, 1);
  Handle mem_space(H5Screate_simple(nd, mem_count.data(), nullptr), H5Sclose);
  if (n > 0) {
    H5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                 nullptr));
  } else {
    H5_CHECK(H5Sselect_none(file_space));
    H5_CHECK(H5Sselect_none(mem_space));
  }
  H5_CHECK(H5Dwrite(dset, mem_type, mem_space, file_space, transfer(io), data));
}

// Collective: appends one row written by the `writer` rank.
void append_row(hid_t dset, hid_t mem_type, const void* data, bool writer) {
  write_rows(dset, mem_type, data, rows_of(dset), 0, writer ? 1 : 0, 1);
}

// Dimension scales (the HDF5 high-level API; netCDF-4 readers such as
// xarray's h5netcdf engine take them for dimensions). Every rank makes the
// same calls: they are metadata, collective in parallel HDF5.
void set_units(hid_t obj, const char* units) { attr_string(obj, "units", units); }

void make_scale(hid_t dset, const char* name) {
  H5_CHECK(H5DSset_scale(dset, name));
  set_units(dset, "1");
}

void attach(hid_t dset, std::initializer_list<hid_t> scales) {
  unsigned axis = 0;
  for (hid_t scale : scales) H5_CHECK(H5DSattach_scale(dset, scale, axis++));
}

// Collective: a fixed dimension scale `name` of the indices 0 .. n-1,
// written by rank 0.
Handle index_scale(hid_t g, const char* name, hsize_t n, int rank) {
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle d(H5Dcreate2(g, name, H5T_STD_U32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose, name);
  if (n > 0) {
    std::vector<std::uint32_t> v(rank == 0 ? n : 0);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint32_t>(i);
    Handle fs(H5Dget_space(d), H5Sclose);
    Handle ms(H5Scopy(fs), H5Sclose);
    if (rank != 0) {
      H5_CHECK(H5Sselect_none(fs));
      H5_CHECK(H5Sselect_none(ms));
    }
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
    H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_UINT32, ms, fs, dxpl, v.data()));
  }
  make_scale(d, name);
  return d;
}

// Collective: a growing dimension scale `name` (uint64 row indices), chunked
// `chunk` rows.
Handle row_scale(hid_t g, const char* name, hsize_t chunk, bool compress) {
  Handle d = create_rows(g, name, H5T_STD_U64LE, {}, compress, chunk);
  make_scale(d, name);
  return d;
}

// Collective: grows a row scale to `row + total` and writes its new indices
// (rank 0).
void extend_scale(hid_t scale, hsize_t row, hsize_t total, int rank, Io io) {
  std::vector<std::uint64_t> index(rank == 0 ? total : 0);
  for (std::size_t i = 0; i < index.size(); ++i) index[i] = row + i;
  write_rows(scale, H5T_NATIVE_UINT64, index.data(), row, 0, index.size(), total, io);
}

// A table the netCDF-4 way: a group of 1-D column datasets, one per field,
// each with a `units` attribute, all along one row dimension scale (the
// group's own, or one of its parent's that a matrix shares).
class Columns {
 public:
  Columns() = default;

  // Collective: creates the group `name` in `parent` with its columns,
  // chunked `chunk` rows (deflated with `compress`); their rows are the
  // scale `shared`, or else a scale `own_scale` created in the group.
  void create(hid_t parent, const char* name, std::vector<Field> fields, hsize_t chunk,
              bool compress, hid_t shared, const char* own_scale) {
    fields_ = std::move(fields);
    io_ = compress ? Io::kCollective : Io::kIndependent;
    // Links in creation order (as netCDF-4 keeps them): readers list the
    // columns in the order of the fields.
    Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    H5_CHECK(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    group_ = Handle(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, name);
    if (shared < 0) scale_ = row_scale(group_, own_scale, chunk, compress);
    const hid_t scale = shared < 0 ? hid_t{scale_} : shared;
    for (const Field& field : fields_) {
      types_.push_back(type_of(field));
      Handle d = create_rows(group_, field.name, types_.back(), {}, compress, chunk);
      set_units(d, field.units);
      // xarray decodes fixed-length strings that declare their encoding to str.
      if (field.type == kString) attr_string(d, "_Encoding", "utf-8");
      attach(d, {scale});
      columns_.push_back(std::move(d));
    }
    rows_ = 0;
  }

  // Opens the table of a file being resumed.
  void open(hid_t parent, const char* name, std::vector<Field> fields, const char* own_scale) {
    fields_ = std::move(fields);
    group_ = Handle(H5Gopen2(parent, name, H5P_DEFAULT), H5Gclose, name);
    if (own_scale) scale_ = Handle(H5Dopen2(group_, own_scale, H5P_DEFAULT), H5Dclose, own_scale);
    for (const Field& field : fields_) {
      types_.push_back(type_of(field));
      columns_.emplace_back(H5Dopen2(group_, field.name, H5P_DEFAULT), H5Dclose, field.name);
    }
    rows_ = columns_.empty() ? 0 : rows_of(columns_.front());
    io_ = Io::kCollective;
    if (!columns_.empty()) {
      Handle dcpl(H5Dget_create_plist(columns_.front()), H5Pclose);
      if (H5_CHECK(H5Pget_nfilters(dcpl)) == 0) io_ = Io::kIndependent;
    }
  }

  // Collective: appends this rank's `n` rows (in-memory rows of `stride`
  // bytes at `data`) at `offset` of the `total` rows all ranks append.
  void append(const void* data, std::size_t stride, hsize_t n, hsize_t offset, hsize_t total,
              int rank) {
    if (total == 0) return;  // the same on every rank
    const auto* bytes = static_cast<const char*>(data);
    std::vector<char> column;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const Field& field = fields_[c];
      const char* src = n > 0 ? bytes + field.offset : nullptr;
      if (n > 1) {  // gather the field of every row into one contiguous run
        column.resize(n * field.bytes);
        for (hsize_t i = 0; i < n; ++i)
          std::memcpy(&column[i * field.bytes], bytes + i * stride + field.offset, field.bytes);
        src = column.data();
      }
      write_rows(columns_[c], types_[c], src, rows_, offset, n, total, io_);
    }
    if (scale_.valid()) extend_scale(scale_, rows_, total, rank, io_);
    rows_ += total;
  }

  // Collective: keeps the first `rows` rows of every column (and of the
  // table's own scale).
  void resize(hsize_t rows) {
    for (const Handle& c : columns_) set_rows(c, rows);
    if (scale_.valid()) set_rows(scale_, rows);
    rows_ = rows;
  }

  hsize_t rows() const { return rows_; }

 private:
  static Handle type_of(const Field& field) {
    if (field.type == kString) return string_type(field.bytes);
    return Handle(H5Tcopy(field.type), H5Tclose);
  }

  Handle group_, scale_;
  std::vector<Field> fields_;
  std::vector<Handle> types_, columns_;
  hsize_t rows_ = 0;
  Io io_ = Io::kCollective;
};

// Collective: a 1-D dataset of one entry per rank, each rank writing its own;
// created with its `units` along the group's dimension scale `scale`.
template <typename T>
void write_per_rank(hid_t g, const char* name, hid_t file_type, hid_t mem_type, T value,
                    MPI_Comm comm, const char* units, const char* scale) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  Handle d;
  if (H5_CHECK(H5Lexists(g, name, H5P_DEFAULT)) > 0) {
    d = Handle(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose, name);
  } else {
    const hsize_t dims[1] = {static_cast<hsize_t>(ranks)};
    Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
    d = Handle(H5Dcreate2(g, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose, name);
    set_units(d, units);
    Handle axis(H5Dopen2(g, scale, H5P_DEFAULT), H5Dclose, scale);
    attach(d, {axis});
  }
  Handle fs(H5Dget_space(d), H5Sclose);
  const hsize_t start[1] = {static_cast<hsize_t>(rank)}, count[1] = {1};
  H5_CHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, count, nullptr));
  Handle ms(H5Screate_simple(1, count, nullptr), H5Sclose);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(d, mem_type, ms, fs, dxpl, &value));
}

// Collective: a 1-D dataset of fixed-length UTF-8 strings (a scalar one with
// `scalar`), written by rank 0: rank 0's values, count and width count, the
// other ranks' are ignored. Its `units` are "1" and its `_Encoding` utf-8
// (xarray then gives str).
Handle write_strings(hid_t g, const char* name, const std::vector<std::string>& values,
                     MPI_Comm comm, bool scalar = false) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  unsigned long long shape[2] = {values.size(), 1};  // count, width
  for (const auto& v : values) shape[1] = std::max<unsigned long long>(shape[1], v.size() + 1);
  MPI_Bcast(shape, 2, MPI_UNSIGNED_LONG_LONG, 0, comm);
  const auto n = static_cast<std::size_t>(shape[0]);
  const auto width = static_cast<std::size_t>(shape[1]);
  std::vector<char> buf;
  if (rank == 0) {
    buf.assign(width * std::max<std::size_t>(n, 1), '\0');
    for (std::size_t i = 0; i < n; ++i)
      std::memcpy(&buf[i * width], values[i].data(), values[i].size());
  }
  Handle type = string_type(width);
  const hsize_t dims[1] = {n};
  Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle d(H5Dcreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, name);
  set_units(d, "1");
  attr_string(d, "_Encoding", "utf-8");
  if (!scalar && n == 0) return d;  // the same on every rank
  Handle fs(H5Dget_space(d), H5Sclose);
  Handle ms(H5Scopy(fs), H5Sclose);
  if (rank != 0) {
    H5_CHECK(H5Sselect_none(fs));
    H5_CHECK(H5Sselect_none(ms));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(d, type, ms, fs, dxpl, rank == 0 ? buf.data() : nullptr));
  return d;
}

// Reads a 1-D fixed-length string dataset (serial; rank 0 in read_resume_info).
std::vector<std::string> read_strings(hid_t g, const char* name) {
  Handle d(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose, name);
  Handle type(H5Dget_type(d), H5Tclose);
  Handle space(H5Dget_space(d), H5Sclose);
  const std::size_t width = H5Tget_size(type);
  const auto n = static_cast<std::size_t>(H5_CHECK(H5Sget_simple_extent_npoints(space)));
  std::vector<char> buf(width * std::max<std::size_t>(n, 1) + 1, '\0');
  Handle mem = string_type(width);
  if (n > 0) H5_CHECK(H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.emplace_back(&buf[i * width], strnlen(&buf[i * width], width));
  return out;
}

// A dataset written whole by rank 0 (small tables: calibration sweeps,
// orders, hosts): 2-D [rows, cols], or with `column` 1-D [rows], with its
// `units`; the caller attaches its dimension scales.
template <typename T>
Handle write_table(hid_t g, const char* name, hid_t file_type, hid_t mem_type,
                   const std::vector<T>& data, hsize_t rows, hsize_t cols, int rank,
                   const char* units, bool column = false) {
  const hsize_t dims[2] = {rows, cols};
  Handle space(H5Screate_simple(column ? 1 : 2, dims, nullptr), H5Sclose);
  Handle d(H5Dcreate2(g, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
           name);
  set_units(d, units);
  if (rows * (column ? 1 : cols) == 0) return d;  // the same on every rank
  Handle fs(H5Dget_space(d), H5Sclose);
  Handle ms(H5Scopy(fs), H5Sclose);
  if (rank != 0) {
    H5_CHECK(H5Sselect_none(fs));
    H5_CHECK(H5Sselect_none(ms));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(d, mem_type, ms, fs, dxpl, data.data()));
  return d;
}

Handle open_file(const std::string& path, MPI_Comm comm, bool create) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  H5_CHECK(H5Pset_all_coll_metadata_ops(fapl, true));
  H5_CHECK(H5Pset_coll_metadata_write(fapl, true));
  // The 1.8 format and later: attributes of any size (hosts of 10,000 ranks),
  // and no file-consistency flags that would stop a reader from opening the
  // file of a run that died.
  H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST));
  g_current_file = path;
  if (create)
    return Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, "H5Fcreate");
  return Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), H5Fclose, "H5Fopen");
}

}  // namespace

struct H5Stream::Impl {
  MPI_Comm comm;
  int rank = 0, ranks = 1;
  const Experiment* e = nullptr;
  RunContext ctx;
  Handle file;
  Handle strategies;
  struct Group {
    // row: the event rows' scale (events, loads); repetition: initial_loads'.
    Handle g, row, node, repetition, loads, initial;
    Columns events, rank_traffic, node_traffic;
    std::vector<double> t_initial, lookup_ns;
    std::vector<std::uint64_t> state_bytes_initial;
    std::uint32_t complete = 0;  // repetitions that completed all events
  };
  std::vector<std::pair<std::string, Group>> groups;
  Columns locks;
  Handle lock_row, bucket, latency;
  std::uint64_t events = 0;
  bool closed = false;

  Group& group(const std::string& label) {
    for (auto& [l, g] : groups)
      if (l == label) return g;
    throw std::logic_error("no strategy group " + label);
  }
  void flush() { H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL)); }
  void close() {
    if (closed) return;
    groups.clear();
    locks = Columns();
    lock_row.reset();
    bucket.reset();
    latency.reset();
    strategies.reset();
    file.reset();
    closed = true;
  }
};

H5Stream::H5Stream(std::string out, const Experiment& e, const RunContext& ctx, MPI_Comm comm,
                   bool resume)
    : impl_(std::make_unique<Impl>()), out_(std::move(out)), path_(partial_name(out_)) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // one line of our own instead of HDF5's stack
  Impl& s = *impl_;
  s.comm = comm;
  MPI_Comm_rank(comm, &s.rank);
  MPI_Comm_size(comm, &s.ranks);
  s.e = &e;
  s.ctx = ctx;
  s.file = open_file(path_, comm, !resume);
  if (!resume) return;  // begin_run lays out the file

  // Resume: open every group and drop the rows of runs that did not complete.
  s.strategies = Handle(H5Gopen2(s.file, "strategies", H5P_DEFAULT), H5Gclose, "strategies");
  const hsize_t E = e.timeline.size();
  for (const auto& spec : e.strategies) {
    Impl::Group g;
    g.g = Handle(H5Gopen2(s.strategies, spec.label.c_str(), H5P_DEFAULT), H5Gclose, "group");
    g.row = Handle(H5Dopen2(g.g, "row", H5P_DEFAULT), H5Dclose, "row");
    g.repetition = Handle(H5Dopen2(g.g, "repetition", H5P_DEFAULT), H5Dclose, "repetition");
    g.events.open(g.g, "events", event_fields(), nullptr);
    g.loads = Handle(H5Dopen2(g.g, "loads", H5P_DEFAULT), H5Dclose, "loads");
    g.rank_traffic.open(g.g, "rank_traffic", traffic_fields(), "traffic_row");
    g.node_traffic.open(g.g, "node_traffic", traffic_fields(), "traffic_row");
    g.initial = Handle(H5Dopen2(g.g, "initial_loads", H5P_DEFAULT), H5Dclose, "initial_loads");
    const auto done =
        read_attr_array<std::uint32_t>(g.g, "repetitions_completed", H5T_NATIVE_UINT32);
    g.complete = done.empty() ? 0 : done[0];
    g.t_initial = read_attr_array<double>(g.g, "t_initial", H5T_NATIVE_DOUBLE);
    g.lookup_ns = read_attr_array<double>(g.g, "lookup_ns", H5T_NATIVE_DOUBLE);
    g.state_bytes_initial =
        read_attr_array<std::uint64_t>(g.g, "state_bytes_initial", H5T_NATIVE_UINT64);
    g.t_initial.resize(g.complete);
    g.lookup_ns.resize(g.complete);
    g.state_bytes_initial.resize(g.complete);
    // Every column of a table, and the scales, cut to the same rows.
    g.events.resize(g.complete * E);
    set_rows(g.row, g.complete * E);
    set_rows(g.loads, g.complete * E);
    // The traffic tables' rows of the completed repetitions, as end_strategy
    // recorded them.
    const auto rank_rows =
        read_attr_array<std::uint64_t>(g.g, "rank_traffic_rows", H5T_NATIVE_UINT64);
    const auto node_rows =
        read_attr_array<std::uint64_t>(g.g, "node_traffic_rows", H5T_NATIVE_UINT64);
    g.rank_traffic.resize(rank_rows.empty() ? 0 : rank_rows[0]);
    g.node_traffic.resize(node_rows.empty() ? 0 : node_rows[0]);
    set_rows(g.initial, g.complete);
    set_rows(g.repetition, g.complete);
    s.events += g.complete * E;
    s.groups.emplace_back(spec.label, std::move(g));
  }
  if (H5_CHECK(H5Lexists(s.file, "locks", H5P_DEFAULT)) > 0) {
    Handle lg(H5Gopen2(s.file, "locks", H5P_DEFAULT), H5Gclose, "locks");
    s.locks.open(lg, "results", lock_fields(), nullptr);
    s.lock_row = Handle(H5Dopen2(lg, "row", H5P_DEFAULT), H5Dclose, "locks/row");
    s.latency =
        Handle(H5Dopen2(lg, "latency_histogram", H5P_DEFAULT), H5Dclose, "locks/latency_histogram");
    s.locks.resize(0);  // the lock suite runs again after the events
    set_rows(s.lock_row, 0);
    set_rows(s.latency, 0);
  }
  attr_scalar(s.file, "events_completed", H5T_NATIVE_UINT64, s.events);
  attr_string(s.file, "resumed_by", ctx.command_line);
  s.flush();
}

H5Stream::~H5Stream() {
  // Reached on every rank together (a normal end, or a verification failure
  // raised on every rank); an error on one rank aborts without unwinding.
  if (impl_) impl_->close();
}

void H5Stream::begin_run(const RunStart& start) {
  Impl& s = *impl_;
  const Experiment& e = *s.e;
  const hid_t f = s.file;
  if (!s.groups.empty()) {  // resumed: the layout is there
    attr_scalar(f, "partial", H5T_NATIVE_INT32, std::int32_t{1});
    s.flush();
    return;
  }
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  std::string overrides;
  for (const auto& o : e.overrides) overrides += (overrides.empty() ? "" : "\n") + o;

  attr_scalar(f, "schema_version", H5T_NATIVE_INT32, static_cast<std::int32_t>(kSchemaVersion));
  attr_string(f, "ringsim_version", std::string(version()));
  attr_string(f, "git_commit", std::string(git_commit()));
  attr_string(f, "experiment_name", e.name);
  attr_string(f, "experiment_source", e.source);
  attr_string(f, "overrides", overrides);
  attr_string(f, "command_line", s.ctx.command_line);
  attr_string(f, "launcher", s.ctx.launcher);
  attr_string(f, "start_time", s.ctx.start_time);
  attr_scalar(f, "ranks", H5T_NATIVE_INT32, static_cast<std::int32_t>(s.ranks));
  attr_string(f, "mpi_version", s.ctx.mpi_version);
  attr_string(f, "hdf5_version",
              std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel));
  attr_scalar(f, "nodes", H5T_NATIVE_UINT32, e.nodes);
  attr_scalar(f, "initial_nodes", H5T_NATIVE_UINT32, e.initial);
  attr_scalar(f, "replicas", H5T_NATIVE_UINT32, e.replicas);
  attr_string(f, "mapping", e.mapping);
  attr_string(f, "exchange", e.exchange);
  attr_scalar(f, "keys_count", H5T_NATIVE_UINT64, e.keys.count);
  attr_scalar(f, "key_bytes", H5T_NATIVE_UINT64, std::uint64_t{8});
  attr_scalar(
      f, "value_bytes", H5T_NATIVE_UINT64,
      e.keys.variable_values() ? std::uint64_t{0} : static_cast<std::uint64_t>(e.keys.value_bytes));
  // Values of variable size: record_bytes is 0 (records differ), value_bytes
  // is 0 and value_bytes_total is the sum of every key's size.
  const bool variable = e.keys.variable_values();
  const ValueSizeSpec& vs = e.keys.value_size;
  attr_scalar(f, "record_bytes", H5T_NATIVE_UINT64,
              variable
                  ? std::uint64_t{0}
                  : static_cast<std::uint64_t>(8 + e.keys.value_bytes + (e.replicas > 1 ? 1 : 0)));
  attr_string(f, "value_size_distribution", to_string(vs.distribution));
  attr_scalar(f, "value_size_min", H5T_NATIVE_UINT64, variable ? vs.min : std::uint64_t{0});
  attr_scalar(f, "value_size_max", H5T_NATIVE_UINT64, variable ? vs.max : std::uint64_t{0});
  attr_scalar(f, "value_size_mean", H5T_NATIVE_DOUBLE,
              vs.distribution == ValueSizeDistribution::kLognormal ||
                      vs.distribution == ValueSizeDistribution::kPareto
                  ? vs.mean
                  : 0.0);
  attr_scalar(f, "value_size_sigma", H5T_NATIVE_DOUBLE,
              vs.distribution == ValueSizeDistribution::kLognormal ? vs.sigma : 0.0);
  attr_scalar(f, "value_size_alpha", H5T_NATIVE_DOUBLE,
              vs.distribution == ValueSizeDistribution::kPareto ? vs.alpha : 0.0);
  attr_scalar(f, "value_bytes_total", H5T_NATIVE_UINT64, start.value_bytes_total);
  attr_scalar(f, "seed", H5T_NATIVE_UINT64, e.keys.seed);
  attr_string(f, "key_distribution", to_string(e.keys.distribution));
  attr_string(f, "key_file", e.keys.file);
  attr_scalar(f, "zipf_exponent", H5T_NATIVE_DOUBLE,
              e.keys.distribution == KeyDistribution::kZipf ? e.keys.zipf_exponent : 0.0);
  attr_scalar(f, "verified", H5T_NATIVE_INT32, static_cast<std::int32_t>(e.verify));
  attr_scalar(f, "repetitions", H5T_NATIVE_UINT32, e.repetitions);
  attr_scalar(f, "floor_repeats", H5T_NATIVE_UINT32, e.floor_repeats);
  attr_scalar(f, "order_dependence", H5T_NATIVE_INT32,
              static_cast<std::int32_t>(e.order_dependence));
  attr_string(f, "processing_lock", e.processing.enabled() ? e.processing.lock : "");
  attr_string(f, "processing_keys", e.processing.enabled() ? e.processing.keys : "");
  attr_scalar(f, "processing_updates", H5T_NATIVE_UINT64, e.processing.updates);
  attr_scalar(f, "partial", H5T_NATIVE_INT32, std::int32_t{1});
  attr_scalar(f, "events_completed", H5T_NATIVE_UINT64, std::uint64_t{0});
  attr_string(f, "compression", e.compress ? "deflate-4, chunks of one event" : "none");

  // Anything whose size grows with the experiment or the job is a dataset:
  // attributes stay small whatever the rank count.
  write_strings(f, "experiment_text", {e.text}, s.comm, true);

  // The machine: each host once (name, ranks, hardware threads), each rank's
  // host index, oversubscription.
  const HostInfo& h = start.host;
  attr_scalar(f, "host_count", H5T_NATIVE_INT32, static_cast<std::int32_t>(h.hosts));
  attr_scalar(f, "oversubscribed", H5T_NATIVE_INT32, static_cast<std::int32_t>(h.oversubscribed));
  attr_string(f, "cpu_model", h.cpu_model);
  {
    // From the host name of every rank (rank 0's copy): the hosts in order of
    // their lowest rank, as host_info() numbers them, and each rank's host.
    std::vector<std::string> names;
    std::vector<int> host_of_rank, ranks_per_host;
    if (s.rank == 0) {
      std::unordered_map<std::string, int> index;
      for (const auto& name : s.ctx.hosts) {
        auto [it, fresh] = index.emplace(name, static_cast<int>(names.size()));
        if (fresh) {
          names.push_back(name);
          ranks_per_host.push_back(0);
        }
        host_of_rank.push_back(it->second);
        ++ranks_per_host[static_cast<std::size_t>(it->second)];
      }
    }
    unsigned long long counts[2] = {names.size(), host_of_rank.size()};
    MPI_Bcast(counts, 2, MPI_UNSIGNED_LONG_LONG, 0, s.comm);
    Handle hg(H5Gcreate2(f, "hosts", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "hosts");
    Handle host = index_scale(hg, "host", counts[0], s.rank);
    attach(write_strings(hg, "name", names, s.comm), {host});
    attach(write_table(hg, "ranks", H5T_STD_I32LE, H5T_NATIVE_INT, ranks_per_host, counts[0], 0,
                       s.rank, "ranks", true),
           {host});
    // Hardware threads per host as host_info() counted them (its hosts are
    // the same groups when every host has a name of its own).
    if (h.threads_per_host.size() == counts[0])
      attach(write_table(hg, "threads", H5T_STD_I32LE, H5T_NATIVE_INT, h.threads_per_host,
                         counts[0], 0, s.rank, "threads", true),
             {host});
    Handle rg(H5Gcreate2(f, "ranks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "ranks");
    Handle rank = index_scale(rg, "rank", counts[1], s.rank);
    attach(write_table(rg, "host", H5T_STD_I32LE, H5T_NATIVE_INT, host_of_rank, counts[1], 0,
                       s.rank, "1", true),
           {rank});
    // The provenance (src/engine/provenance.hpp): root attributes, each
    // host's online CPUs and memory, rank 0's MPI and Slurm environment.
    const Provenance& p = s.ctx.provenance;
    attr_scalar(f, "git_dirty", H5T_NATIVE_INT32, static_cast<std::int32_t>(p.git_dirty));
    attr_string(f, "build_type", p.build_type);
    attr_string(f, "compiler", p.compiler);
    attr_string(f, "compiler_flags", p.compiler_flags);
    attr_string(f, "os", p.os);
    attr_string(f, "os_release", p.os_release);
    for (const auto& [library, v] : p.libraries)
      if (library != "mpi" && library != "hdf5")  // those two: mpi_version, hdf5_version
        attr_string(f, (library + "_version").c_str(), v);
    std::string environment;  // one NAME=value per line, like "overrides"
    for (const auto& v : p.environment) environment += (environment.empty() ? "" : "\n") + v;
    attr_string(f, "environment", environment);
    if (p.online_cpus_per_host.size() == counts[0]) {  // the same host groups as /hosts/name
      attach(write_table(hg, "online_cpus", H5T_STD_I32LE, H5T_NATIVE_INT, p.online_cpus_per_host,
                         counts[0], 0, s.rank, "CPUs", true),
             {host});
      attach(write_table(hg, "mem_total_bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                         p.mem_total_per_host, counts[0], 0, s.rank, "bytes", true),
             {host});
    }
  }

  // The network the projection assumes: given in [network], else calibrated.
  const Calibration& c = start.calibration;
  const ProjectionNetwork net = projection_network(e, c);
  attr_scalar(f, "network_bandwidth", H5T_NATIVE_DOUBLE, net.bandwidth);
  attr_scalar(f, "network_latency", H5T_NATIVE_DOUBLE, net.latency);
  attr_string(f, "network_source", net.source);
  {
    Handle cg(H5Gcreate2(f, "calibration", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
              "calibration");
    attr_scalar(cg, "memcpy_bytes_per_s", H5T_NATIVE_DOUBLE, c.memcpy_bytes_per_s);
    attr_scalar(cg, "alpha_intra", H5T_NATIVE_DOUBLE, c.alpha_intra);
    attr_scalar(cg, "beta_intra", H5T_NATIVE_DOUBLE, c.beta_intra);
    attr_scalar(cg, "alpha_inter", H5T_NATIVE_DOUBLE, c.alpha_inter);
    attr_scalar(cg, "beta_inter", H5T_NATIVE_DOUBLE, c.beta_inter);
    attr_scalar(cg, "alltoall_alpha", H5T_NATIVE_DOUBLE, c.alltoall_alpha);
    attr_scalar(cg, "alltoall_beta", H5T_NATIVE_DOUBLE, c.alltoall_beta);
    attr_scalar(cg, "hosts", H5T_NATIVE_INT32, static_cast<std::int32_t>(c.hosts));
    attr_scalar(cg, "seconds", H5T_NATIVE_DOUBLE, c.seconds);
    // The sweeps: [points, 2], a row per message size, the columns named by
    // the scale `quantity` (message_bytes, seconds).
    Handle quantity = write_strings(cg, "quantity", {"message_bytes", "seconds"}, s.comm);
    make_scale(quantity, "quantity");
    auto table = [&](const char* name, const char* point, const auto& points) {
      std::vector<double> v;
      for (const auto& [bytes, sec] : points) {
        v.push_back(static_cast<double>(bytes));
        v.push_back(sec);
      }
      Handle scale = index_scale(cg, point, points.size(), s.rank);
      attach(write_table(cg, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, points.size(), 2, s.rank,
                         "bytes, s"),
             {scale, quantity});
    };
    table("pingpong", "pingpong_point", c.pingpong);
    table("alltoall", "alltoall_point", c.alltoall);
  }

  s.strategies =
      Handle(H5Gcreate2(f, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group");
  std::vector<std::string> order;
  for (const auto& spec : e.strategies) order.push_back(spec.label);
  {
    Handle strategy = index_scale(s.strategies, "strategy", order.size(), s.rank);
    attach(write_strings(s.strategies, "order", order, s.comm), {strategy});
    std::vector<std::uint32_t> run_order;
    for (const auto& o : start.order) run_order.insert(run_order.end(), o.begin(), o.end());
    Handle repetition = index_scale(s.strategies, "repetition", start.order.size(), s.rank);
    Handle position = index_scale(s.strategies, "position", e.strategies.size(), s.rank);
    attach(write_table(s.strategies, "run_order", H5T_STD_U32LE, H5T_NATIVE_UINT32, run_order,
                       start.order.size(), e.strategies.size(), s.rank, "1"),
           {repetition, position});
  }
  const hsize_t N = e.nodes;
  for (const auto& spec : e.strategies) {
    Impl::Group g;
    g.g =
        Handle(H5Gcreate2(s.strategies, spec.label.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose, "group");
    attr_string(g.g, "strategy", spec.params.strategy());
    attr_string(g.g, "params", spec.params.text());
    attr_string(g.g, "order_dependence",
                !e.order_dependence                    ? "off"
                : spec.traits.removal == Removal::kAny ? "on"
                                                       : "not applicable");
    attr_array(g.g, "repetitions_completed", H5T_STD_U32LE, H5T_NATIVE_UINT32,
               std::vector<std::uint32_t>{0});
    attr_array(g.g, "t_initial", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, g.t_initial);
    attr_array(g.g, "lookup_ns", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, g.lookup_ns);
    attr_array(g.g, "state_bytes_initial", H5T_STD_U64LE, H5T_NATIVE_UINT64, g.state_bytes_initial);
    // The event rows are one dimension, `row`, of the events table and the
    // loads; the traffic tables have rows of their own (`traffic_row`).
    g.row = row_scale(g.g, "row", kEventChunk, false);
    g.node = index_scale(g.g, "node", N, s.rank);
    g.repetition = row_scale(g.g, "repetition", 16, false);
    g.events.create(g.g, "events", event_fields(), kEventChunk, false, g.row, nullptr);
    g.loads = create_rows(g.g, "loads", H5T_STD_U64LE, {N}, e.compress);
    set_units(g.loads, "records");
    attach(g.loads, {g.row, g.node});
    g.rank_traffic.create(g.g, "rank_traffic", traffic_fields(), kTrafficChunk, e.compress, -1,
                          "traffic_row");
    g.node_traffic.create(g.g, "node_traffic", traffic_fields(), kTrafficChunk, e.compress, -1,
                          "traffic_row");
    g.initial = create_rows(g.g, "initial_loads", H5T_STD_U64LE, {N}, e.compress);
    set_units(g.initial, "records");
    attach(g.initial, {g.repetition, g.node});
    s.groups.emplace_back(spec.label, std::move(g));
  }
  if (e.has_locks) {
    Handle lg(H5Gcreate2(f, "locks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "locks");
    // `row` is the dimension of the results table and the histograms' rows.
    s.lock_row = row_scale(lg, "row", 64, false);
    s.bucket = index_scale(lg, "bucket", LatencyHistogram::kBuckets, s.rank);
    s.locks.create(lg, "results", lock_fields(), 64, false, s.lock_row, nullptr);
    s.latency =
        create_rows(lg, "latency_histogram", H5T_STD_U64LE, {LatencyHistogram::kBuckets}, true);
    set_units(s.latency, "acquisitions");
    attach(s.latency, {s.lock_row, s.bucket});
    attr_scalar(s.latency, "min_exponent", H5T_NATIVE_INT32,
                static_cast<std::int32_t>(LatencyHistogram::kMinExponent));
    attr_scalar(s.latency, "sub_buckets", H5T_NATIVE_INT32,
                static_cast<std::int32_t>(LatencyHistogram::kSubBuckets));
    attr_string(s.latency, "unit", "us");
  }
  s.flush();
}

void H5Stream::begin_strategy(const StrategyStart& st) {
  Impl& s = *impl_;
  Impl::Group& g = s.group(st.result->label);
  g.t_initial.push_back(st.result->t_initial);
  g.lookup_ns.push_back(st.result->lookup_ns);
  g.state_bytes_initial.push_back(st.result->state_bytes_initial);
  attr_array(g.g, "t_initial", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, g.t_initial);
  attr_array(g.g, "lookup_ns", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, g.lookup_ns);
  attr_array(g.g, "state_bytes_initial", H5T_STD_U64LE, H5T_NATIVE_UINT64, g.state_bytes_initial);
  const hsize_t rep = rows_of(g.initial);
  append_row(g.initial, H5T_NATIVE_UINT64, st.initial_loads->data(), s.rank == 0);
  extend_scale(g.repetition, rep, 1, s.rank, Io::kIndependent);
  s.flush();
}

void H5Stream::event(const EventOutput& ev) {
  Impl& s = *impl_;
  Impl::Group& g = s.group(*ev.label);
  const EventRow row = to_row(*ev.record);
  const std::uint64_t index = g.events.rows();
  const bool writer = s.rank == 0;
  g.events.append(&row, sizeof row, writer ? 1 : 0, 0, 1, s.rank);
  extend_scale(g.row, index, 1, s.rank, Io::kIndependent);
  write_rows(g.loads, H5T_NATIVE_UINT64, ev.loads->data(), index, 0, writer ? 1 : 0, 1,
             s.e->compress ? Io::kCollective : Io::kIndependent);
  // Each rank's traffic rows after those of the lower ranks: both tables'
  // counts in one scan and one sum.
  std::vector<TrafficFileRow> rows[2];
  const std::vector<TrafficRow>* tables[2] = {ev.rank_traffic, ev.node_traffic};
  std::uint64_t n[2] = {}, offset[2] = {}, total[2] = {};
  for (int t = 0; t < 2; ++t) {
    if (tables[t])
      for (const TrafficRow& r : *tables[t])
        rows[t].push_back({index, r.from, r.to, r.records, r.bytes});
    n[t] = rows[t].size();
  }
  MPI_Exscan(n, offset, 2, MPI_UINT64_T, MPI_SUM, s.comm);
  if (s.rank == 0) offset[0] = offset[1] = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Allreduce(n, total, 2, MPI_UINT64_T, MPI_SUM, s.comm);
  Columns* out[2] = {&g.rank_traffic, &g.node_traffic};
  for (int t = 0; t < 2; ++t)
    out[t]->append(rows[t].data(), sizeof(TrafficFileRow), n[t], offset[t], total[t], s.rank);
  ++s.events;
  attr_scalar(s.file, "events_completed", H5T_NATIVE_UINT64, s.events);
  s.flush();
}

void H5Stream::end_strategy(const StrategyResult& r) {
  Impl& s = *impl_;
  Impl::Group& g = s.group(r.label);
  ++g.complete;
  attr_array(g.g, "repetitions_completed", H5T_STD_U32LE, H5T_NATIVE_UINT32,
             std::vector<std::uint32_t>{g.complete});
  attr_scalar(g.g, "rank_traffic_rows", H5T_NATIVE_UINT64,
              static_cast<std::uint64_t>(g.rank_traffic.rows()));
  attr_scalar(g.g, "node_traffic_rows", H5T_NATIVE_UINT64,
              static_cast<std::uint64_t>(g.node_traffic.rows()));
  s.flush();
}

void H5Stream::lock_result(const LockBenchResult& l) {
  Impl& s = *impl_;
  if (!s.lock_row.valid()) return;
  LockRow w{};
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
  w.latency_min_us = l.latency.min();
  w.reads = l.reads;
  w.read_acquisitions = l.read_acquisitions;
  w.write_acquisitions = l.write_acquisitions;
  w.latency_p90_us = l.latency_p90_us;
  w.fairness_cv = l.fairness_cv;
  w.oversubscribed = l.oversubscribed ? 1 : 0;
  w.counters_ok = l.counters_ok ? 1 : 0;
  w.ranks_per_host = static_cast<std::uint32_t>(l.ranks_per_host);
  w.cohort_handoffs = static_cast<std::uint32_t>(l.cohort_handoffs);
  const hsize_t index = s.locks.rows();
  s.locks.append(&w, sizeof w, s.rank == 0 ? 1 : 0, 0, 1, s.rank);
  extend_scale(s.lock_row, index, 1, s.rank, Io::kIndependent);
  // The merged latency histogram of the row, so that any percentile can be
  // read off later (analysis/stats.py histogram_percentile).
  std::vector<std::uint64_t> counts = l.latency.counts();
  counts.resize(LatencyHistogram::kBuckets, 0);
  write_rows(s.latency, H5T_NATIVE_UINT64, counts.data(), index, 0, s.rank == 0 ? 1 : 0, 1);
  s.flush();
}

void H5Stream::end_run(const RunEnd& end) {
  Impl& s = *impl_;
  const RunResult& r = *end.result;
  const hid_t f = s.file;
  attr_scalar(f, "partial", H5T_NATIVE_INT32, static_cast<std::int32_t>(r.partial));
  attr_scalar(f, "events_completed", H5T_NATIVE_UINT64, s.events);
  attr_scalar(f, "wall_seconds", H5T_NATIVE_DOUBLE, r.wall_seconds);
  attr_scalar(f, "write_seconds", H5T_NATIVE_DOUBLE, r.write_seconds);
  {
    // Each rank's peak memory, read after everything else is written.
    Handle rg(H5Gopen2(f, "ranks", H5P_DEFAULT), H5Gclose, "ranks");
    write_per_rank(rg, "peak_rss_bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, peak_rss_bytes(), s.comm,
                   "bytes", "rank");
  }
  s.close();  // every handle, the file last: collective
  if (r.partial) return;
  MPI_Barrier(s.comm);
  int ok = 1;
  std::string why;
  if (s.rank == 0 && std::rename(path_.c_str(), out_.c_str()) != 0) {
    ok = 0;
    why = std::strerror(errno);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, s.comm);
  if (!ok) throw std::runtime_error("cannot rename " + path_ + " to " + out_ + ": " + why);
  path_ = out_;
}

void H5Stream::discard() {
  impl_->close();
  MPI_Barrier(impl_->comm);
  if (impl_->rank == 0) std::remove(path_.c_str());
}

ResumeInfo read_resume_info(const std::string& partial_path, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ResumeInfo info;
  std::string error;
  std::vector<char> blob;
  if (rank == 0) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t f = H5Fopen(partial_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
      error = "--resume: cannot open " + partial_path + " as an HDF5 file";
    } else {
      Handle file(f, H5Fclose);
      if (read_attr_array<std::int32_t>(file, "schema_version", H5T_NATIVE_INT32) !=
          std::vector<std::int32_t>{kSchemaVersion}) {
        error = "--resume: " + partial_path + " is not a ringsim result of schema version " +
                std::to_string(kSchemaVersion);
      } else if (read_attr_array<std::int32_t>(file, "partial", H5T_NATIVE_INT32) !=
                 std::vector<std::int32_t>{1}) {
        error = "--resume: " + partial_path + " is a complete run, nothing to resume";
      } else {
        info.experiment_text = read_strings(file, "experiment_text").at(0);
        info.overrides = read_attr_string(file, "overrides");
        info.git_commit = read_attr_string(file, "git_commit");
        const auto r = read_attr_array<std::int32_t>(file, "ranks", H5T_NATIVE_INT32);
        info.ranks = r.empty() ? 0 : r[0];
        Handle g(H5Gopen2(file, "strategies", H5P_DEFAULT), H5Gclose, "strategies");
        // The labels in order, each with its completed repetition count.
        std::vector<std::string> labels;
        if (H5_CHECK(H5Lexists(g, "order", H5P_DEFAULT)) > 0) labels = read_strings(g, "order");
        for (const auto& label : labels) {
          Handle sg(H5Gopen2(g, label.c_str(), H5P_DEFAULT), H5Gclose, "group");
          const auto done =
              read_attr_array<std::uint32_t>(sg, "repetitions_completed", H5T_NATIVE_UINT32);
          for (std::uint32_t k = 0; k < (done.empty() ? 0u : done[0]); ++k)
            info.complete.emplace_back(k, label);
        }
      }
    }
    // Serialise: error \0 text \0 overrides \0 ranks \0 (rep label)*.
    std::string s = error + '\0' + info.experiment_text + '\0' + info.overrides + '\0' +
                    std::to_string(info.ranks) + '\0' + info.git_commit + '\0';
    for (const auto& [k, l] : info.complete) s += std::to_string(k) + '\0' + l + '\0';
    blob.assign(s.begin(), s.end());
  }
  int n = static_cast<int>(blob.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, comm);
  blob.resize(static_cast<std::size_t>(n));
  MPI_Bcast(blob.data(), n, MPI_CHAR, 0, comm);
  std::vector<std::string> parts;
  std::string cur;
  for (char c : blob) {
    if (c == '\0') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (parts.size() < 5) throw Error("--resume: cannot read " + partial_path);
  if (!parts[0].empty()) throw Error(parts[0]);
  info.experiment_text = parts[1];
  info.overrides = parts[2];
  info.ranks = std::stoi(parts[3]);
  info.git_commit = parts[4];
  info.complete.clear();
  for (std::size_t i = 5; i + 1 < parts.size(); i += 2)
    info.complete.emplace_back(static_cast<std::uint32_t>(std::stoul(parts[i])), parts[i + 1]);
  return info;
}

}  // namespace ringsim
