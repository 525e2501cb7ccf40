#include "params.hpp"

#include <cmath>
#include <sstream>

#include "error.hpp"

namespace ringsim {

std::string StrategyParams::where(const std::string& key) const {
  return "strategy '" + strategy_ + "': parameter '" + key + "'";
}

std::int64_t StrategyParams::get_int(const std::string& key, std::int64_t fallback,
                                     std::int64_t min, std::int64_t max) {
  used_.insert(key);
  auto it = values_.find(key);
  std::int64_t v = fallback;
  if (it != values_.end()) {
    if (auto* i = std::get_if<std::int64_t>(&it->second)) {
      v = *i;
    } else if (auto* d = std::get_if<double>(&it->second);
               d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9e18) {
      v = static_cast<std::int64_t>(*d);
    } else {
      throw Error(where(key) + " must be an integer");
    }
  }
  if (v < min || v > max) {
    std::ostringstream os;
    os << where(key) << " must be ";
    if (max == INT64_MAX)
      os << ">= " << min;
    else
      os << "in [" << min << ", " << max << "]";
    os << ", got " << v;
    throw Error(os.str());
  }
  return v;
}

double StrategyParams::get_double(const std::string& key, double fallback, double min,
                                  bool min_exclusive, double max) {
  used_.insert(key);
  auto it = values_.find(key);
  double v = fallback;
  if (it != values_.end()) {
    if (auto* d = std::get_if<double>(&it->second))
      v = *d;
    else if (auto* i = std::get_if<std::int64_t>(&it->second))
      v = static_cast<double>(*i);
    else
      throw Error(where(key) + " must be a number");
  }
  const bool below = min_exclusive ? !(v > min) : !(v >= min);
  if (below || !(v <= max)) {
    std::ostringstream os;
    os << where(key) << " must be " << (min_exclusive ? "> " : ">= ") << min;
    if (max < 1e300) os << " and <= " << max;
    os << ", got " << v;
    throw Error(os.str());
  }
  return v;
}

bool StrategyParams::get_bool(const std::string& key, bool fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* b = std::get_if<bool>(&it->second)) return *b;
  throw Error(where(key) + " must be true or false");
}

std::string StrategyParams::get_string(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* s = std::get_if<std::string>(&it->second)) return *s;
  throw Error(where(key) + " must be a string");
}

void StrategyParams::finish() const {
  for (const auto& [key, value] : values_) {
    if (!used_.count(key))
      throw Error("strategy '" + strategy_ + "': unknown parameter '" + key + "'");
  }
}

std::string StrategyParams::text() const {
  std::string out;
  for (const auto& [k, v] : values_) {
    std::ostringstream os;
    std::visit([&](const auto& x) { os << x; }, v);
    out += (out.empty() ? "" : " ") + k + '=' + os.str();
  }
  return out;
}

}  // namespace ringsim
