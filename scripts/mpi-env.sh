# Sourced by ringsim's scripts: lets Open MPI run as root (containers, CI) and
# with more ranks than cores, so that `mpirun -np 4` works on a 2-core laptop.
export OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI 4.1's default one-sided component (osc/rdma) crashes on 64-bit
# MPI_Compare_and_swap on one node; the RMA locks need sm (one node) or ucx.
export OMPI_MCA_osc=${OMPI_MCA_osc:-sm,ucx}
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
