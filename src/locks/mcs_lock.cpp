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

class McsLockSet final : public RmaLockSet {
 public:
  McsLockSet(MPI_Comm comm, int stripes, double timeout)
      : RmaLockSet("mcs", comm, stripes, timeout),
        abandoned_(static_cast<std::size_t>(ranks()) * static_cast<std::size_t>(stripes), 0) {
    MPI_Comm_dup(comm, &comm_);
    const MPI_Aint words = MPI_Aint(stripes) * (1 + 2 * MPI_Aint(ranks()));
    MPI_Win_allocate(words * MPI_Aint(sizeof(std::int64_t)), sizeof(std::int64_t), MPI_INFO_NULL,
                     comm_, &base_, &win_);
    for (MPI_Aint i = 0; i < words; ++i) base_[i] = kNone;
    for (int l = 0; l < ranks() * stripes; ++l) base_[flag_disp(l)] = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
  }

  // Collective, but never while an exception unwinds (see rma_lock.hpp):
  // then it neither drains nor frees.
  ~McsLockSet() override {
    if (std::uncaught_exceptions() > 0) return;
    // Hand on requests that timed out and were granted since; every rank does
    // this here, so chains of such requests resolve.
    if (abandoned_count_ > 0) {
      Deadline deadline(timeout_seconds());
      try {
        while (abandoned_count_ > 0 && !deadline.expired()) {
          drain_granted();
          poke_progress(win_, comm_);
        }
      } catch (const Error& e) {
        std::fprintf(stderr, "ringsim: warning: %s\n", e.what());
      }
      if (abandoned_count_ > 0)
        std::fprintf(stderr,
                     "ringsim: warning: mcs lock set: rank %d still queued for %d lock(s)\n",
                     rank(), abandoned_count_);
    }
    MPI_Win_unlock_all(win_);
    MPI_Win_free(&win_);
    MPI_Comm_free(&comm_);
  }

 protected:
  void do_acquire(int owner, int stripe) override {
    const int l = lock_id(owner, stripe);
    Deadline deadline(timeout_seconds());
    drain_granted();
    // Our node for this lock is still queued from a timed-out acquire: wait
    // for it to be granted and pass it on before queueing again.
    while (abandoned_[std::size_t(l)]) {
      if (deadline.expired())
        throw_timeout(owner, stripe, "waiting for its earlier, timed-out request to drain");
      poke_progress(win_, comm_);
      drain_granted();
    }
    const std::int64_t me = rank(), none = kNone, one = 1;
    std::int64_t ignored = 0, prev = kNone;
    // Our node: next = none, locked = 1, before we become visible in the queue.
    MPI_Fetch_and_op(&none, &ignored, MPI_INT64_T, rank(), next_disp(l), MPI_REPLACE, win_);
    MPI_Fetch_and_op(&one, &ignored, MPI_INT64_T, rank(), flag_disp(l), MPI_REPLACE, win_);
    MPI_Win_flush(rank(), win_);
    // Join the queue.
    MPI_Fetch_and_op(&me, &prev, MPI_INT64_T, owner, stripe, MPI_REPLACE, win_);
    MPI_Win_flush(owner, win_);
    if (prev == kNone) return;  // the lock was free
    MPI_Accumulate(&me, 1, MPI_INT64_T, int(prev), next_disp(l), 1, MPI_INT64_T, MPI_REPLACE, win_);
    MPI_Win_flush(int(prev), win_);
    // Spin on our own flag until the predecessor hands over.
    while (read_local(flag_disp(l)) != 0) {
      if (deadline.expired()) {
        abandoned_[std::size_t(l)] = 1;
        ++abandoned_count_;
        throw_timeout(owner, stripe,
                      "waiting to acquire it (queued behind rank " + std::to_string(prev) + ")");
      }
      poke_progress(win_, comm_);
    }
  }

  void do_release(int owner, int stripe) override {
    hand_over(owner, stripe);
    drain_granted();
  }

 private:
  MPI_Aint next_disp(int l) const { return MPI_Aint(stripes()) + 2 * MPI_Aint(l); }
  MPI_Aint flag_disp(int l) const { return next_disp(l) + 1; }

  // Atomic read of one of our own words (ordered with incoming accumulates).
  std::int64_t read_local(MPI_Aint disp) {
    std::int64_t v = 0;
    MPI_Fetch_and_op(nullptr, &v, MPI_INT64_T, rank(), disp, MPI_NO_OP, win_);
    MPI_Win_flush(rank(), win_);
    return v;
  }

  // MCS release of lock (owner, stripe) held through our node.
  void hand_over(int owner, int stripe) {
    const int l = lock_id(owner, stripe);
    std::int64_t next = read_local(next_disp(l));
    if (next == kNone) {
      const std::int64_t me = rank(), none = kNone;
      std::int64_t tail = kNone;
      MPI_Compare_and_swap(&none, &me, &tail, MPI_INT64_T, owner, stripe, win_);
      MPI_Win_flush(owner, win_);
      if (tail == me) return;  // nobody queued behind us
      // A successor swapped the tail but has not linked itself yet.
      Deadline deadline(timeout_seconds());
      while ((next = read_local(next_disp(l))) == kNone) {
        if (deadline.expired())
          throw_timeout(owner, stripe, "releasing it, waiting for its successor to link");
        poke_progress(win_, comm_);
      }
    }
    const std::int64_t zero = 0;
    MPI_Accumulate(&zero, 1, MPI_INT64_T, int(next), flag_disp(l), 1, MPI_INT64_T, MPI_REPLACE,
                   win_);
    MPI_Win_flush(int(next), win_);
  }

  // Releases every timed-out request that has been granted meanwhile.
  void drain_granted() {
    if (abandoned_count_ == 0) return;
    for (int l = 0; l < ranks() * stripes(); ++l) {
      if (!abandoned_[std::size_t(l)] || read_local(flag_disp(l)) != 0) continue;
      abandoned_[std::size_t(l)] = 0;
      --abandoned_count_;
      hand_over(l / stripes(), l % stripes());
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
  std::vector<char> abandoned_;  // by lock id: our node is queued from a timed-out acquire
  int abandoned_count_ = 0;
};

}  // namespace

std::unique_ptr<RmaLockSet> make_mcs(MPI_Comm comm, int stripes, double timeout_seconds) {
  return std::make_unique<McsLockSet>(comm, stripes, timeout_seconds);
}

}  // namespace ringsim::lock_detail
