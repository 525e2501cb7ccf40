# Balance statistics and removal-order dependence (src/engine/balance.*,
# [run] order_dependence): end to end on 1, 2 and 4 ranks, with the figures
# compared over rank counts within one job (sub-communicators of 1, 2 and 4).
add_executable(ringsim_balance_tests mpi_test_main.cpp test_balance_order.cpp)
target_link_libraries(ringsim_balance_tests PRIVATE ringsim_core ringsim_warnings GTest::gtest
                      ${HDF5_C_LIBRARIES})
target_include_directories(ringsim_balance_tests SYSTEM PRIVATE ${HDF5_C_INCLUDE_DIRS})
target_compile_definitions(ringsim_balance_tests PRIVATE
                           RINGSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
foreach(np 1 2 4)
  add_test(NAME mpi_balance_order_np${np}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${RINGSIM_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_balance_tests> ${MPIEXEC_POSTFLAGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  if(np GREATER 2)
    set(_procs 2)
  else()
    set(_procs ${np})
  endif()
  set_tests_properties(mpi_balance_order_np${np} PROPERTIES
    ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS mpi TIMEOUT 300 PROCESSORS ${_procs})
endforeach()

# A bad value of run.order_dependence: one error line, exit 2, no file.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/order_dependence_bad.toml
     "[keys]\ncount = 1000\n[run]\norder_dependence = \"yes\"\n[[strategies]]\nname = \"ring\"\n")
add_test(NAME cli_order_dependence_bad_input
         COMMAND bash -c "out=$(\"$0\" -q -n 2 ${RINGSIM_MPIEXEC_FLAGS} \"$1\" run \"$2\" --out \"$3\" 2>&1); rc=$?; echo \"$out\"; [ $rc -eq 2 ] && [ $(printf '%s\\n' \"$out\" | grep -c .) -eq 1 ] && printf '%s' \"$out\" | grep -q '^ringsim: error: .*order_dependence_bad.toml:4.*run.order_dependence: must be true or false, got a string$' && [ ! -e \"$3\" ]"
                 ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:ringsim>
                 ${CMAKE_CURRENT_BINARY_DIR}/order_dependence_bad.toml
                 ${CMAKE_CURRENT_BINARY_DIR}/order_dependence_bad.h5)
set_tests_properties(cli_order_dependence_bad_input PROPERTIES
  ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS "mpi;cli" TIMEOUT 60 PROCESSORS 2)
