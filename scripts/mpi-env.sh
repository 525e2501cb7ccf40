# Sourced by ringsim's scripts: lets Open MPI run as root (containers, CI) and
# with more ranks than cores, so that `mpirun -np 4` works on a 2-core laptop.
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
