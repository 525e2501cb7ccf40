// "rw-writer" and "rw-reader": a reader-writer lock over MPI RMA after RMA-RW
// of Schmid, Besta & Hoefler, "High-Performance Distributed RMA Locks", HPDC
// 2016: readers announce themselves on a counter at the lock's owner, writers
// are serialized by an MCS queue (Mellor-Crummey & Scott 1991) and then wait
// for the readers to drain. Simplified: one counter per lock on its owner
// (HPDC distributes the reader counters), no writer batching threshold.
// Written from the papers. Window layout and protocol: see rma_lock.hpp.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "error.hpp"
#include "locks/lock_detail.hpp"

namespace ringsim::lock_detail {
namespace {

// The counter of a lock: readers in the low 32 bits, writers above.
constexpr std::int64_t kWriter = std::int64_t{1} << 32;
constexpr std::int64_t kReaderMask = kWriter - 1;

constexpr double kBackoffMaxUs = 64;

class RwLockSet final : public RmaLockSet {
 public:
  RwLockSet(MPI_Comm comm, int stripes, double timeout, bool prefer_writers)
      : RmaLockSet(prefer_writers ? "rw-writer" : "rw-reader", comm, stripes, timeout),
        prefer_writers_(prefer_writers),
        nodes_(kMcsQueueNodes) {
    MPI_Comm_dup(comm, &comm_);
    const MPI_Aint words = 2 * MPI_Aint(stripes) + 2 * MPI_Aint(kMcsQueueNodes);
    MPI_Win_allocate(words * MPI_Aint(sizeof(std::int64_t)), sizeof(std::int64_t), MPI_INFO_NULL,
                     comm_, &base_, &win_);
    set_window_bytes(win_);
    for (MPI_Aint i = 0; i < words; ++i) base_[i] = kNoNode;
    for (int s = 0; s < stripes; ++s) base_[s] = 0;  // counters
    for (int k = 0; k < kMcsQueueNodes; ++k) base_[node_disp(k) + 1] = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
    w_ = RmaWords(win_, comm_);
  }

  // Collective, but never while an exception unwinds (see rma_lock.hpp).
  ~RwLockSet() override {
    if (std::uncaught_exceptions() > 0) return;
    drain_then_free(
        algorithm(), rank(), timeout_seconds(), abandoned_, [this] { drain_granted(); },
        [this] { w_.poke(); }, win_, comm_);
  }

  bool shares_readers() const override { return true; }

 protected:
  void do_acquire(int owner, int stripe) override {
    const std::int64_t l = lock_id(owner, stripe);
    Deadline deadline(timeout_seconds());
    drain_granted();
    // Our queue node for this lock is still queued from a timed-out acquire.
    while (abandoned_ > 0 && find(l, State::kAbandoned) >= 0) {
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for its earlier, timed-out request to drain");
      w_.poke();
      drain_granted();
    }
    int k = find(-1, State::kFree);
    while (k < 0) {
      if (abandoned_ == 0)
        throw Error(describe(owner, stripe,
                             "would wait for or hold more than " + std::to_string(kMcsQueueNodes) +
                                 " " + std::string(algorithm()) + " locks exclusively at once"));
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for a queue node of its timed-out requests to drain");
      w_.poke();
      drain_granted();
      k = find(-1, State::kFree);
    }
    Node& node = nodes_[std::size_t(k)];
    node = Node{State::kWaiting, l, owner, stripe, false};
    const std::int64_t me = mcs_node_id(rank(), node_disp(k));
    // Writer preference: count ourselves as a writer before queueing, so that
    // from now on no new reader enters.
    if (prefer_writers_) {
      w_.fetch_add(owner, stripe, kWriter);
      node.counted = true;
    }
    const std::int64_t prev = mcs_enqueue(w_, me, owner, queue_disp(stripe));
    request_visible(owner, stripe);
    if (prev != kNoNode) {
      while (base_flag(k) != 0) {
        if (deadline.expired()) {
          // Cannot leave the queue: released once granted (drain_granted).
          node.state = State::kAbandoned;
          ++abandoned_;
          throw_timeout(owner, stripe,
                        "waiting to acquire it (queued behind rank " +
                            std::to_string(mcs_node_rank(prev)) + ")");
        }
        w_.poke();
      }
    }
    node.state = State::kHeld;
    // First of the writers: wait for the readers.
    double pause = 0.5;
    for (;;) {
      if (prefer_writers_) {
        if ((w_.read(owner, stripe) & kReaderMask) == 0) break;
      } else if (w_.cas(owner, stripe, 0, kWriter) == 0) {
        node.counted = true;
        break;
      }
      if (deadline.expired()) {
        try {
          release_writer(k);
        } catch (const Error&) {
        }
        throw_timeout(owner, stripe, "waiting for its readers to leave");
      }
      w_.poke();
      pause_us(pause);
      pause = pause * 2 < kBackoffMaxUs ? pause * 2 : kBackoffMaxUs;
    }
  }

  void do_release(int owner, int stripe) override {
    release_writer(find(lock_id(owner, stripe), State::kHeld));
    drain_granted();
  }

  void do_acquire_shared(int owner, int stripe) override {
    Deadline deadline(timeout_seconds());
    drain_granted();
    double pause = 0.5;
    if (prefer_writers_) {
      // Enter unless a writer is counted; else step back and wait for none.
      for (;;) {
        if ((w_.fetch_add(owner, stripe, 1) & ~kReaderMask) == 0) return;
        w_.fetch_add(owner, stripe, -1);
        while ((w_.read(owner, stripe) & ~kReaderMask) != 0) {
          if (deadline.expired()) throw_timeout(owner, stripe, "waiting to acquire it shared");
          w_.poke();
          drain_granted();  // our own timed-out writer request may be in the way
          pause_us(pause);
          pause = pause * 2 < kBackoffMaxUs ? pause * 2 : kBackoffMaxUs;
        }
      }
    }
    // Reader preference: stay counted (no writer can enter now) until the
    // writer inside, if any, leaves.
    std::int64_t c = w_.fetch_add(owner, stripe, 1);
    while ((c & ~kReaderMask) != 0) {
      if (deadline.expired()) {
        w_.fetch_add(owner, stripe, -1);
        throw_timeout(owner, stripe, "waiting to acquire it shared");
      }
      w_.poke();
      pause_us(pause);
      pause = pause * 2 < kBackoffMaxUs ? pause * 2 : kBackoffMaxUs;
      c = w_.read(owner, stripe);
    }
  }

  void do_release_shared(int owner, int stripe) override {
    w_.fetch_add(owner, stripe, -1);
    drain_granted();
  }

 private:
  enum class State { kFree, kWaiting, kHeld, kAbandoned };
  struct Node {
    State state = State::kFree;
    std::int64_t lock = -1;  // lock id while not free
    int owner = 0, stripe = 0;
    bool counted = false;  // our writer count is in the lock's counter
  };

  MPI_Aint queue_disp(int stripe) const { return MPI_Aint(stripes()) + stripe; }
  MPI_Aint node_disp(int k) const { return 2 * MPI_Aint(stripes()) + 2 * MPI_Aint(k); }
  std::int64_t base_flag(int k) const { return w_.read(rank(), node_disp(k) + 1); }

  int find(std::int64_t l, State state) const {
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      const Node& n = nodes_[std::size_t(k)];
      if (n.state == State::kFree && state == State::kFree) return k;
      if (n.state == state && n.lock == l) return k;
    }
    return -1;
  }

  // A writer (holding the MCS queue) leaves: uncount, then pass the queue on.
  // If the successor never links, the node stays queued and the hand-over is
  // retried later (drain_granted), as mcs does.
  void release_writer(int k) {
    Node& node = nodes_[std::size_t(k)];
    if (node.counted) {
      w_.fetch_add(node.owner, node.stripe, -kWriter);
      node.counted = false;
    }
    if (!mcs_release(w_, mcs_node_id(rank(), node_disp(k)), node.owner, queue_disp(node.stripe),
                     timeout_seconds())) {
      if (node.state != State::kAbandoned) {
        node.state = State::kAbandoned;
        ++abandoned_;
      }
      throw_timeout(node.owner, node.stripe, "releasing it, waiting for its successor to link");
    }
    if (node.state == State::kAbandoned) --abandoned_;
    node.state = State::kFree;
  }

  // Releases every timed-out writer request that has been granted meanwhile.
  void drain_granted() {
    if (abandoned_ == 0) return;
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      if (nodes_[std::size_t(k)].state != State::kAbandoned || base_flag(k) != 0) continue;
      release_writer(k);
    }
  }

  bool prefer_writers_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
  RmaWords w_;
  std::vector<Node> nodes_;  // this rank's queue nodes, by slot
  int abandoned_ = 0;        // nodes queued from timed-out acquires
};

}  // namespace

std::unique_ptr<RmaLockSet> make_rw(MPI_Comm comm, int stripes, double timeout_seconds,
                                    bool prefer_writers) {
  return std::make_unique<RwLockSet>(comm, stripes, timeout_seconds, prefer_writers);
}

}  // namespace ringsim::lock_detail
