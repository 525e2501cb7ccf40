// The collective stop check. SIGTERM and SIGINT (a Slurm time limit, a kill,
// a Ctrl-C) set a flag; the run asks at its safe points (between events,
// between initial-placement rounds, between processing batches and lock
// configurations) whether any rank has seen one, with one small allreduce,
// so that every rank stops at the same point. A second signal ends the
// process at once (exit 4); the result file then holds every event that
// completed before it, as the stream flushes each one.
#pragma once

#include <mpi.h>

#include <csignal>
#include <cstdio>

namespace ringsim {

class StopToken {
 public:
  // `flag` may be null: a run that cannot be stopped (tests).
  StopToken(MPI_Comm comm, const volatile std::sig_atomic_t* flag) : comm_(comm), flag_(flag) {}

  // Collective: true on every rank once any rank has a stop request; from
  // then on it stays true without communicating again.
  bool requested() {
    if (stopped_) return true;
    int local = flag_ && *flag_ ? 1 : 0, any = 0;
    MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm_);
    stopped_ = any != 0;
    // Said here, not in the handler: a job being aborted (mpirun sends
    // SIGTERM after MPI_Abort) never reaches a safe point to claim one.
    if (stopped_ && rank0()) std::fputs(kStopping, stderr);
    return stopped_;
  }
  static constexpr const char* kStopping =
      "ringsim: stop requested: stopping at this safe point (a second signal stops at once)\n";
  bool rank0() const {
    int r = 0;
    MPI_Comm_rank(comm_, &r);
    return r == 0;
  }
  // Whether a collective check has said stop (no communication).
  bool stopped() const { return stopped_; }

 private:
  MPI_Comm comm_;
  const volatile std::sig_atomic_t* flag_;
  bool stopped_ = false;
};

// Installs the SIGTERM/SIGINT handlers and returns the flag they set. The
// first signal sets the flag (and rank 0 says so on stderr); the second ends
// the process with exit code 4.
const volatile std::sig_atomic_t* install_stop_handlers(int rank);
// "SIGTERM" or "SIGINT": the signal this rank received first ("a signal" if
// none: another rank's request stopped it).
const char* stop_signal_name();

}  // namespace ringsim
