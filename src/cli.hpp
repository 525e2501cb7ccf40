// The command line: `ringsim run [EXPERIMENT] ...`, `ringsim list`.
#pragma once

#include <mpi.h>

namespace ringsim {

// Exit codes of the ringsim command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitVerification = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitRuntime = 3;  // an error during the run (one rank), the job aborted
inline constexpr int kExitStopped = 4;  // SIGTERM: stopped early, partial results written

// Runs the command on every rank of `comm`; only rank 0 prints, except for
// errors raised on one rank alone, which abort the job.
int run_cli(int argc, char** argv, MPI_Comm comm);

}  // namespace ringsim
