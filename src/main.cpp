// ringsim: the thin main. Everything else lives in the ringsim_core library.
#include <boost/mpi/environment.hpp>
#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <exception>
#include <iostream>

#include "cli.hpp"

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
  boost::mpi::environment env(argc, argv);
  try {
    return ringsim::run_cli(argc, argv, MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    // An error raised on one rank alone: the others may be inside a
    // collective, so stop the whole job rather than let it hang.
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::cerr << "ringsim: error on rank " << rank << ": " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  return 3;
}
