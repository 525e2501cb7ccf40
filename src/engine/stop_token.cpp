#include "engine/stop_token.hpp"

#include <unistd.h>

#include <cstring>

namespace ringsim {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;
volatile std::sig_atomic_t g_is_rank0 = 0;
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop_requested) {
    // Only async-signal-safe calls here.
    static const char kNow[] = "ringsim: second signal: stopping now\n";
    if (g_is_rank0) [[maybe_unused]]
      auto n = ::write(2, kNow, sizeof kNow - 1);
    ::_exit(4);
  }
  // The first signal only sets the flag: the collective check says "stopping"
  // when it sees it (an aborting job, which mpirun also sends SIGTERM, never
  // reaches a safe point to claim one).
  g_signal = sig;
  g_stop_requested = 1;
}

}  // namespace

const volatile std::sig_atomic_t* install_stop_handlers(int rank) {
  g_is_rank0 = rank == 0;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  return &g_stop_requested;
}

const char* stop_signal_name() {
  return g_signal == SIGINT ? "SIGINT" : g_signal == SIGTERM ? "SIGTERM" : "a signal";
}

}  // namespace ringsim
