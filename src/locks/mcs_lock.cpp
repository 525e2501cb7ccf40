// "mcs": the MCS queue lock (Mellor-Crummey & Scott, "Algorithms for scalable
// synchronization on shared-memory multiprocessors", ACM TOCS 9(1), 1991) over
// MPI RMA, following the distributed design of Schmid, Besta & Hoefler,
// "High-Performance Distributed RMA Locks", HPDC 2016 (its MCS base level),
// and the idea of MPICH's test/mpi/rma/mcs-mutex.c. Written from the papers.
// Window layout and protocol: see rma_lock.hpp.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "error.hpp"
#include "locks/lock_detail.hpp"

namespace ringsim::lock_detail {
namespace {

constexpr std::int64_t kNone = -1;
constexpr int kSlotBits = 16;  // a node id is rank * 2^16 + slot
static_assert(kMcsQueueNodes <= (1 << kSlotBits));

class McsLockSet final : public RmaLockSet {
 public:
  McsLockSet(MPI_Comm comm, int stripes, double timeout)
      : RmaLockSet("mcs", comm, stripes, timeout), nodes_(kMcsQueueNodes) {
    MPI_Comm_dup(comm, &comm_);
    const MPI_Aint words = MPI_Aint(stripes) + 2 * MPI_Aint(kMcsQueueNodes);
    MPI_Win_allocate(words * MPI_Aint(sizeof(std::int64_t)), sizeof(std::int64_t), MPI_INFO_NULL,
                     comm_, &base_, &win_);
    set_window_bytes(win_);
    for (MPI_Aint i = 0; i < words; ++i) base_[i] = kNone;
    for (int k = 0; k < kMcsQueueNodes; ++k) base_[flag_disp(k)] = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
  }

  // Collective, but never while an exception unwinds (see rma_lock.hpp):
  // then it neither drains nor frees.
  ~McsLockSet() override {
    if (std::uncaught_exceptions() > 0) return;
    drain_then_free(
        algorithm(), rank(), timeout_seconds(), abandoned_count_, [this] { drain_granted(); },
        [this] { poke_progress(win_, comm_); }, win_, comm_);
  }

 protected:
  void do_acquire(int owner, int stripe) override {
    const std::int64_t l = lock_id(owner, stripe);
    Deadline deadline(timeout_seconds());
    drain_granted();
    // Our node for this lock is still queued from a timed-out acquire: wait
    // for it to be granted and pass it on before queueing again.
    while (abandoned_count_ > 0 && find(l, State::kAbandoned) >= 0) {
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for its earlier, timed-out request to drain");
      poke_progress(win_, comm_);
      drain_granted();
    }
    int k = find(-1, State::kFree);
    while (k < 0) {
      if (abandoned_count_ == 0)
        throw Error(describe(owner, stripe,
                             "would wait for or hold more than " + std::to_string(kMcsQueueNodes) +
                                 " mcs locks at once"));
      // Every node is held or queued from a timed-out request: wait for one.
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for a queue node of its timed-out requests to drain");
      poke_progress(win_, comm_);
      drain_granted();
      k = find(-1, State::kFree);
    }
    Node& node = nodes_[std::size_t(k)];
    node = Node{State::kWaiting, l, owner, stripe};
    const std::int64_t me = node_id(rank(), k), none = kNone, one = 1;
    std::int64_t ignored = 0, prev = kNone;
    // Our node: next = none, locked = 1, before we become visible in the queue.
    MPI_Fetch_and_op(&none, &ignored, MPI_INT64_T, rank(), next_disp(k), MPI_REPLACE, win_);
    MPI_Fetch_and_op(&one, &ignored, MPI_INT64_T, rank(), flag_disp(k), MPI_REPLACE, win_);
    MPI_Win_flush(rank(), win_);
    // Join the queue.
    MPI_Fetch_and_op(&me, &prev, MPI_INT64_T, owner, stripe, MPI_REPLACE, win_);
    MPI_Win_flush(owner, win_);
    if (prev != kNone) {
      const int pred = rank_of(prev);
      MPI_Accumulate(&me, 1, MPI_INT64_T, pred, next_disp(slot_of(prev)), 1, MPI_INT64_T,
                     MPI_REPLACE, win_);
      MPI_Win_flush(pred, win_);
      request_visible(owner, stripe);
      // Spin on our own flag until the predecessor hands over.
      while (read_local(flag_disp(k)) != 0) {
        if (deadline.expired()) {
          node.state = State::kAbandoned;
          ++abandoned_count_;
          throw_timeout(owner, stripe,
                        "waiting to acquire it (queued behind rank " + std::to_string(pred) + ")");
        }
        poke_progress(win_, comm_);
      }
    } else {
      request_visible(owner, stripe);
    }
    node.state = State::kHeld;
  }

  void do_release(int owner, int stripe) override {
    const int k = find(lock_id(owner, stripe), State::kHeld);
    try {
      hand_over(k);
    } catch (const Error&) {
      // The successor never linked: keep the node queued and retry the hand
      // over on a later call (as for a granted, timed-out request).
      nodes_[std::size_t(k)].state = State::kAbandoned;
      ++abandoned_count_;
      throw;
    }
    nodes_[std::size_t(k)].state = State::kFree;
    drain_granted();
  }

 private:
  enum class State { kFree, kWaiting, kHeld, kAbandoned };
  struct Node {
    State state = State::kFree;
    std::int64_t lock = -1;  // lock id while not free
    int owner = 0, stripe = 0;
  };

  static std::int64_t node_id(int rank, int slot) {
    return (std::int64_t{rank} << kSlotBits) | slot;
  }
  static int rank_of(std::int64_t id) { return static_cast<int>(id >> kSlotBits); }
  static int slot_of(std::int64_t id) {
    return static_cast<int>(id & ((std::int64_t{1} << kSlotBits) - 1));
  }
  MPI_Aint next_disp(int slot) const { return MPI_Aint(stripes()) + 2 * MPI_Aint(slot); }
  MPI_Aint flag_disp(int slot) const { return next_disp(slot) + 1; }

  // The node in `state` (for lock id `l`, or any lock if l < 0); -1 if none.
  int find(std::int64_t l, State state) const {
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      const Node& n = nodes_[std::size_t(k)];
      if (n.state == state && (l < 0 || n.lock == l)) return k;
    }
    return -1;
  }

  // Atomic read of one of our own words (ordered with incoming accumulates).
  std::int64_t read_local(MPI_Aint disp) {
    std::int64_t v = 0;
    MPI_Fetch_and_op(nullptr, &v, MPI_INT64_T, rank(), disp, MPI_NO_OP, win_);
    MPI_Win_flush(rank(), win_);
    return v;
  }

  // MCS release of the lock held through our node k.
  void hand_over(int k) {
    const Node& node = nodes_[std::size_t(k)];
    std::int64_t next = read_local(next_disp(k));
    if (next == kNone) {
      const std::int64_t me = node_id(rank(), k), none = kNone;
      std::int64_t tail = kNone;
      MPI_Compare_and_swap(&none, &me, &tail, MPI_INT64_T, node.owner, node.stripe, win_);
      MPI_Win_flush(node.owner, win_);
      if (tail == me) return;  // nobody queued behind us
      // A successor swapped the tail but has not linked itself yet.
      Deadline deadline(timeout_seconds());
      while ((next = read_local(next_disp(k))) == kNone) {
        if (deadline.expired())
          throw_timeout(node.owner, node.stripe, "releasing it, waiting for its successor to link");
        poke_progress(win_, comm_);
      }
    }
    const std::int64_t zero = 0;
    const int succ = rank_of(next);
    MPI_Accumulate(&zero, 1, MPI_INT64_T, succ, flag_disp(slot_of(next)), 1, MPI_INT64_T,
                   MPI_REPLACE, win_);
    MPI_Win_flush(succ, win_);
  }

  // Releases every timed-out request that has been granted meanwhile.
  void drain_granted() {
    if (abandoned_count_ == 0) return;
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      Node& n = nodes_[std::size_t(k)];
      if (n.state != State::kAbandoned || read_local(flag_disp(k)) != 0) continue;
      hand_over(k);
      n.state = State::kFree;
      --abandoned_count_;
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
  std::vector<Node> nodes_;  // this rank's queue nodes, by slot
  int abandoned_count_ = 0;  // nodes queued from timed-out acquires
};

}  // namespace

std::unique_ptr<RmaLockSet> make_mcs(MPI_Comm comm, int stripes, double timeout_seconds) {
  return std::make_unique<McsLockSet>(comm, stripes, timeout_seconds);
}

}  // namespace ringsim::lock_detail
