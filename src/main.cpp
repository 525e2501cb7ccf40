// ringsim: the thin main. Everything else lives in the ringsim_core library.
#include <boost/mpi/environment.hpp>
#include <exception>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
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
