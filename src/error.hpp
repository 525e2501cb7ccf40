// ringsim's user-facing error: one line that names what is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace ringsim {

// Thrown for bad input. Raised identically on every rank (inputs are broadcast
// before they are validated), so every rank can leave the run cleanly without
// a collective being left half-entered. Thrown on one rank alone, it is not
// caught: the terminate handler (main.cpp) prints it and aborts the job
// without unwinding, so no destructor runs a collective.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Raised on every rank at once when verification fails (its inputs come from
// an allreduce), so the run can stop without leaving a rank in a collective.
class VerificationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Faults a test can inject to prove that verification (or the error path)
// catches them. Applied on the last rank: the shard faults after the first
// event's redistribution, the processing faults in the first processing round.
enum class Fault {
  kNone,
  kDropKey,
  kCorruptValue,
  kMisplaceKey,
  kLostUpdate,   // processing: one update written back unchanged
  kLockTimeout,  // processing: the last rank's first lock acquisition times out
  kSlowEvent,    // every rank: the first event takes 5 s longer (signal tests)
};

}  // namespace ringsim
