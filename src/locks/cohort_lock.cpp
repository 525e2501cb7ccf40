// "cohort": a topology-aware cohort lock (Dice, Marathe & Shavit, "Lock
// Cohorting: A General Technique for Designing NUMA Locks", PPoPP 2012) built
// of two MCS levels over MPI RMA, as in the hierarchical RMA-MCS of Schmid,
// Besta & Hoefler, "High-Performance Distributed RMA Locks", HPDC 2016: ranks
// of one host queue on a node-local MCS queue, the head of a host's queue
// queues on a global MCS queue at the lock's owner, and the global lock is
// passed inside the host for a bounded number of consecutive hand-offs.
// Written from the papers. Window layout, protocol and bounds: rma_lock.hpp.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "error.hpp"
#include "locks/lock_detail.hpp"

namespace ringsim::lock_detail {
namespace {

// A local tail word: empty, busy (the host's queue for this slot is being
// opened or closed: nobody may join), or the last local node of the queue of
// one global lock, tagged with that lock (owner / host size).
constexpr std::int64_t kLocalEmpty = 0;
constexpr std::int64_t kLocalBusy = -1;
constexpr int kSlotBits = 5;
constexpr int kMaxRanks = 1 << (32 - kSlotBits);
static_assert(kMcsQueueNodes <= (1 << kSlotBits));

// A local node's flag: waiting, or granted with v = c * 4 + g * 2 + queued:
// the global lock is held through the slot's global node g after c
// consecutive hand-offs (queued = 0), or that node is queued globally for the
// host and the new holder waits for it (queued = 1, c starts again at 0).
constexpr std::int64_t kLocalWait = -1;

class CohortLockSet final : public RmaLockSet {
 public:
  CohortLockSet(MPI_Comm comm, int stripes, const LockOptions& options)
      : RmaLockSet("cohort", comm, stripes, options.timeout_seconds),
        handoffs_(options.cohort_handoffs),
        nodes_(kMcsQueueNodes) {
    if (ranks() >= kMaxRanks)
      throw Error("cohort lock: at most " + std::to_string(kMaxRanks - 1) + " ranks, not " +
                  std::to_string(ranks()));
    MPI_Comm_dup(comm, &comm_);
    MPI_Comm host = MPI_COMM_NULL;
    if (options.ranks_per_host == 0)
      MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host);
    else
      MPI_Comm_split(comm_, rank() / options.ranks_per_host, rank(), &host);
    int host_rank = 0;
    MPI_Comm_rank(host, &host_rank);
    MPI_Comm_size(host, &host_size_);
    members_.resize(std::size_t(host_size_));
    int me = rank();
    MPI_Allgather(&me, 1, MPI_INT, members_.data(), 1, MPI_INT, host);
    MPI_Comm_free(&host);
    int leader = host_rank == 0 ? 1 : 0;
    MPI_Allreduce(&leader, &hosts_, 1, MPI_INT, MPI_SUM, comm_);
    global_ = hosts_ > 1;

    const MPI_Aint words = 6 * MPI_Aint(stripes) + 4 * MPI_Aint(kMcsQueueNodes);
    MPI_Win_allocate(words * MPI_Aint(sizeof(std::int64_t)), sizeof(std::int64_t), MPI_INFO_NULL,
                     comm_, &base_, &win_);
    set_window_bytes(win_);
    for (MPI_Aint i = 0; i < words; ++i) base_[i] = kNoNode;
    for (int s = 0; s < stripes; ++s) base_[local_tail(s)] = kLocalEmpty;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
    w_ = RmaWords(win_, comm_);
  }

  // Collective, but never while an exception unwinds (see rma_lock.hpp).
  ~CohortLockSet() override {
    if (std::uncaught_exceptions() > 0) return;
    drain_then_free(
        algorithm(), rank(), timeout_seconds(), abandoned_, [this] { drain_granted(); },
        [this] { w_.poke(); }, win_, comm_);
  }

 protected:
  void do_acquire(int owner, int stripe) override {
    const std::int64_t l = lock_id(owner, stripe);
    Deadline deadline(timeout_seconds());
    drain_granted();
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
                                 " cohort locks at once"));
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for a queue node of its timed-out requests to drain");
      w_.poke();
      drain_granted();
      k = find(-1, State::kFree);
    }
    Node& n = nodes_[std::size_t(k)];
    n = Node{};
    n.slot = k;
    n.state = State::kWaiting;
    n.lock = l;
    n.owner = owner;
    n.stripe = stripe;
    n.member = members_[std::size_t(owner % host_size_)];
    n.tag = owner / host_size_;
    const MPI_Aint lt = local_tail(stripe);
    const std::int64_t active = encode_tail(n.tag, rank(), k);
    // Our local node, ready before anyone can link behind it.
    w_.write(rank(), pool(k), kNoNode);
    w_.write(rank(), pool(k) + 1, kLocalWait);
    std::int64_t t = w_.read(n.member, lt);
    for (;;) {
      if (t == kLocalEmpty) {
        // First of this host: open the host's queue.
        const std::int64_t old = w_.cas(n.member, lt, kLocalEmpty, global_ ? kLocalBusy : active);
        if (old != kLocalEmpty) {
          t = old;
          continue;
        }
        n.kind = Kind::kLocal;
        if (!global_) {  // one host: the local queue is the lock
          request_visible(owner, stripe);
          n.state = State::kHeld;
          return;
        }
        // Queue the slot's global node 0 for the host, then let the host's
        // other ranks queue behind us (tail busy -> ours).
        n.g = 0;
        const std::int64_t prev = mcs_enqueue(w_, slot_node(n, 0), owner, stripe);
        w_.write(n.member, lt, active);
        request_visible(owner, stripe);
        if (prev != kNoNode) wait_global(n, deadline);
        n.state = State::kHeld;
        return;
      }
      if (t != kLocalBusy && tail_tag(t) == n.tag) {
        // The host's queue for this lock is open: join it.
        const std::int64_t old = w_.cas(n.member, lt, t, active);
        if (old != t) {
          t = old;
          continue;
        }
        n.kind = Kind::kLocal;
        const std::int64_t pred = tail_node(t);
        w_.write(mcs_node_rank(pred), mcs_node_disp(pred), mcs_node_id(rank(), pool(k)));
        request_visible(owner, stripe);
        std::int64_t v;
        while ((v = w_.read(rank(), pool(k) + 1)) == kLocalWait) {
          if (deadline.expired()) {
            abandon(n, Phase::kLocal);
            throw_timeout(owner, stripe,
                          "waiting to acquire it (queued on its host behind rank " +
                              std::to_string(mcs_node_rank(pred)) + ")");
          }
          w_.poke();
        }
        take_grant(n, v);
        if (n.phase == Phase::kGlobal) wait_global(n, deadline);
        n.state = State::kHeld;
        return;
      }
      // The slot is busy or serves another lock: queue globally alone.
      if (!global_)
        throw Error(describe(owner, stripe, "found its host queue in use by another lock"));
      n.kind = Kind::kBypass;
      const std::int64_t prev = mcs_enqueue(w_, own_global_node(k), owner, stripe);
      request_visible(owner, stripe);
      if (prev != kNoNode) wait_global(n, deadline);
      n.state = State::kHeld;
      return;
    }
  }

  void do_release(int owner, int stripe) override {
    release_node(find(lock_id(owner, stripe), State::kHeld));
    drain_granted();
  }

 private:
  enum class State { kFree, kWaiting, kHeld, kAbandoned };
  enum class Kind { kLocal, kBypass };
  enum class Phase { kLocal, kGlobal };  // what a waiting request waits for
  struct Node {
    State state = State::kFree;
    Kind kind = Kind::kLocal;
    Phase phase = Phase::kGlobal;
    std::int64_t lock = -1;  // lock id while not free
    int owner = 0, stripe = 0;
    int member = 0;        // world rank holding the host's local queue of the lock
    std::int64_t tag = 0;  // owner / host size
    std::int64_t c = 0;    // consecutive local hand-offs of the global lock
    int g = 0;             // the slot's global node the host holds or waits on
    int slot = 0;          // our pool slot
  };

  // Window layout (int64 words), see rma_lock.hpp.
  MPI_Aint local_tail(int stripe) const { return MPI_Aint(stripes()) + stripe; }
  MPI_Aint slot_disp(int stripe, int g) const {
    return 2 * MPI_Aint(stripes()) + 4 * MPI_Aint(stripe) + 2 * g;
  }
  MPI_Aint pool(int k) const { return 6 * MPI_Aint(stripes()) + 4 * MPI_Aint(k); }
  std::int64_t slot_node(const Node& n, int g) const {
    return mcs_node_id(n.member, slot_disp(n.stripe, g));
  }
  std::int64_t own_global_node(int k) const { return mcs_node_id(rank(), pool(k) + 2); }
  std::int64_t global_node(const Node& n) const {
    return n.kind == Kind::kBypass ? own_global_node(n.slot) : slot_node(n, n.g);
  }

  static std::int64_t encode_tail(std::int64_t tag, int rank, int k) {
    return ((tag + 1) << 32) | (std::int64_t{rank} << kSlotBits) | k;
  }
  static std::int64_t tail_tag(std::int64_t t) { return (t >> 32) - 1; }
  std::int64_t tail_node(std::int64_t t) const {
    const int r = static_cast<int>((t & 0xffffffffLL) >> kSlotBits);
    return mcs_node_id(r, pool(static_cast<int>(t & ((1 << kSlotBits) - 1))));
  }

  int find(std::int64_t l, State state) {
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      Node& n = nodes_[std::size_t(k)];
      if (n.state == state && (state == State::kFree || n.lock == l)) {
        n.slot = k;
        return k;
      }
    }
    return -1;
  }

  void take_grant(Node& n, std::int64_t v) {
    n.g = static_cast<int>((v >> 1) & 1);
    n.c = (v & 1) ? 0 : v >> 2;
    n.phase = (v & 1) ? Phase::kGlobal : Phase::kLocal;
  }

  void abandon(Node& n, Phase phase) {
    n.state = State::kAbandoned;
    n.phase = phase;
    ++abandoned_;
  }

  void wait_global(Node& n, const Deadline& deadline) {
    const std::int64_t node = global_node(n);
    while (!mcs_granted(w_, node)) {
      if (deadline.expired()) {
        abandon(n, Phase::kGlobal);
        throw_timeout(n.owner, n.stripe, "waiting to acquire it (queued globally)");
      }
      w_.poke();
    }
    n.phase = Phase::kLocal;
  }

  [[noreturn]] void link_timeout(const Node& n) const {
    throw_timeout(n.owner, n.stripe, "releasing it, waiting for its successor to link");
  }

  // Releases the lock held through node k (see rma_lock.hpp, cohort).
  void release_node(int k) {
    Node& n = nodes_[std::size_t(k)];
    if (n.kind == Kind::kBypass) {
      if (!mcs_release(w_, own_global_node(k), n.owner, n.stripe, timeout_seconds()))
        link_timeout(n);
      n.state = State::kFree;
      return;
    }
    const MPI_Aint lt = local_tail(n.stripe);
    const std::int64_t active = encode_tail(n.tag, rank(), k);
    std::int64_t next = w_.read(rank(), pool(k));
    if (next == kNoNode) {
      // Nobody of this host queued behind us: close the host's queue (busy
      // while the global lock is released, so that nobody reopens it with a
      // slot node still in the global queue).
      if (w_.cas(n.member, lt, active, global_ ? kLocalBusy : kLocalEmpty) == active) {
        if (global_) {
          if (!mcs_release(w_, slot_node(n, n.g), n.owner, n.stripe, timeout_seconds()))
            link_timeout(n);
          w_.write(n.member, lt, kLocalEmpty);
        }
        n.state = State::kFree;
        return;
      }
      Deadline deadline(timeout_seconds());
      while ((next = w_.read(rank(), pool(k))) == kNoNode) {
        if (deadline.expired()) link_timeout(n);
        w_.poke();
      }
    }
    // A successor of this host waits for the same lock.
    std::int64_t grant = 0;
    if (!global_) {
      grant = 0;  // one host: plain MCS hand-over
    } else if (n.c < handoffs_) {
      grant = (n.c + 1) * 4 + n.g * 2;  // keep the global lock in the host
    } else {
      // Hand-off bound reached: queue the host again on the other slot node
      // (behind the hosts waiting now), then pass the global lock on.
      const int g2 = 1 - n.g;
      mcs_enqueue(w_, slot_node(n, g2), n.owner, n.stripe);
      if (!mcs_release(w_, slot_node(n, n.g), n.owner, n.stripe, timeout_seconds()))
        link_timeout(n);
      grant = g2 * 2 + 1;
    }
    w_.write(mcs_node_rank(next), mcs_node_disp(next) + 1, grant);
    n.state = State::kFree;
  }

  // Releases every timed-out request that has been granted meanwhile.
  void drain_granted() {
    if (abandoned_ == 0) return;
    for (int k = 0; k < kMcsQueueNodes; ++k) {
      Node& n = nodes_[std::size_t(k)];
      if (n.state != State::kAbandoned) continue;
      if (n.phase == Phase::kLocal && n.kind == Kind::kLocal) {
        const std::int64_t v = w_.read(rank(), pool(k) + 1);
        if (v == kLocalWait) continue;
        take_grant(n, v);
        if (n.phase == Phase::kGlobal && !mcs_granted(w_, global_node(n))) continue;
      } else if (!mcs_granted(w_, global_node(n))) {
        continue;
      }
      --abandoned_;
      n.state = State::kHeld;
      release_node(k);
    }
  }

  std::int64_t handoffs_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
  RmaWords w_;
  int host_size_ = 1, hosts_ = 1;
  bool global_ = false;
  std::vector<int> members_;  // world ranks of this host's members, by host rank
  std::vector<Node> nodes_;   // this rank's queue nodes, by slot
  int abandoned_ = 0;         // nodes queued from timed-out acquires
};

}  // namespace

std::unique_ptr<RmaLockSet> make_cohort(MPI_Comm comm, int stripes, const LockOptions& options) {
  return std::make_unique<CohortLockSet>(comm, stripes, options);
}

}  // namespace ringsim::lock_detail
