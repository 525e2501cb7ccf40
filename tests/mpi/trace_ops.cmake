# The processing stage's operations from a key trace ([processing] keys =
# "trace": every request once per round, plain and zstd, missed keys, the
# per-rank cap, lost updates caught, refused without a trace) and the request
# load per node (ops_peak_to_mean, ops_cv), at 1, 2 and 4 ranks.
add_executable(ringsim_trace_ops_tests mpi_test_main.cpp test_trace_ops.cpp)
target_link_libraries(ringsim_trace_ops_tests PRIVATE ringsim_core ringsim_warnings GTest::gtest)
foreach(np 1 2 4)
  if(np GREATER 2)
    set(_procs 2)
  else()
    set(_procs ${np})
  endif()
  add_test(NAME mpi_trace_ops_np${np}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${RINGSIM_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_trace_ops_tests> ${MPIEXEC_POSTFLAGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(mpi_trace_ops_np${np} PROPERTIES
    ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS mpi TIMEOUT 180 PROCESSORS ${_procs})
endforeach()
