#pragma once

#include <string_view>

namespace ringsim {

std::string_view version();
std::string_view git_commit();  // at configure time

}  // namespace ringsim
