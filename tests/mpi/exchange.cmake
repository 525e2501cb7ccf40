# The redistribution's exchange methods (src/engine/redistribution): sparse
# (NBX consensus, point-to-point records) against MPI_Alltoallv for several
# strategies, replication factors and event kinds, one-sender and empty
# events, and the count guard, at 2, 4 and 8 ranks (8 oversubscribed).
add_executable(ringsim_exchange_tests mpi_test_main.cpp test_exchange.cpp)
target_link_libraries(ringsim_exchange_tests PRIVATE ringsim_core ringsim_warnings GTest::gtest)
foreach(np 2 4 8)
  add_test(NAME mpi_exchange_np${np}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${RINGSIM_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_exchange_tests> ${MPIEXEC_POSTFLAGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(mpi_exchange_np${np} PROPERTIES
    ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS mpi TIMEOUT 300 PROCESSORS 2)
endforeach()

# One rank alone over the count limit ends the job with its line (exit 3 from
# MPI_Abort) instead of leaving the others waiting: a sender in the plan, for
# each method, and a receiver whose MPI_Alltoallv displacements overflow.
foreach(method alltoallv sparse)
  add_test(NAME mpi_exchange_guard_sender_${method}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 ${RINGSIM_MPIEXEC_FLAGS}
                   ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_exchange_tests> ${MPIEXEC_POSTFLAGS}
                   --gtest_also_run_disabled_tests --gtest_catch_exceptions=0
                   --gtest_filter=ExchangeGuardAbort.DISABLED_OneSenderOverTheLimit)
  set_tests_properties(mpi_exchange_guard_sender_${method} PROPERTIES
    ENVIRONMENT "${RINGSIM_MPI_ENV};RINGSIM_TEST_EXCHANGE=${method}" LABELS mpi TIMEOUT 60
    PASS_REGULAR_EXPRESSION
      "ringsim: error on rank 1: rank 1 would send [0-9]+ records to rank 0, more than the limit of 5 records in one MPI message; use more ranks")
endforeach()
add_test(NAME mpi_exchange_guard_receiver
         COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 4 ${RINGSIM_MPIEXEC_FLAGS}
                 ${MPIEXEC_PREFLAGS} $<TARGET_FILE:ringsim_exchange_tests> ${MPIEXEC_POSTFLAGS}
                 --gtest_also_run_disabled_tests --gtest_catch_exceptions=0
                 --gtest_filter=ExchangeGuardAbort.DISABLED_OneReceiverOverTheDisplacementLimit)
set_tests_properties(mpi_exchange_guard_receiver PROPERTIES
  ENVIRONMENT "${RINGSIM_MPI_ENV}" LABELS mpi TIMEOUT 60 PROCESSORS 2
  PASS_REGULAR_EXPRESSION
    "ringsim: error on rank 0: rank 0 would receive 15 records in one MPI_Alltoallv, whose displacements stop at 5 records")
