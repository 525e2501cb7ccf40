// "winlock": MPI's own passive-target lock, MPI_Win_lock(MPI_LOCK_EXCLUSIVE,
// owner) ... MPI_Win_unlock(owner) (MPI 3.1 standard, sec. 11.5.3), the
// baseline. One MPI lock covers the owner's whole window, so all stripes of an
// owner are one lock. Window layout and timeout behaviour: see rma_lock.hpp.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "locks/lock_detail.hpp"

namespace ringsim::lock_detail {
namespace {

constexpr int kExitRuntimeError = 3;  // ringsim's exit code for an error during the run

class WinLockSet final : public RmaLockSet {
 public:
  WinLockSet(MPI_Comm comm, int stripes, double timeout)
      : RmaLockSet("winlock", comm, stripes, timeout) {
    MPI_Win_allocate(MPI_Aint(stripes) * MPI_Aint(sizeof(std::int64_t)), sizeof(std::int64_t),
                     MPI_INFO_NULL, comm, &base_, &win_);
    set_window_bytes(win_);
    for (int s = 0; s < stripes; ++s) base_[s] = 0;
    MPI_Barrier(comm);
    watchdog_ = std::thread([this] { watch(); });
  }

  ~WinLockSet() override {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
    // Collective, but never while an exception unwinds (see rma_lock.hpp).
    if (std::uncaught_exceptions() > 0) return;
    for (const auto& [owner, depth] : depth_)
      if (depth > 0) MPI_Win_unlock(owner, win_);
    MPI_Win_free(&win_);
  }

 protected:
  void do_acquire(int owner, int stripe) override {
    if (depth_[owner]++ > 0) return;  // we hold the owner's window already
    waiting_owner_.store(owner, std::memory_order_relaxed);
    waiting_stripe_.store(stripe, std::memory_order_relaxed);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(timeout_seconds()));
    deadline_.store(deadline.time_since_epoch().count(), std::memory_order_release);
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, owner, 0, win_);
    // MPI may grant the lock lazily; an operation cannot complete before it is.
    std::int64_t probe = 0;
    MPI_Get(&probe, 1, MPI_INT64_T, owner, stripe, 1, MPI_INT64_T, win_);
    MPI_Win_flush(owner, win_);
    deadline_.store(0, std::memory_order_release);
  }

  void do_release(int owner, int /*stripe*/) override {
    const auto it = depth_.find(owner);
    if (--it->second == 0) {
      depth_.erase(it);
      MPI_Win_unlock(owner, win_);
    }
  }

 private:
  // Watchdog thread: makes no MPI call. A blocked MPI_Win_lock cannot be
  // interrupted, so on expiry it reports as an uncaught error does ("ringsim:
  // error on rank R: ...") and ends the process with ringsim's runtime-error
  // exit code, 3; mpiexec then ends the job instead of letting it hang.
  void watch() {
    const auto period = std::chrono::duration<double>(
        timeout_seconds() / 20 < 0.05 ? timeout_seconds() / 20 : 0.05);
    std::unique_lock<std::mutex> lk(mutex_);
    while (!wake_.wait_for(lk, period, [this] { return stop_; })) {
      const auto d = deadline_.load(std::memory_order_acquire);
      if (d != 0 && std::chrono::steady_clock::now().time_since_epoch().count() >= d) {
        const std::string msg =
            "ringsim: error on rank " + std::to_string(rank()) + ": " +
            timeout_message(waiting_owner_.load(), waiting_stripe_.load(),
                            "waiting to acquire it (blocked in MPI_Win_lock; ending the process)");
        std::fprintf(stderr, "%s\n", msg.c_str());
        std::fflush(stderr);
        std::_Exit(kExitRuntimeError);
      }
    }
  }

  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
  std::unordered_map<int, int> depth_;  // owner -> stripes of it we hold (one MPI lock)
  std::atomic<std::chrono::steady_clock::rep> deadline_{0};  // 0 = not waiting
  std::atomic<int> waiting_owner_{0}, waiting_stripe_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<RmaLockSet> make_winlock(MPI_Comm comm, int stripes, double timeout_seconds) {
  return std::make_unique<WinLockSet>(comm, stripes, timeout_seconds);
}

}  // namespace ringsim::lock_detail
