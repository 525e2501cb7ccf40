// ringsim's user-facing error: one line that names what is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace ringsim {

// Thrown for bad input and failed verification. Raised identically on every
// rank (inputs are broadcast before they are validated), so every rank can
// leave the run cleanly without a collective being left half-entered.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ringsim
