#pragma once

#include <string_view>

namespace ringsim {

std::string_view version();
// The git commit of the sources at build time (12 hex digits, "unknown"
// outside a git work tree), and whether tracked files differed from it: 1
// dirty, 0 clean, -1 unknown. Recomputed at every build, not only at
// configure time (cmake/git_info.cmake).
std::string_view git_commit();
int git_dirty();
// How the binary was built: CMAKE_BUILD_TYPE, the compiler's id and version
// ("GNU 12.2.0"), and the C++ flags every source got (CMAKE_CXX_FLAGS, the
// build type's flags, and options such as -msse4.2 or the sanitizers).
std::string_view build_type();
std::string_view compiler();
std::string_view compiler_flags();

}  // namespace ringsim
