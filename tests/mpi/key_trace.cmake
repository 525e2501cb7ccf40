# Key traces loaded collectively (src/engine/key_trace): the serial read's
# keys in its order, one share per rank, keys resolved across ranks, every
# problem reported on every rank, every trace format plain and zstd-compressed,
# at 1, 2 and 4 ranks.
add_executable(ringsim_key_trace_tests mpi_test_main.cpp test_key_trace.cpp)
target_link_libraries(ringsim_key_trace_tests PRIVATE ringsim_core ringsim_warnings GTest::gtest
                      ${HDF5_C_LIBRARIES})
target_include_directories(ringsim_key_trace_tests SYSTEM PRIVATE ${HDF5_C_INCLUDE_DIRS})
# The generated trace samples of experiments/data (scripts/make-traces.py).
target_compile_definitions(ringsim_key_trace_tests PRIVATE
                           RINGSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
foreach(np 1 2 4)
  if(np GREATER 2)
    set(_procs 2)
  else()
    set(_procs ${np})
  endif()
  add_test(NAME mpi_key_trace_np${np}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${RINGSIM_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_key_trace_tests> ${MPIEXEC_POSTFLAGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(mpi_key_trace_np${np} PROPERTIES
    ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS mpi TIMEOUT 180 PROCESSORS ${_procs})
endforeach()

# The bundled trace experiments (one per format) at 1, 2 and 4 ranks, and a
# malformed trace as a user meets it.
add_test(NAME cli_trace_experiments
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/cli/test_trace_experiments.sh
                 $<TARGET_FILE:ringsim> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/trace_experiments_work)
set_tests_properties(cli_trace_experiments PROPERTIES
  ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS "mpi;cli" TIMEOUT 600 PROCESSORS 2)

# scripts/make-traces.py writes, byte for byte, the samples committed in
# experiments/data (the .zst ones decompress to them).
add_test(NAME trace_samples_regenerate
         COMMAND bash -c "set -e; out=$1/regenerated; rm -rf $out; /usr/bin/python3 $0/scripts/make-traces.py --out $out --no-zstd >/dev/null; for f in sample-lines.txt sample-twitter.csv sample-oracle.bin; do cmp $out/$f $0/experiments/data/$f; cmp $out/$f.keys $0/experiments/data/$f.keys; zstd -dcq $0/experiments/data/$f.zst | cmp - $out/$f; done; echo '9 passed, 0 failed'"
                 ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(trace_samples_regenerate PROPERTIES LABELS unit TIMEOUT 120)
