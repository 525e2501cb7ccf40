// Internals shared by the lock algorithms in src/locks/ (not a public header).
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>
#include <thread>

#include "error.hpp"
#include "locks/rma_lock.hpp"

namespace ringsim::lock_detail {

// Wall-clock deadline for one wait.
class Deadline {
 public:
  explicit Deadline(double seconds)
      : end_(std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(seconds))) {}
  bool expired() const { return std::chrono::steady_clock::now() >= end_; }

 private:
  std::chrono::steady_clock::time_point end_;
};

// The end of a queue lock set's life (mcs, rw-writer, rw-reader, cohort),
// collective and never while an exception unwinds: every rank hands on its
// timed-out requests that are granted meanwhile (`drain`, then `poke` for
// progress), so that chains of them resolve, for at most `timeout_seconds`,
// and warns about any left; then frees the window and the set's
// communicator.
template <class Drain, class Poke>
void drain_then_free(std::string_view algorithm, int rank, double timeout_seconds,
                     const int& abandoned, Drain drain, Poke poke, MPI_Win& win, MPI_Comm& comm) {
  if (abandoned > 0) {
    Deadline deadline(timeout_seconds);
    try {
      while (abandoned > 0 && !deadline.expired()) {
        drain();
        poke();
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "ringsim: warning: %s\n", e.what());
    }
    if (abandoned > 0)
      std::fprintf(stderr, "ringsim: warning: %.*s lock set: rank %d still queued for %d lock(s)\n",
                   static_cast<int>(algorithm.size()), algorithm.data(), rank, abandoned);
  }
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  MPI_Comm_free(&comm);
}

// One round of a spin loop on local window memory: make the window's public
// and private copies agree, let MPI progress (so that incoming accumulates
// land with components that need target-side progress), and give the core to
// another rank if the machine is oversubscribed.
inline void poke_progress(MPI_Win win, MPI_Comm comm) {
  MPI_Win_sync(win);
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, MPI_STATUS_IGNORE);
  std::this_thread::yield();
}

// Busy-waits (yielding) for the given number of microseconds.
inline void pause_us(double us) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double, std::micro>(us));
  while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
}

// Atomic access to the int64 words of a window that is in a lock_all epoch:
// every operation is completed (MPI_Win_flush) before it returns.
class RmaWords {
 public:
  RmaWords() = default;
  RmaWords(MPI_Win win, MPI_Comm comm) : win_(win), comm_(comm) {}
  std::int64_t read(int rank, MPI_Aint disp) const {
    std::int64_t v = 0;
    MPI_Fetch_and_op(nullptr, &v, MPI_INT64_T, rank, disp, MPI_NO_OP, win_);
    MPI_Win_flush(rank, win_);
    return v;
  }
  void write(int rank, MPI_Aint disp, std::int64_t v) const {
    MPI_Accumulate(&v, 1, MPI_INT64_T, rank, disp, 1, MPI_INT64_T, MPI_REPLACE, win_);
    MPI_Win_flush(rank, win_);
  }
  // Returns the old value.
  std::int64_t swap(int rank, MPI_Aint disp, std::int64_t v) const {
    return fetch(rank, disp, v, MPI_REPLACE);
  }
  std::int64_t fetch_add(int rank, MPI_Aint disp, std::int64_t d) const {
    return fetch(rank, disp, d, MPI_SUM);
  }
  // Replaces `expected` by `desired`; returns the old value.
  std::int64_t cas(int rank, MPI_Aint disp, std::int64_t expected, std::int64_t desired) const {
    std::int64_t old = 0;
    MPI_Compare_and_swap(&desired, &expected, &old, MPI_INT64_T, rank, disp, win_);
    MPI_Win_flush(rank, win_);
    return old;
  }
  void poke() const { poke_progress(win_, comm_); }

 private:
  std::int64_t fetch(int rank, MPI_Aint disp, std::int64_t v, MPI_Op op) const {
    std::int64_t old = 0;
    MPI_Fetch_and_op(&v, &old, MPI_INT64_T, rank, disp, op, win_);
    MPI_Win_flush(rank, win_);
    return old;
  }
  MPI_Win win_ = MPI_WIN_NULL;
  MPI_Comm comm_ = MPI_COMM_NULL;
};

// MCS queue nodes (Mellor-Crummey & Scott 1991) in a window of int64 words,
// as used by rw-writer, rw-reader and cohort: a node is two words, next (a
// node id or kNoNode) and then its flag (1 = waiting, 0 = granted); a queue is
// one tail word holding the last node's id or kNoNode. A node id names the
// rank and displacement of the node's next word.
constexpr std::int64_t kNoNode = -1;
inline std::int64_t mcs_node_id(int rank, MPI_Aint disp) {
  return (std::int64_t{rank} << 32) | std::int64_t(disp);
}
inline int mcs_node_rank(std::int64_t id) { return static_cast<int>(id >> 32); }
inline MPI_Aint mcs_node_disp(std::int64_t id) { return MPI_Aint(id & 0xffffffffLL); }

// Resets `node` (next = none, flag = waiting), appends it to the queue whose
// tail is (tail_rank, tail_disp) and links it behind its predecessor. Returns
// the predecessor (kNoNode: the queue was empty, the lock is ours).
inline std::int64_t mcs_enqueue(const RmaWords& w, std::int64_t node, int tail_rank,
                                MPI_Aint tail_disp) {
  const int r = mcs_node_rank(node);
  const MPI_Aint d = mcs_node_disp(node);
  w.write(r, d, kNoNode);
  w.write(r, d + 1, 1);
  const std::int64_t prev = w.swap(tail_rank, tail_disp, node);
  if (prev != kNoNode) w.write(mcs_node_rank(prev), mcs_node_disp(prev), node);
  return prev;
}

inline bool mcs_granted(const RmaWords& w, std::int64_t node) {
  return w.read(mcs_node_rank(node), mcs_node_disp(node) + 1) == 0;
}

// MCS release of the lock held through `node`: frees the tail if nobody is
// queued behind, else grants the successor (waiting for it to link if it has
// swapped the tail but not linked yet). False if it did not link within
// `timeout` seconds (the lock is still held through `node`; call again).
inline bool mcs_release(const RmaWords& w, std::int64_t node, int tail_rank, MPI_Aint tail_disp,
                        double timeout) {
  const int r = mcs_node_rank(node);
  const MPI_Aint d = mcs_node_disp(node);
  std::int64_t next = w.read(r, d);
  if (next == kNoNode) {
    if (w.cas(tail_rank, tail_disp, node, kNoNode) == node) return true;
    Deadline deadline(timeout);
    while ((next = w.read(r, d)) == kNoNode) {
      if (deadline.expired()) return false;
      w.poke();
    }
  }
  w.write(mcs_node_rank(next), mcs_node_disp(next) + 1, 0);
  return true;
}

std::unique_ptr<RmaLockSet> make_winlock(MPI_Comm comm, int stripes, double timeout_seconds);
std::unique_ptr<RmaLockSet> make_spin(MPI_Comm comm, int stripes, double timeout_seconds);
std::unique_ptr<RmaLockSet> make_mcs(MPI_Comm comm, int stripes, double timeout_seconds);
// prefer_writers: "rw-writer", else "rw-reader".
std::unique_ptr<RmaLockSet> make_rw(MPI_Comm comm, int stripes, double timeout_seconds,
                                    bool prefer_writers);
std::unique_ptr<RmaLockSet> make_cohort(MPI_Comm comm, int stripes, const LockOptions& options);

}  // namespace ringsim::lock_detail
