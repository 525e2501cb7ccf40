// RmaLockSet's shared checks, the algorithm registry and the osc/rdma guard.
#include "locks/rma_lock.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "error.hpp"
#include "locks/lock_detail.hpp"

namespace ringsim {

RmaLockSet::RmaLockSet(std::string_view algorithm, MPI_Comm comm, int stripes,
                       double timeout_seconds)
    : algorithm_(algorithm), stripes_(stripes), timeout_(timeout_seconds) {
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &ranks_);
}

void RmaLockSet::set_window_bytes(MPI_Win win) {
  MPI_Aint* size = nullptr;
  int found = 0;
  MPI_Win_get_attr(win, MPI_WIN_SIZE, &size, &found);
  window_bytes_ = found && size ? static_cast<std::uint64_t>(*size) : 0;
}

void RmaLockSet::check_name(int owner, int stripe) const {
  if (owner < 0 || owner >= ranks_ || stripe < 0 || stripe >= stripes_) {
    std::ostringstream os;
    os << algorithm_ << " lock (owner rank " << owner << ", stripe " << stripe
       << ") does not exist: owners are 0.." << ranks_ - 1 << ", stripes 0.." << stripes_ - 1;
    throw Error(os.str());
  }
}

bool RmaLockSet::holds(int owner, int stripe) const {
  check_name(owner, stripe);
  const std::int64_t id = lock_id(owner, stripe);
  return std::any_of(held_.begin(), held_.end(), [id](const Held& h) { return h.id == id; });
}

void RmaLockSet::start_acquire(int owner, int stripe) {
  if (holds(owner, stripe)) throw Error(describe(owner, stripe, "already holds it"));
  if (fail_next_acquire_) {
    fail_next_acquire_ = false;
    throw_timeout(owner, stripe, "waiting to acquire it (injected fault)");
  }
}

std::size_t RmaLockSet::held_index(int owner, int stripe, bool shared) const {
  check_name(owner, stripe);
  const std::int64_t id = lock_id(owner, stripe);
  for (std::size_t i = 0; i < held_.size(); ++i) {
    if (held_[i].id != id) continue;
    if (held_[i].shared == shared) return i;
    throw Error(describe(owner, stripe,
                         shared ? "releases it as shared but holds it exclusively"
                                : "releases it as exclusive but holds it shared"));
  }
  throw Error(describe(owner, stripe, "releases it but does not hold it"));
}

void RmaLockSet::acquire(int owner, int stripe) {
  start_acquire(owner, stripe);
  do_acquire(owner, stripe);
  held_.push_back({lock_id(owner, stripe), false});
}

void RmaLockSet::release(int owner, int stripe) {
  const std::size_t i = held_index(owner, stripe, false);
  held_[i] = held_.back();
  held_.pop_back();
  do_release(owner, stripe);
}

void RmaLockSet::acquire_shared(int owner, int stripe) {
  start_acquire(owner, stripe);
  do_acquire_shared(owner, stripe);
  held_.push_back({lock_id(owner, stripe), true});
}

void RmaLockSet::release_shared(int owner, int stripe) {
  const std::size_t i = held_index(owner, stripe, true);
  held_[i] = held_.back();
  held_.pop_back();
  do_release_shared(owner, stripe);
}

std::string RmaLockSet::describe(int owner, int stripe, std::string_view what) const {
  std::ostringstream os;
  os << algorithm_ << " lock (owner rank " << owner << ", stripe " << stripe << "): rank " << rank_
     << " " << what;
  return os.str();
}

std::string RmaLockSet::timeout_message(int owner, int stripe, std::string_view doing) const {
  std::ostringstream os;
  os << "timed out after " << timeout_ << " s " << doing;
  return describe(owner, stripe, os.str());
}

void RmaLockSet::throw_timeout(int owner, int stripe, std::string_view doing) const {
  throw Error(timeout_message(owner, stripe, doing));
}

const std::vector<std::string>& lock_algorithms() {
  static const std::vector<std::string> names{"winlock",   "spin",      "mcs",
                                              "rw-writer", "rw-reader", "cohort"};
  return names;
}

namespace {

// The value of Open MPI's "osc" selection (MCA parameter), read through the
// MPI tool interface so that mca-params.conf counts too; the environment
// variable if that fails. Read once per process (MPI_T_init costs ~0.2 s).
std::string read_osc_selection() {
  std::string value;
  bool found = false;
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) == MPI_SUCCESS) {
    int index = 0;
    if (MPI_T_cvar_get_index("osc", &index) == MPI_SUCCESS) {
      MPI_T_cvar_handle handle;
      int count = 0;
      if (MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) == MPI_SUCCESS) {
        std::string buf(static_cast<std::size_t>(count > 0 ? count : 0) + 4096, '\0');
        if (MPI_T_cvar_read(handle, buf.data()) == MPI_SUCCESS) {
          value = buf.c_str();
          found = true;
        }
        MPI_T_cvar_handle_free(&handle);
      }
    }
    MPI_T_finalize();
  }
  if (!found) {
    const char* env = std::getenv("OMPI_MCA_osc");
    value = env ? env : "";
  }
  return value;
}

const std::string& osc_selection() {
  static const std::string value = read_osc_selection();
  return value;
}

// Whether an MCA selection string ("", "sm,ucx", "^rdma,pt2pt") admits rdma.
bool admits_rdma(const std::string& selection) {
  std::string s;
  for (char c : selection)
    if (c != ' ') s += c;
  if (s.empty()) return true;
  const bool exclude = s[0] == '^';
  bool listed = false;
  std::istringstream in(exclude ? s.substr(1) : s);
  for (std::string item; std::getline(in, item, ',');) listed = listed || item == "rdma";
  return exclude ? !listed : listed;
}

// True on every rank if the ranks share one node and Open MPI could pick
// osc/rdma, whose 64-bit compare-and-swap crashes there. Collective.
bool osc_rdma_trap(MPI_Comm comm) {
#ifdef OMPI_MAJOR_VERSION
  const char* allow = std::getenv("RINGSIM_ALLOW_OSC_RDMA");
  int local = (allow && std::string(allow) == "1") ? 0 : (admits_rdma(osc_selection()) ? 1 : 0);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int node_size = 0, size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_size(comm, &size);
  MPI_Comm_free(&node);
  int all_local = node_size == size ? 1 : 0, any = 0, one_node = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm);
  MPI_Allreduce(&all_local, &one_node, 1, MPI_INT, MPI_MIN, comm);
  return any && one_node;
#else
  (void)comm;
  return false;
#endif
}

}  // namespace

std::unique_ptr<RmaLockSet> make_lock_set(std::string_view algorithm, MPI_Comm comm, int stripes,
                                          double timeout_seconds) {
  LockOptions options;
  options.timeout_seconds = timeout_seconds;
  return make_lock_set(algorithm, comm, stripes, options);
}

std::unique_ptr<RmaLockSet> make_lock_set(std::string_view algorithm, MPI_Comm comm, int stripes,
                                          const LockOptions& options) {
  const double timeout_seconds = options.timeout_seconds;
  std::string known;
  for (const auto& n : lock_algorithms()) known += (known.empty() ? "" : ", ") + n;
  if (stripes < 1)
    throw Error("lock set: stripes must be at least 1, not " + std::to_string(stripes));
  if (!(timeout_seconds > 0))
    throw Error("lock set: timeout must be positive, not " + std::to_string(timeout_seconds));
  if (options.ranks_per_host < 0)
    throw Error("lock set: ranks_per_host must be 0 (the real hosts) or positive, not " +
                std::to_string(options.ranks_per_host));
  if (options.cohort_handoffs < 1)
    throw Error("lock set: cohort_handoffs must be at least 1, not " +
                std::to_string(options.cohort_handoffs));
  if (algorithm == "winlock") return lock_detail::make_winlock(comm, stripes, timeout_seconds);
  const auto& names = lock_algorithms();
  if (std::find(names.begin(), names.end(), algorithm) != names.end()) {
    // Every other algorithm uses compare-and-swap or fetch-and-op.
    if (osc_rdma_trap(comm))
      throw Error(std::string(algorithm) +
                  " lock: Open MPI may use osc/rdma, whose 64-bit MPI_Compare_and_swap crashes on "
                  "one node; set OMPI_MCA_osc=sm,ucx (or RINGSIM_ALLOW_OSC_RDMA=1 to try anyway)");
    if (algorithm == "spin") return lock_detail::make_spin(comm, stripes, timeout_seconds);
    if (algorithm == "mcs") return lock_detail::make_mcs(comm, stripes, timeout_seconds);
    if (algorithm == "rw-writer" || algorithm == "rw-reader")
      return lock_detail::make_rw(comm, stripes, timeout_seconds, algorithm == "rw-writer");
    return lock_detail::make_cohort(comm, stripes, options);
  }
  throw Error("unknown lock algorithm '" + std::string(algorithm) + "' (known: " + known + ")");
}

}  // namespace ringsim
