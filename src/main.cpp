// ringsim: the thin main. Everything else lives in the ringsim_core library.
#include <boost/mpi/environment.hpp>
#include <cstdio>
#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <exception>
#include <iostream>
#include <typeinfo>

#include "cli.hpp"
#include "error.hpp"

namespace {

// An exception that nothing catches ends here. The C++ runtime calls the
// terminate handler without unwinding the stack when no handler matches, so
// no destructor runs (none frees an MPI window or closes an HDF5 file, both
// collective, while other ranks wait elsewhere): this rank prints one line
// naming itself and the cause, and the whole job stops with exit code 3.
[[noreturn]] void abort_job() {
  int rank = -1, initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string what = "unknown error";
  if (auto ep = std::current_exception()) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::bad_alloc&) {
      what = "out of memory (std::bad_alloc)";
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
  }
  std::fprintf(stderr, "ringsim: error on rank %d: %s\n", rank, what.c_str());
  std::fflush(stderr);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, ringsim::kExitRuntime);
  std::_Exit(ringsim::kExitRuntime);
}

}  // namespace

int main(int argc, char** argv) {
  // Open MPI 4.1's default one-sided component (osc/rdma) crashes on 64-bit
  // MPI_Compare_and_swap, which the RMA locks use. Unless the user chose,
  // allow only sm (one node) and ucx (across nodes); MCA variables are read
  // from the environment at MPI_Init.
  setenv("OMPI_MCA_osc", "sm,ucx", /*overwrite=*/0);
#ifdef __GLIBC__
  // Keep freed memory in the heap instead of returning it to the kernel, so
  // that an event's exchange buffers reuse pages the initial placement has
  // already faulted in (a first touch costs microseconds per page on a VM).
  // Peak memory is unchanged: it is the high-water mark either way.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  std::set_terminate(abort_job);
  // The winlock watchdog is a second thread (it makes no MPI call): funneled.
  boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled);
  if (env.thread_level() < boost::mpi::threading::funneled) {
    std::fprintf(stderr,
                 "ringsim: error: the MPI library gives thread level %d, ringsim needs "
                 "MPI_THREAD_FUNNELED\n",
                 static_cast<int>(env.thread_level()));
    return ringsim::kExitRuntime;
  }
  // No try/catch: an error on one rank goes to abort_job (see above).
  return ringsim::run_cli(argc, argv, MPI_COMM_WORLD);
}
