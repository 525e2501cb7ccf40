// Parameters of one strategy entry of an experiment, with validation.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>

namespace ringsim {

// The key/value pairs of one [[strategies]] entry except `name` and `label`.
// A strategy's factory reads what it knows; reading marks a key as used, and
// finish() rejects whatever is left, so that a misspelt parameter is an error
// rather than a silent default.
class StrategyParams {
 public:
  using Value = std::variant<std::int64_t, double, bool, std::string>;

  StrategyParams() = default;
  explicit StrategyParams(std::string strategy) : strategy_(std::move(strategy)) {}

  void set(const std::string& key, Value v) { values_[key] = std::move(v); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  // Integer parameter in [min, max]; doubles with an integral value are accepted.
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max = INT64_MAX);
  // Real parameter; `min_exclusive` makes the lower bound strict.
  double get_double(const std::string& key, double fallback, double min, bool min_exclusive,
                    double max = 1e300);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);

  // Throws ringsim::Error naming the first parameter nobody read.
  void finish() const;

  const std::string& strategy() const { return strategy_; }
  const std::map<std::string, Value>& values() const { return values_; }
  // "key=value" pairs separated by spaces, as given (the result file's `params`).
  std::string text() const;

 private:
  std::string where(const std::string& key) const;

  std::string strategy_;
  std::map<std::string, Value> values_;
  std::set<std::string> used_;
};

}  // namespace ringsim
