// Internals shared by the lock algorithms in src/locks/ (not a public header).
#pragma once

#include <mpi.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <thread>

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

std::unique_ptr<RmaLockSet> make_winlock(MPI_Comm comm, int stripes, double timeout_seconds);
std::unique_ptr<RmaLockSet> make_spin(MPI_Comm comm, int stripes, double timeout_seconds);
std::unique_ptr<RmaLockSet> make_mcs(MPI_Comm comm, int stripes, double timeout_seconds);

}  // namespace ringsim::lock_detail
