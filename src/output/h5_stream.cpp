#include "output/h5_stream.hpp"

#include <hdf5.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
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

void attr_string(hid_t obj, const char* name, const std::string& value) {
  drop_attr(obj, name);
  Handle type = string_type(value.size() + 1);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  H5_CHECK(H5Awrite(a, type, value.c_str()));
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

// In-memory row of the `events` compound dataset.
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
  double primary_peak_to_mean, load_chi2;
  std::uint32_t load_chi2_dof;
  double load_chi2_p, random_peak_to_mean, random_peak_to_mean_se;
  std::uint8_t balance_few_keys;
  double t_balance;
  std::int64_t order_keys_differ;
  double order_fraction_differ, t_order;
};

Handle event_type() {
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(EventRow)), H5Tclose);
  Handle kind = string_type(sizeof(EventRow::kind));
  Handle detail = string_type(sizeof(EventRow::detail));
#define FIELD(name, type) H5_CHECK(H5Tinsert(t, #name, HOFFSET(EventRow, name), type))
#define U64(name) FIELD(name, H5T_NATIVE_UINT64)
#define F64(name) FIELD(name, H5T_NATIVE_DOUBLE)
  FIELD(repetition, H5T_NATIVE_UINT32);
  FIELD(event, H5T_NATIVE_UINT32);
  FIELD(kind, kind);
  FIELD(detail, detail);
  FIELD(nodes_before, H5T_NATIVE_UINT32);
  FIELD(nodes_after, H5T_NATIVE_UINT32);
  U64(keys_total);
  U64(keys_moved);
  U64(keys_ideal);
  U64(keys_min);
  U64(keys_moved_by_load);
  U64(keys_lost);
  U64(keys_duplicated);
  U64(replicas_created);
  U64(bytes_moved);
  U64(bytes_exchanged);
  U64(bytes_rereplicated);
  F64(t_update);
  F64(t_plan);
  F64(t_counts);
  F64(t_pack);
  F64(t_exchange);
  F64(t_apply);
  F64(t_migrate);
  F64(t_verify);
  F64(imb_plan);
  F64(imb_counts);
  F64(imb_pack);
  F64(imb_exchange);
  F64(imb_apply);
  F64(t_exchange_floor_min);
  F64(t_exchange_floor_median);
  F64(t_exchange_model);
  F64(t_pack_bound);
  F64(t_apply_bound);
  F64(t_plan_bound);
  F64(t_projected);
  U64(load_max);
  F64(load_mean);
  F64(load_peak_to_mean);
  F64(load_cv);
  F64(request_peak_to_mean);
  F64(request_cv);
  U64(state_bytes);
  U64(updates);
  U64(update_reads);
  U64(updates_missed);
  F64(t_process);
  F64(update_p50_us);
  F64(update_p99_us);
  F64(update_max_us);
  F64(t_process_verify);
  F64(primary_peak_to_mean);
  F64(load_chi2);
  FIELD(load_chi2_dof, H5T_NATIVE_UINT32);
  F64(load_chi2_p);
  F64(random_peak_to_mean);
  F64(random_peak_to_mean_se);
  FIELD(balance_few_keys, H5T_NATIVE_UINT8);
  F64(t_balance);
  FIELD(order_keys_differ, H5T_NATIVE_INT64);
  F64(order_fraction_differ);
  F64(t_order);
#undef F64
#undef U64
#undef FIELD
  return t;
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
};

Handle lock_type() {
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
  LFIELD(latency_min_us, H5T_NATIVE_DOUBLE);
#undef LFIELD
  return t;
}

// One row of a strategy's rank_traffic / node_traffic table: `row` is the
// index of the event's row in the group's `events`.
struct TrafficFileRow {
  std::uint64_t row;
  std::uint32_t from, to;
  std::uint64_t records, bytes;
};

Handle traffic_type() {
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(TrafficFileRow)), H5Tclose);
#define TFIELD(name, type) H5_CHECK(H5Tinsert(t, #name, HOFFSET(TrafficFileRow, name), type))
  TFIELD(row, H5T_NATIVE_UINT64);
  TFIELD(from, H5T_NATIVE_UINT32);
  TFIELD(to, H5T_NATIVE_UINT32);
  TFIELD(records, H5T_NATIVE_UINT64);
  TFIELD(bytes, H5T_NATIVE_UINT64);
#undef TFIELD
  return t;
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

// Collective: appends one row, written by the `writer` rank; the others
// write nothing but take part.
void append_row(hid_t dset, hid_t mem_type, const void* data, bool writer) {
  const hsize_t row = rows_of(dset);
  set_rows(dset, row + 1);
  Handle file_space(H5Dget_space(dset), H5Sclose);
  const int nd = H5_CHECK(H5Sget_simple_extent_ndims(file_space));
  std::vector<hsize_t> dims(static_cast<std::size_t>(nd)), start(dims.size(), 0),
      count(dims.size());
  H5_CHECK(H5Sget_simple_extent_dims(file_space, dims.data(), nullptr));
  count = dims;
  start[0] = row;
  count[0] = 1;
  Handle mem_space(H5Screate_simple(nd, count.data(), nullptr), H5Sclose);
  if (writer) {
    H5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                 nullptr));
  } else {
    H5_CHECK(H5Sselect_none(file_space));
    H5_CHECK(H5Sselect_none(mem_space));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(dset, mem_type, mem_space, file_space, dxpl, data));
}

// Collective: appends `n` rows of `data` from every rank, rank after rank
// (each rank's block contiguous, at the offset MPI_Exscan gives); ranks with
// n = 0 take part. 64-bit row counts throughout.
void append_rows(hid_t dset, hid_t mem_type, const void* data, std::uint64_t n, MPI_Comm comm) {
  std::uint64_t offset = 0, total = 0;
  MPI_Exscan(&n, &offset, 1, MPI_UINT64_T, MPI_SUM, comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) offset = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Allreduce(&n, &total, 1, MPI_UINT64_T, MPI_SUM, comm);
  if (total == 0) return;  // the same on every rank
  const hsize_t row = rows_of(dset);
  set_rows(dset, row + total);
  Handle file_space(H5Dget_space(dset), H5Sclose);
  const hsize_t start[1] = {row + offset}, count[1] = {n};
  Handle mem_space(H5Screate_simple(1, count, nullptr), H5Sclose);
  if (n > 0) {
    H5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr));
  } else {
    H5_CHECK(H5Sselect_none(file_space));
    H5_CHECK(H5Sselect_none(mem_space));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(dset, mem_type, mem_space, file_space, dxpl, data));
}

// Collective: a 1-D dataset of one entry per rank, each rank writing its own.
template <typename T>
void write_per_rank(hid_t g, const char* name, hid_t file_type, hid_t mem_type, T value,
                    MPI_Comm comm) {
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
// other ranks' are ignored.
void write_strings(hid_t g, const char* name, const std::vector<std::string>& values, MPI_Comm comm,
                   bool scalar = false) {
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
  if (!scalar && n == 0) return;  // the same on every rank
  Handle fs(H5Dget_space(d), H5Sclose);
  Handle ms(H5Scopy(fs), H5Sclose);
  if (rank != 0) {
    H5_CHECK(H5Sselect_none(fs));
    H5_CHECK(H5Sselect_none(ms));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(d, type, ms, fs, dxpl, rank == 0 ? buf.data() : nullptr));
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
// orders, hosts): 2-D [rows, cols], or with `column` 1-D [rows].
template <typename T>
void write_table(hid_t g, const char* name, hid_t file_type, hid_t mem_type,
                 const std::vector<T>& data, hsize_t rows, hsize_t cols, int rank,
                 bool column = false) {
  const hsize_t dims[2] = {rows, cols};
  Handle space(H5Screate_simple(column ? 1 : 2, dims, nullptr), H5Sclose);
  Handle d(H5Dcreate2(g, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
           name);
  if (rows * (column ? 1 : cols) == 0) return;  // the same on every rank
  Handle fs(H5Dget_space(d), H5Sclose);
  Handle ms(H5Scopy(fs), H5Sclose);
  if (rank != 0) {
    H5_CHECK(H5Sselect_none(fs));
    H5_CHECK(H5Sselect_none(ms));
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  H5_CHECK(H5Dwrite(d, mem_type, ms, fs, dxpl, data.data()));
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
  Handle etype, ltype, ttype;
  struct Group {
    Handle g, events, loads, rank_traffic, node_traffic, initial;
    std::vector<double> t_initial, lookup_ns;
    std::vector<std::uint64_t> state_bytes_initial;
    std::uint32_t complete = 0;  // repetitions that completed all events
  };
  std::vector<std::pair<std::string, Group>> groups;
  Handle locks, latency;
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
    locks.reset();
    latency.reset();
    strategies.reset();
    etype.reset();
    ltype.reset();
    ttype.reset();
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
  s.etype = event_type();
  s.ltype = lock_type();
  s.ttype = traffic_type();
  s.file = open_file(path_, comm, !resume);
  if (!resume) return;  // begin_run lays out the file

  // Resume: open every group and drop the rows of runs that did not complete.
  s.strategies = Handle(H5Gopen2(s.file, "strategies", H5P_DEFAULT), H5Gclose, "strategies");
  const hsize_t E = e.timeline.size();
  for (const auto& spec : e.strategies) {
    Impl::Group g;
    g.g = Handle(H5Gopen2(s.strategies, spec.label.c_str(), H5P_DEFAULT), H5Gclose, "group");
    g.events = Handle(H5Dopen2(g.g, "events", H5P_DEFAULT), H5Dclose, "events");
    g.loads = Handle(H5Dopen2(g.g, "loads", H5P_DEFAULT), H5Dclose, "loads");
    g.rank_traffic = Handle(H5Dopen2(g.g, "rank_traffic", H5P_DEFAULT), H5Dclose, "rank_traffic");
    g.node_traffic = Handle(H5Dopen2(g.g, "node_traffic", H5P_DEFAULT), H5Dclose, "node_traffic");
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
    set_rows(g.events, g.complete * E);
    set_rows(g.loads, g.complete * E);
    // The traffic tables' rows of the completed repetitions, as end_strategy
    // recorded them.
    const auto rank_rows =
        read_attr_array<std::uint64_t>(g.g, "rank_traffic_rows", H5T_NATIVE_UINT64);
    const auto node_rows =
        read_attr_array<std::uint64_t>(g.g, "node_traffic_rows", H5T_NATIVE_UINT64);
    set_rows(g.rank_traffic, rank_rows.empty() ? 0 : rank_rows[0]);
    set_rows(g.node_traffic, node_rows.empty() ? 0 : node_rows[0]);
    set_rows(g.initial, g.complete);
    s.events += g.complete * E;
    s.groups.emplace_back(spec.label, std::move(g));
  }
  if (H5_CHECK(H5Lexists(s.file, "locks", H5P_DEFAULT)) > 0) {
    Handle lg(H5Gopen2(s.file, "locks", H5P_DEFAULT), H5Gclose, "locks");
    s.locks = Handle(H5Dopen2(lg, "results", H5P_DEFAULT), H5Dclose, "locks/results");
    s.latency =
        Handle(H5Dopen2(lg, "latency_histogram", H5P_DEFAULT), H5Dclose, "locks/latency_histogram");
    set_rows(s.locks, 0);  // the lock suite runs again after the events
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
  attr_scalar(f, "value_bytes", H5T_NATIVE_UINT64, static_cast<std::uint64_t>(e.keys.value_bytes));
  attr_scalar(f, "record_bytes", H5T_NATIVE_UINT64,
              static_cast<std::uint64_t>(8 + e.keys.value_bytes + (e.replicas > 1 ? 1 : 0)));
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
  attr_string(f, "processing_lock", e.processing.updates ? e.processing.lock : "");
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
    write_strings(hg, "name", names, s.comm);
    write_table(hg, "ranks", H5T_STD_I32LE, H5T_NATIVE_INT, ranks_per_host, counts[0], 0, s.rank,
                true);
    // Hardware threads per host as host_info() counted them (its hosts are
    // the same groups when every host has a name of its own).
    if (h.threads_per_host.size() == counts[0])
      write_table(hg, "threads", H5T_STD_I32LE, H5T_NATIVE_INT, h.threads_per_host, counts[0], 0,
                  s.rank, true);
    Handle rg(H5Gcreate2(f, "ranks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "ranks");
    write_table(rg, "host", H5T_STD_I32LE, H5T_NATIVE_INT, host_of_rank, counts[1], 0, s.rank,
                true);
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
    write_strings(f, "environment", p.environment, s.comm);
    if (p.online_cpus_per_host.size() == counts[0]) {  // the same host groups as /hosts/name
      write_table(hg, "online_cpus", H5T_STD_I32LE, H5T_NATIVE_INT, p.online_cpus_per_host,
                  counts[0], 0, s.rank, true);
      write_table(hg, "mem_total_bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, p.mem_total_per_host,
                  counts[0], 0, s.rank, true);
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
    auto table = [&](const char* name, const auto& points) {
      std::vector<double> v;
      for (const auto& [bytes, sec] : points) {
        v.push_back(static_cast<double>(bytes));
        v.push_back(sec);
      }
      write_table(cg, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, points.size(), 2, s.rank);
    };
    table("pingpong", c.pingpong);
    table("alltoall", c.alltoall);
  }

  s.strategies =
      Handle(H5Gcreate2(f, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group");
  std::vector<std::string> order;
  for (const auto& spec : e.strategies) order.push_back(spec.label);
  write_strings(s.strategies, "order", order, s.comm);
  {
    std::vector<std::uint32_t> run_order;
    for (const auto& o : start.order) run_order.insert(run_order.end(), o.begin(), o.end());
    write_table(s.strategies, "run_order", H5T_STD_U32LE, H5T_NATIVE_UINT32, run_order,
                start.order.size(), e.strategies.size(), s.rank);
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
    g.events = create_rows(g.g, "events", s.etype, {}, false, 64);
    g.loads = create_rows(g.g, "loads", H5T_STD_U64LE, {N}, e.compress);
    g.rank_traffic = create_rows(g.g, "rank_traffic", s.ttype, {}, e.compress, 4096);
    g.node_traffic = create_rows(g.g, "node_traffic", s.ttype, {}, e.compress, 4096);
    g.initial = create_rows(g.g, "initial_loads", H5T_STD_U64LE, {N}, e.compress);
    s.groups.emplace_back(spec.label, std::move(g));
  }
  if (e.has_locks) {
    Handle lg(H5Gcreate2(f, "locks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "locks");
    s.locks = create_rows(lg, "results", s.ltype, {}, false, 64);
    s.latency =
        create_rows(lg, "latency_histogram", H5T_STD_U64LE, {LatencyHistogram::kBuckets}, true);
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
  append_row(g.initial, H5T_NATIVE_UINT64, st.initial_loads->data(), s.rank == 0);
  s.flush();
}

void H5Stream::event(const EventOutput& ev) {
  Impl& s = *impl_;
  Impl::Group& g = s.group(*ev.label);
  const EventRow row = to_row(*ev.record);
  const std::uint64_t index = rows_of(g.events);
  append_row(g.events, s.etype, &row, s.rank == 0);
  append_row(g.loads, H5T_NATIVE_UINT64, ev.loads->data(), s.rank == 0);
  std::vector<TrafficFileRow> rows;
  for (const auto* table : {ev.rank_traffic, ev.node_traffic}) {
    rows.clear();
    if (table)
      for (const TrafficRow& t : *table) rows.push_back({index, t.from, t.to, t.records, t.bytes});
    append_rows(table == ev.rank_traffic ? g.rank_traffic : g.node_traffic, s.ttype, rows.data(),
                rows.size(), s.comm);
  }
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
              static_cast<std::uint64_t>(rows_of(g.rank_traffic)));
  attr_scalar(g.g, "node_traffic_rows", H5T_NATIVE_UINT64,
              static_cast<std::uint64_t>(rows_of(g.node_traffic)));
  s.flush();
}

void H5Stream::lock_result(const LockBenchResult& l) {
  Impl& s = *impl_;
  if (!s.locks.valid()) return;
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
  append_row(s.locks, s.ltype, &w, s.rank == 0);
  // The merged latency histogram of the row, so that any percentile can be
  // read off later (analysis/stats.py histogram_percentile).
  std::vector<std::uint64_t> counts = l.latency.counts();
  counts.resize(LatencyHistogram::kBuckets, 0);
  append_row(s.latency, H5T_NATIVE_UINT64, counts.data(), s.rank == 0);
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
    write_per_rank(rg, "peak_rss_bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, peak_rss_bytes(),
                   s.comm);
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
