// "spin": test-and-test-and-set lock on a 64-bit word with bounded, randomised
// exponential backoff (Rudolph & Segall, ISCA 1984; Anderson, "The performance
// of spin lock alternatives for shared-memory multiprocessors", IEEE TPDS 1990),
// over MPI RMA: MPI_Compare_and_swap to take the word, MPI_Fetch_and_op
// (MPI_NO_OP) to read it while it is taken, inside one MPI_Win_lock_all epoch.
// Window layout: see rma_lock.hpp.
#include <cstdint>
#include <exception>
#include <random>
#include <string>

#include "error.hpp"
#include "locks/lock_detail.hpp"

namespace ringsim::lock_detail {
namespace {

constexpr double kBackoffMinUs = 0.5;
constexpr double kBackoffMaxUs = 256;

class SpinLockSet final : public RmaLockSet {
 public:
  SpinLockSet(MPI_Comm comm, int stripes, double timeout)
      : RmaLockSet("spin", comm, stripes, timeout), rng_(0x5eed0000u + unsigned(rank())) {
    MPI_Comm_dup(comm, &comm_);
    MPI_Win_allocate(MPI_Aint(stripes) * MPI_Aint(sizeof(std::uint64_t)), sizeof(std::uint64_t),
                     MPI_INFO_NULL, comm_, &base_, &win_);
    set_window_bytes(win_);
    for (int s = 0; s < stripes; ++s) base_[s] = 0;
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win_);
    MPI_Win_sync(win_);
    MPI_Barrier(comm_);
  }

  // Collective, but never while an exception unwinds (see rma_lock.hpp).
  ~SpinLockSet() override {
    if (std::uncaught_exceptions() > 0) return;
    MPI_Win_unlock_all(win_);
    MPI_Win_free(&win_);
    MPI_Comm_free(&comm_);
  }

 protected:
  void do_acquire(int owner, int stripe) override {
    const std::uint64_t mine = std::uint64_t(rank()) + 1;
    Deadline deadline(timeout_seconds());
    double cap = kBackoffMinUs;
    for (;;) {
      if (try_take(owner, stripe, mine)) return;
      // Taken: read (no write traffic) until it looks free, backing off.
      for (;;) {
        if (deadline.expired()) throw_timeout(owner, stripe, "waiting to acquire it");
        std::uniform_real_distribution<double> wait(0, cap);
        pause_us(wait(rng_));
        cap = cap * 2 < kBackoffMaxUs ? cap * 2 : kBackoffMaxUs;
        if (read(owner, stripe) == 0) break;
      }
    }
  }

  void do_release(int owner, int stripe) override {
    const std::uint64_t mine = std::uint64_t(rank()) + 1, zero = 0;
    std::uint64_t was = 0;
    MPI_Compare_and_swap(&zero, &mine, &was, MPI_UINT64_T, owner, stripe, win_);
    MPI_Win_flush(owner, win_);
    if (was != mine)
      throw Error(describe(owner, stripe,
                           "releases it but the lock word says " +
                               (was ? "rank " + std::to_string(was - 1) : std::string("free"))));
  }

 private:
  bool try_take(int owner, int stripe, std::uint64_t mine) {
    const std::uint64_t zero = 0;
    std::uint64_t was = 1;
    MPI_Compare_and_swap(&mine, &zero, &was, MPI_UINT64_T, owner, stripe, win_);
    MPI_Win_flush(owner, win_);
    return was == 0;
  }

  std::uint64_t read(int owner, int stripe) {
    std::uint64_t v = 0;
    MPI_Fetch_and_op(nullptr, &v, MPI_UINT64_T, owner, stripe, MPI_NO_OP, win_);
    MPI_Win_flush(owner, win_);
    return v;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  std::uint64_t* base_ = nullptr;
  std::minstd_rand rng_;
};

}  // namespace

std::unique_ptr<RmaLockSet> make_spin(MPI_Comm comm, int stripes, double timeout_seconds) {
  return std::make_unique<SpinLockSet>(comm, stripes, timeout_seconds);
}

}  // namespace ringsim::lock_detail
