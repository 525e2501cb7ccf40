#include "experiment.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "engine/membership.hpp"
#include "error.hpp"
#include "hash.hpp"
#include "locks/rma_lock.hpp"
#include "registry.hpp"

namespace ringsim {

const char* to_string(EventKind k) {
  switch (k) {
    case EventKind::kAdd:
      return "add";
    case EventKind::kRemove:
      return "remove";
    case EventKind::kFail:
      return "fail";
  }
  return "?";
}

std::string ResolvedEvent::describe() const {
  std::string s;
  if (!origin.empty()) {
    s += origin;
    s += ": ";
  }
  s += to_string(kind);
  s += nodes.size() == 1 ? " node " : " nodes ";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == 4 && nodes.size() > 5) {
      s += ",... (";
      s += std::to_string(nodes.size());
      s += ')';
      break;
    }
    if (i) s += ',';
    s += std::to_string(nodes[i]);
  }
  return s;
}

namespace {

// A number as a user wrote it: 0.5, 1e-06.
std::string short_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "12.5 GB/s" -> (12.5, "GB/s"). Throws Error if no finite number >= 0 leads.
std::pair<double, std::string_view> number_and_unit(std::string_view text, const char* example) {
  text = trim(text);
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end == text.data() || !std::isfinite(x))
    throw Error("\"" + std::string(text) + "\" does not start with a number (write e.g. " +
                example + ")");
  if (x < 0) throw Error("\"" + std::string(text) + "\" is negative");
  return {x, trim(text.substr(static_cast<std::size_t>(end - text.data())))};
}

std::string format_number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

}  // namespace

double parse_bandwidth(std::string_view text) {
  const char* example = "\"100Gb/s\", \"12.5GB/s\" or \"10 GiB/s\"";
  auto [x, unit] = number_and_unit(text, example);
  if (unit.empty())
    throw Error("\"" + std::string(trim(text)) + "\" needs a unit (write e.g. " + example +
                "; a number without quotes is bytes/s)");
  const std::string whole(unit);
  auto bad = [&]() -> double {
    throw Error("\"" + std::string(trim(text)) + "\": unknown unit \"" + whole + "\" (write e.g. " +
                example + "; b or bit: bits, B or byte: bytes)");
  };
  if (unit.ends_with("/s"))
    unit.remove_suffix(2);
  else if (unit.ends_with("ps"))
    unit.remove_suffix(2);
  else
    return bad();
  double scale = 1;
  if (!unit.empty() && std::string_view("kKMGTP").find(unit.front()) != std::string_view::npos) {
    const int power = static_cast<int>(std::string_view("kKMGTP").find(unit.front()));
    const int step = power <= 1 ? 1 : power;  // k and K are both 10^3 (2^10 with i)
    unit.remove_prefix(1);
    const bool binary = unit.starts_with("i");
    if (binary) unit.remove_prefix(1);
    scale = binary ? std::ldexp(1.0, 10 * step) : std::pow(1000.0, step);
  }
  if (unit == "b" || unit == "bit" || unit == "bits")
    scale /= 8;
  else if (!(unit == "B" || unit == "byte" || unit == "bytes" || unit == "Byte" || unit == "Bytes"))
    return bad();
  return x * scale;
}

double parse_latency(std::string_view text) {
  const char* example = "\"2us\", \"1.5ms\" or \"500ns\"";
  const auto [x, unit] = number_and_unit(text, example);
  if (unit.empty())
    throw Error("\"" + std::string(trim(text)) + "\" needs a unit (write e.g. " + example +
                "; a number without quotes is seconds)");
  if (unit == "s") return x;
  if (unit == "ms") return x * 1e-3;
  // us, and micro written with the micro sign (U+00B5) or the Greek mu (U+03BC)
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return x * 1e-6;
  if (unit == "ns") return x * 1e-9;
  throw Error("\"" + std::string(trim(text)) + "\": unknown unit \"" + std::string(unit) +
              "\" (write e.g. " + example + "; s, ms, us or \u00b5s, ns)");
}

namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node* n, const std::string& field,
                         const std::string& msg) const {
    std::ostringstream os;
    os << source_;
    if (n && n->source().begin.line) os << ':' << n->source().begin.line;
    os << ": " << field << ": " << msg;
    throw Error(os.str());
  }
  std::string where(const toml::node& n) const {
    return source_ + ":" + std::to_string(n.source().begin.line);
  }

  // Rejects keys of `t` that are not in `known` (catches misspelt fields).
  void only(const toml::table& t, const std::string& prefix,
            std::initializer_list<const char*> known) const {
    for (auto&& [k, v] : t) {
      const bool ok =
          std::any_of(known.begin(), known.end(), [&](const char* s) { return k.str() == s; });
      if (!ok) fail(&v, prefix + std::string(k.str()), "unknown field");
    }
  }

  std::uint64_t uint(const toml::node& n, const std::string& field, std::uint64_t min,
                     std::uint64_t max) const {
    std::int64_t v = 0;
    if (auto i = n.as_integer()) {
      v = i->get();
    } else if (auto d = n.as_floating_point()) {
      const double x = d->get();
      if (!std::isfinite(x) || std::floor(x) != x || std::fabs(x) > 9e18)
        fail(&n, field, "must be a whole number");
      v = static_cast<std::int64_t>(x);
    } else {
      fail(&n, field, std::string("must be a number, got ") + type_name(n));
    }
    if (v < 0 || static_cast<std::uint64_t>(v) < min || static_cast<std::uint64_t>(v) > max) {
      std::ostringstream os;
      os << "must be in [" << min << ", " << max << "], got " << v;
      fail(&n, field, os.str());
    }
    return static_cast<std::uint64_t>(v);
  }

  double real(const toml::node& n, const std::string& field) const {
    if (auto i = n.as_integer()) return static_cast<double>(i->get());
    if (auto d = n.as_floating_point()) return d->get();
    fail(&n, field, std::string("must be a number, got ") + type_name(n));
  }

  std::string str(const toml::node& n, const std::string& field) const {
    if (auto s = n.as_string()) return s->get();
    fail(&n, field, std::string("must be a string, got ") + type_name(n));
  }

  bool boolean(const toml::node& n, const std::string& field) const {
    if (auto b = n.as_boolean()) return b->get();
    fail(&n, field, std::string("must be true or false, got ") + type_name(n));
  }

  const toml::table& table(const toml::node& n, const std::string& field) const {
    if (auto t = n.as_table()) return *t;
    fail(&n, field, std::string("must be a table, got ") + type_name(n));
  }

  static const char* type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a number";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::table:
        return "a table";
      default:
        return "a date or time";
    }
  }

 private:
  std::string source_;
};

// A byte count: a whole number, or a string of one with a unit B, KB, KiB,
// MB or MiB ("4KiB", "1.5 MB" is refused: whole numbers of the unit only).
std::uint64_t byte_count(const Reader& r, const toml::node& n, const std::string& field,
                         std::uint64_t max) {
  if (!n.as_string()) return r.uint(n, field, 0, max);
  const std::string text = n.as_string()->get();
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(i);
  unit.erase(0, unit.find_first_not_of(' '));
  const std::pair<const char*, std::uint64_t> units[] = {
      {"", 1}, {"B", 1}, {"KB", 1000}, {"KiB", 1024}, {"MB", 1000000}, {"MiB", 1u << 20}};
  std::uint64_t scale = 0;
  for (const auto& [name, s] : units)
    if (unit == name) scale = s;
  if (i == 0 || i > 12 || scale == 0)
    r.fail(&n, field,
           "must be a number of bytes, e.g. 512 or \"4KiB\" (units B, KB, KiB, MB, MiB), got \"" +
               text + "\"");
  const std::uint64_t v = std::stoull(text.substr(0, i)) * scale;
  if (v > max) r.fail(&n, field, "must be at most " + std::to_string(max) + " bytes, got " + text);
  return v;
}

// keys.value_size = { distribution = ..., parameters }.
void parse_value_size(const Reader& r, const toml::node& node, Experiment& e) {
  const auto& t = r.table(node, "keys.value_size");
  r.only(t, "keys.value_size.", {"distribution", "bytes", "min", "max", "mean", "sigma", "alpha"});
  ValueSizeSpec& v = e.keys.value_size;
  const auto* d = t.get("distribution");
  if (!d)
    r.fail(&node, "keys.value_size.distribution",
           "missing (fixed, uniform, lognormal, pareto or trace)");
  const std::string name = r.str(*d, "keys.value_size.distribution");
  const std::pair<const char*, ValueSizeDistribution> names[] = {
      {"fixed", ValueSizeDistribution::kFixed},
      {"uniform", ValueSizeDistribution::kUniform},
      {"lognormal", ValueSizeDistribution::kLognormal},
      {"pareto", ValueSizeDistribution::kPareto},
      {"trace", ValueSizeDistribution::kTrace}};
  bool known = false;
  for (const auto& [n, dist] : names)
    if (name == n) {
      v.distribution = dist;
      known = true;
    }
  if (!known)
    r.fail(d, "keys.value_size.distribution",
           "must be \"fixed\", \"uniform\", \"lognormal\", \"pareto\" or \"trace\", got \"" + name +
               "\"");
  // Which parameters each distribution takes.
  const auto allow = [&](std::initializer_list<const char*> ok) {
    for (auto&& [k, val] : t) {
      const std::string key(k.str());
      if (key == "distribution") continue;
      if (std::none_of(ok.begin(), ok.end(), [&](const char* s) { return key == s; }))
        r.fail(&val, "keys.value_size." + key,
               "is not a parameter of distribution \"" + name + "\"");
    }
  };
  const auto need = [&](const char* key) -> const toml::node& {
    const auto* n = t.get(key);
    if (!n)
      r.fail(&node, std::string("keys.value_size.") + key,
             "missing: distribution \"" + name + "\" needs it");
    return *n;
  };
  const auto bytes = [&](const char* key) {
    return byte_count(r, need(key), std::string("keys.value_size.") + key, kMaxValueBytes);
  };
  const auto clamp_range = [&] {
    if (t.get("min")) v.min = bytes("min");
    if (t.get("max")) v.max = bytes("max");
    if (v.min > v.max)
      r.fail(t.get("max"), "keys.value_size.max",
             "must be >= min (" + std::to_string(v.min) + "), got " + std::to_string(v.max));
  };
  const auto mean = [&] {
    const double m = static_cast<double>(bytes("mean"));
    if (!(m >= 1)) r.fail(t.get("mean"), "keys.value_size.mean", "must be at least 1 byte");
    v.mean = m;
  };
  switch (v.distribution) {
    case ValueSizeDistribution::kFixed:
      allow({"bytes"});
      e.keys.value_bytes = byte_count(r, need("bytes"), "keys.value_size.bytes", kMaxValueBytes);
      if (e.keys.value_bytes < 8)
        r.fail(t.get("bytes"), "keys.value_size.bytes",
               "must be at least 8 for fixed sizes (use uniform with min = max for smaller)");
      break;
    case ValueSizeDistribution::kUniform:
      allow({"min", "max"});
      need("min");
      need("max");
      clamp_range();
      break;
    case ValueSizeDistribution::kLognormal:
      allow({"mean", "sigma", "min", "max"});
      mean();
      v.sigma = r.real(need("sigma"), "keys.value_size.sigma");
      if (!(v.sigma > 0) || v.sigma > 5)
        r.fail(t.get("sigma"), "keys.value_size.sigma", "must be > 0 and <= 5");
      clamp_range();
      break;
    case ValueSizeDistribution::kPareto:
      allow({"mean", "alpha", "min", "max"});
      mean();
      v.alpha = r.real(need("alpha"), "keys.value_size.alpha");
      if (!(v.alpha > 1) || v.alpha > 100)
        r.fail(t.get("alpha"), "keys.value_size.alpha", "must be > 1 (a finite mean) and <= 100");
      clamp_range();
      break;
    case ValueSizeDistribution::kTrace:
      allow({});
      if (e.keys.distribution != KeyDistribution::kFile || e.keys.format == TraceFormat::kLines)
        r.fail(d, "keys.value_size.distribution",
               "\"trace\" needs keys.distribution = \"file\" with format \"twitter\" or \"oracle\" "
               "(a trace that gives value sizes)");
      break;
  }
}

// `--set a.b.c=value`: the value is read as TOML, and a bare word that is not
// valid TOML is taken as a string, so that --set keys.distribution=sequential works.
void apply_override(toml::table& root, const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) throw Error("--set " + arg + ": expected KEY.PATH=VALUE");
  const std::string path = arg.substr(0, eq);
  const std::string value = arg.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};
  }
  toml::table* t = &root;
  std::string::size_type start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw Error("--set " + arg + ": empty field name in '" + path + "'");
    if (dot == std::string::npos) {
      t->insert_or_assign(part, *parsed.get("v"));
      return;
    }
    auto* next = t->get(part);
    if (!next) {
      t->insert_or_assign(part, toml::table{});
      next = t->get(part);
    }
    if (!next->is_table())
      throw Error("--set " + arg + ": '" + part +
                  "' is not a table (arrays such as strategies "
                  "and events cannot be overridden)");
    t = next->as_table();
    start = dot + 1;
  }
}

}  // namespace

Experiment parse_experiment(std::string_view text, const std::string& source,
                            const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source << ':' << e.source().begin.line << ": " << e.description();
    throw Error(os.str());
  }
  for (const auto& o : overrides) apply_override(root, o);

  Reader r(source);
  Experiment e;
  e.source = source;
  e.text = std::string(text);
  e.overrides = overrides;
  r.only(root, "",
         {"name", "description", "keys", "cluster", "run", "network", "processing", "locks",
          "strategies", "events"});

  if (auto n = root.get("description")) e.description = r.str(*n, "description");
  if (auto n = root.get("name")) {
    // The name makes the default result path, results/<name>.h5.
    e.name = r.str(*n, "name");
    if (e.name.empty()) r.fail(n, "name", "must not be empty");
    if (e.name.find_first_of("/\\") != std::string::npos || e.name.find("..") != std::string::npos)
      r.fail(n, "name",
             "must not contain '/', '\\' or '..' (it names the result file results/<name>.h5), "
             "got \"" +
                 e.name + "\"");
    if (std::any_of(e.name.begin(), e.name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      r.fail(n, "name", "must not contain control characters");
  }

  if (auto n = root.get("keys")) {
    const auto& t = r.table(*n, "keys");
    r.only(t, "keys.",
           {"count", "seed", "distribution", "file", "format", "compression", "zipf_exponent",
            "key_bytes", "value_bytes", "value_size"});
    if (auto c = t.get("zipf_exponent")) {
      e.keys.zipf_exponent = r.real(*c, "keys.zipf_exponent");
      if (!(e.keys.zipf_exponent > 0) || e.keys.zipf_exponent > 10)
        r.fail(c, "keys.zipf_exponent", "must be > 0 and <= 10");
    }
    if (auto c = t.get("file")) e.keys.file = r.str(*c, "keys.file");
    if (auto c = t.get("format")) {
      const auto f = r.str(*c, "keys.format");
      if (f == "lines")
        e.keys.format = TraceFormat::kLines;
      else if (f == "twitter")
        e.keys.format = TraceFormat::kTwitter;
      else if (f == "oracle")
        e.keys.format = TraceFormat::kOracle;
      else
        r.fail(c, "keys.format", "must be \"lines\", \"twitter\" or \"oracle\", got \"" + f + "\"");
    }
    if (auto c = t.get("compression")) {
      const auto z = r.str(*c, "keys.compression");
      if (z == "auto")
        e.keys.compression = TraceCompression::kAuto;
      else if (z == "none")
        e.keys.compression = TraceCompression::kNone;
      else if (z == "zstd")
        e.keys.compression = TraceCompression::kZstd;
      else
        r.fail(c, "keys.compression",
               "must be \"auto\" (zstd for a .zst file), \"none\" or \"zstd\", got \"" + z + "\"");
    }
    if (auto c = t.get("count")) e.keys.count = r.uint(*c, "keys.count", 1, 1ULL << 40);
    if (auto c = t.get("seed")) e.keys.seed = r.uint(*c, "keys.seed", 0, INT64_MAX);
    if (auto c = t.get("distribution")) {
      const auto d = r.str(*c, "keys.distribution");
      if (d == "uniform")
        e.keys.distribution = KeyDistribution::kUniform;
      else if (d == "sequential")
        e.keys.distribution = KeyDistribution::kSequential;
      else if (d == "file")
        e.keys.distribution = KeyDistribution::kFile;
      else if (d == "zipf")
        e.keys.distribution = KeyDistribution::kZipf;
      else
        r.fail(c, "keys.distribution",
               "must be \"uniform\", \"sequential\", \"zipf\" or \"file\", got \"" + d + "\"");
      if (e.keys.distribution == KeyDistribution::kFile && !t.get("file"))
        r.fail(c, "keys.file", "missing: distribution = \"file\" needs keys.file = \"path\"");
      e.keys_count_given = t.get("count") != nullptr;
    }
    if (auto c = t.get("key_bytes")) r.uint(*c, "keys.key_bytes", 8, 8);
    if (auto c = t.get("value_bytes")) e.keys.value_bytes = r.uint(*c, "keys.value_bytes", 8, 4096);
    if (auto c = t.get("value_size")) {
      if (t.get("value_bytes"))
        r.fail(c, "keys.value_size",
               "give keys.value_bytes or keys.value_size, not both (value_size = { distribution = "
               "\"fixed\", bytes = N } is value_bytes = N)");
      parse_value_size(r, *c, e);
    }
  }

  if (auto n = root.get("cluster")) {
    const auto& t = r.table(*n, "cluster");
    r.only(t, "cluster.", {"nodes", "initial", "weights", "replicas", "mapping"});
    if (auto c = t.get("mapping")) {
      e.mapping = r.str(*c, "cluster.mapping");
      if (e.mapping != "random" && e.mapping != "block" && e.mapping != "cyclic")
        r.fail(c, "cluster.mapping",
               "must be \"random\", \"block\" or \"cyclic\", got \"" + e.mapping + "\"");
    }
    if (auto c = t.get("replicas"))
      e.replicas = static_cast<std::uint32_t>(r.uint(*c, "cluster.replicas", 1, 8));
    if (auto c = t.get("nodes"))
      e.nodes = static_cast<std::uint32_t>(r.uint(*c, "cluster.nodes", 1, 1u << 24));
    if (auto c = t.get("initial"))
      e.initial = static_cast<std::uint32_t>(r.uint(*c, "cluster.initial", 1, 1u << 24));
    if (auto c = t.get("weights")) {
      auto* a = c->as_array();
      if (!a) r.fail(c, "cluster.weights", "must be an array of numbers");
      for (auto&& w : *a) {
        const double x = r.real(w, "cluster.weights");
        if (!(x >= kMinWeight && x <= kMaxWeight))
          r.fail(&w, "cluster.weights",
                 "each weight must be in [" + format_number(kMinWeight) + ", " +
                     format_number(kMaxWeight) + "], got " + format_number(x));
        e.weights.push_back(x);
      }
    }
  }

  if (auto n = root.get("run")) {
    const auto& t = r.table(*n, "run");
    if (auto c = t.get("node_matrix_max"))
      r.fail(c, "run.node_matrix_max",
             "is no longer a setting: node-to-node traffic is always stored, as sparse rows "
             "(delete the line)");
    r.only(t, "run.",
           {"verify", "compress", "repetitions", "floor_repeats", "exchange", "order_dependence"});
    if (auto c = t.get("exchange")) {
      e.exchange = r.str(*c, "run.exchange");
      if (e.exchange != "alltoallv" && e.exchange != "sparse")
        r.fail(c, "run.exchange",
               "must be \"alltoallv\" or \"sparse\", got \"" + e.exchange + "\"");
    }
    if (auto c = t.get("floor_repeats"))
      e.floor_repeats = static_cast<std::uint32_t>(r.uint(*c, "run.floor_repeats", 0, 100));
    if (auto c = t.get("repetitions"))
      e.repetitions = static_cast<std::uint32_t>(r.uint(*c, "run.repetitions", 1, 1000));
    if (auto c = t.get("compress")) e.compress = r.boolean(*c, "run.compress");
    if (auto c = t.get("verify")) e.verify = r.boolean(*c, "run.verify");
    if (auto c = t.get("order_dependence"))
      e.order_dependence = r.boolean(*c, "run.order_dependence");
  }

  if (auto n = root.get("network")) {
    const auto& t = r.table(*n, "network");
    r.only(t, "network.", {"bandwidth", "latency"});
    // A number, or a string with its unit; 0: use the run's own calibration.
    auto value = [&](const char* name, double (*parse)(std::string_view), double lo, double hi,
                     const char* range) {
      const std::string field = std::string("network.") + name;
      const toml::node* c = t.get(name);
      double x = 0;
      if (auto s = c->as_string()) {
        try {
          x = parse(s->get());
        } catch (const Error& err) {
          r.fail(c, field, err.what());
        }
      } else {
        if (!c->is_number())
          r.fail(c, field,
                 std::string("must be a number or a string with a unit, got ") +
                     Reader::type_name(*c));
        x = r.real(*c, field);
      }
      if (!(x == 0 || (x >= lo && x <= hi)))
        r.fail(c, field, std::string("must be 0 (use the run's calibration) or ") + range);
      return x;
    };
    if (t.get("bandwidth"))
      e.network.bandwidth = value("bandwidth", parse_bandwidth, 1e3, 1e15,
                                  "between 1 kB/s and 1 PB/s (a number is bytes/s)");
    if (t.get("latency"))
      e.network.latency =
          value("latency", parse_latency, 1e-9, 10, "between 1 ns and 10 s (a number is seconds)");
  }

  if (auto n = root.get("processing")) {
    const auto& t = r.table(*n, "processing");
    r.only(t, "processing.",
           {"updates", "lock", "stripes", "keys", "zipf_exponent", "zipfian_constant",
            "hot_set_fraction", "hot_opn_fraction", "hot_keys", "reads", "transform",
            "work_inside_us", "work_outside_us", "timeout", "ranks_per_host", "cohort_handoffs"});
    ProcessingConfig& p = e.processing;
    if (auto c = t.get("updates")) p.updates = r.uint(*c, "processing.updates", 0, 1ULL << 32);
    if (auto c = t.get("stripes"))
      p.stripes = static_cast<int>(r.uint(*c, "processing.stripes", 1, 1u << 20));
    if (auto c = t.get("hot_keys"))
      p.hot_keys = static_cast<std::uint32_t>(r.uint(*c, "processing.hot_keys", 1, 1u << 30));
    if (auto c = t.get("ranks_per_host"))
      p.ranks_per_host = static_cast<int>(r.uint(*c, "processing.ranks_per_host", 0, 1u << 20));
    if (auto c = t.get("cohort_handoffs"))
      p.cohort_handoffs = static_cast<int>(r.uint(*c, "processing.cohort_handoffs", 1, 1u << 20));
    auto one_of = [&](const char* field, std::string& out,
                      std::initializer_list<const char*> allowed) {
      auto* c = t.get(field);
      if (!c) return;
      out = r.str(*c, std::string("processing.") + field);
      std::string list;
      for (const char* a : allowed) {
        if (out == a) return;
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      r.fail(c, std::string("processing.") + field,
             "must be one of " + list + ", got \"" + out + "\"");
    };
    if (auto* c = t.get("lock")) {
      // Every algorithm make_lock_set knows, and the lock-free baseline.
      p.lock = r.str(*c, "processing.lock");
      std::vector<std::string> allowed = lock_algorithms();
      allowed.push_back("none");
      if (std::find(allowed.begin(), allowed.end(), p.lock) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        r.fail(c, "processing.lock", "must be one of " + list + ", got \"" + p.lock + "\"");
      }
    }
    one_of("keys", p.keys, {"uniform", "zipf", "zipfian", "latest", "hotspot", "hot", "trace"});
    if (p.keys == "trace" && e.keys.distribution != KeyDistribution::kFile)
      r.fail(t.get("keys"), "processing.keys",
             std::string("\"trace\" replays a key trace's requests and needs keys.distribution = "
                         "\"file\", not \"") +
                 to_string(e.keys.distribution) + "\"");
    one_of("transform", p.transform, {"increment", "double"});
    auto real_in = [&](const char* field, double& out, double lo, double hi) {
      auto* c = t.get(field);
      if (!c) return;
      out = r.real(*c, std::string("processing.") + field);
      if (!(out >= lo && out <= hi))
        r.fail(c, std::string("processing.") + field,
               "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    };
    real_in("zipf_exponent", p.zipf_exponent, 0.01, 10);
    real_in("zipfian_constant", p.zipfian_constant, 0.01, 10);
    real_in("hot_set_fraction", p.hot_set_fraction, 1e-9, 1);
    real_in("hot_opn_fraction", p.hot_opn_fraction, 0, 1);
    real_in("reads", p.reads, 0, 1);
    real_in("work_inside_us", p.work_inside_us, 0, 1e6);
    real_in("work_outside_us", p.work_outside_us, 0, 1e6);
    real_in("timeout", p.timeout_seconds, 0.001, 86400);
    if (p.keys == "trace" && p.reads > 0 && e.keys.format == TraceFormat::kTwitter)
      r.fail(t.get("reads"), "processing.reads",
             "must be 0 with keys = \"trace\" on a twitter trace (its operations say which "
             "requests read)");
    if (p.lock == "none" && p.transform == "double")
      r.fail(t.get("transform"), "processing.transform",
             "\"double\" needs a lock (lock = \"none\" applies increments as atomic accumulates)");
  }

  if (auto n = root.get("locks")) {
    const auto& t = r.table(*n, "locks");
    r.only(t, "locks.",
           {"algorithms", "workloads", "ranks", "acquisitions", "duration", "stripes", "target",
            "timeout", "reads", "reads_workloads", "ranks_per_host", "cohort_handoffs"});
    e.has_locks = true;
    auto& L = e.locks;
    auto names = [&](const char* field, std::vector<std::string>& out,
                     const std::vector<std::string>& allowed) {
      auto* c = t.get(field);
      if (!c) return;
      auto* a = c->as_array();
      if (!a || a->empty())
        r.fail(c, std::string("locks.") + field, "must be a non-empty array of names");
      out.clear();
      for (auto&& x : *a) {
        const std::string v = r.str(x, std::string("locks.") + field);
        std::string list;
        bool ok = false;
        for (const auto& al : allowed) {
          ok = ok || v == al;
          list += (list.empty() ? "" : ", ") + al;
        }
        for (const auto& seen : out)
          if (seen == v) r.fail(&x, std::string("locks.") + field, "\"" + v + "\" is listed twice");
        if (!ok)
          r.fail(&x, std::string("locks.") + field, "unknown \"" + v + "\" (known: " + list + ")");
        out.push_back(v);
      }
    };
    const std::vector<std::string> workloads{"empty", "remote-access", "work", "wait-after",
                                             "uncontended"};
    names("algorithms", L.algorithms, lock_algorithms());
    names("workloads", L.workloads, workloads);
    if (auto c = t.get("reads")) {
      auto* a = c->as_array();
      if (!a || a->empty())
        r.fail(c, "locks.reads", "must be a non-empty array of read fractions in [0, 1]");
      L.reads.clear();
      for (auto&& x : *a) {
        const double v = r.real(x, "locks.reads");
        if (!(v >= 0 && v <= 1))
          r.fail(&x, "locks.reads", "must be fractions in [0, 1], got " + short_number(v));
        for (double seen : L.reads)
          if (seen == v) r.fail(&x, "locks.reads", short_number(v) + " is listed twice");
        L.reads.push_back(v);
      }
    }
    if (t.get("reads_workloads")) {
      names("reads_workloads", L.reads_workloads, workloads);
      for (const auto& w : L.reads_workloads)
        if (std::find(L.workloads.begin(), L.workloads.end(), w) == L.workloads.end())
          r.fail(t.get("reads_workloads"), "locks.reads_workloads",
                 "\"" + w + "\" is not one of locks.workloads");
    }
    if (auto c = t.get("ranks_per_host"))
      L.ranks_per_host = static_cast<int>(r.uint(*c, "locks.ranks_per_host", 0, 1u << 20));
    if (auto c = t.get("cohort_handoffs"))
      L.cohort_handoffs = static_cast<int>(r.uint(*c, "locks.cohort_handoffs", 1, 1u << 20));
    if (auto c = t.get("ranks")) {
      auto* a = c->as_array();
      if (!a || a->empty()) r.fail(c, "locks.ranks", "must be a non-empty array of rank counts");
      for (auto&& x : *a)
        L.ranks.push_back(static_cast<int>(r.uint(x, "locks.ranks", 1, 1u << 20)));
    }
    if (auto c = t.get("acquisitions"))
      L.acquisitions = r.uint(*c, "locks.acquisitions", 0, 1ULL << 32);
    if (auto c = t.get("duration")) {
      L.duration = r.real(*c, "locks.duration");
      if (!(L.duration >= 0 && L.duration <= 3600))
        r.fail(c, "locks.duration", "must be in [0, 3600] seconds");
    }
    if (L.acquisitions == 0 && L.duration <= 0)
      r.fail(&t, "locks", "give acquisitions > 0 or a duration in seconds");
    if (auto c = t.get("stripes"))
      L.stripes = static_cast<int>(r.uint(*c, "locks.stripes", 1, 1u << 20));
    if (auto c = t.get("target")) {
      L.target = r.str(*c, "locks.target");
      if (L.target != "hot" && L.target != "random")
        r.fail(c, "locks.target", "must be \"hot\" or \"random\", got \"" + L.target + "\"");
    }
    if (auto c = t.get("timeout")) {
      L.timeout = r.real(*c, "locks.timeout");
      if (!(L.timeout > 0)) r.fail(c, "locks.timeout", "must be > 0 seconds");
    }
  }

  auto* strategies = root.get("strategies");
  if (!strategies && !e.has_locks)
    r.fail(nullptr, "strategies",
           "missing: list at least one [[strategies]] entry (or a [locks] table)");
  auto* sarr = strategies ? strategies->as_array() : nullptr;
  if (strategies && (!sarr || sarr->empty()))
    r.fail(strategies, "strategies", "must be a non-empty array of tables ([[strategies]])");
  const std::size_t n_strategies = sarr ? sarr->size() : 0;
  std::set<std::string> labels;
  for (std::size_t i = 0; i < n_strategies; ++i) {
    const std::string field = "strategies[" + std::to_string(i) + "]";
    const auto& t = r.table(*sarr->get(i), field);
    auto* name = t.get("name");
    if (!name) r.fail(sarr->get(i), field + ".name", "missing");
    StrategySpec s{.label = "",
                   .params = StrategyParams(r.str(*name, field + ".name")),
                   .where = r.where(t),
                   .traits = {},
                   .state_bytes = 0};
    s.label = s.params.strategy();
    for (auto&& [k, v] : t) {
      const std::string key(k.str());
      if (key == "name") continue;
      if (key == "label") {
        s.label = r.str(v, field + ".label");
        continue;
      }
      if (auto i64 = v.as_integer())
        s.params.set(key, i64->get());
      else if (auto d = v.as_floating_point())
        s.params.set(key, d->get());
      else if (auto b = v.as_boolean())
        s.params.set(key, b->get());
      else if (auto str = v.as_string())
        s.params.set(key, str->get());
      else
        r.fail(&v, field + "." + key, "must be a number, boolean or string");
    }
    if (s.label.empty() || s.label.find_first_of("/. ") != std::string::npos)
      r.fail(&t, field + ".label", "must be non-empty without '/', '.' or spaces");
    // /strategies in the result file holds a group per label beside these
    // datasets (the order and its dimension scales).
    for (const char* taken : {"order", "run_order", "strategy", "repetition", "position"})
      if (s.label == taken)
        r.fail(&t, field + ".label",
               "'" + s.label +
                   "' names a dataset of the result file's /strategies group; give the entry a "
                   "label (order, run_order, strategy, repetition and position are taken)");
    if (!labels.insert(s.label).second)
      r.fail(&t, field + ".label",
             "'" + s.label + "' is used twice; give one entry a distinct label");
    e.strategies.push_back(std::move(s));
  }

  if (auto n = root.get("events")) {
    auto* earr = n->as_array();
    if (!earr) r.fail(n, "events", "must be an array of tables ([[events]])");
    for (std::size_t i = 0; i < earr->size(); ++i) {
      const std::string field = "events[" + std::to_string(i) + "]";
      const auto& t = r.table(*earr->get(i), field);
      EventSpec ev;
      ev.where = r.where(t);
      auto* kind = t.get("kind");
      const char* kinds = "add, remove, fail, rejoin, restart, churn or scale";
      if (!kind) r.fail(&t, field + ".kind", std::string("missing (") + kinds + ")");
      ev.kind = r.str(*kind, field + ".kind");
      if (ev.kind == "add" || ev.kind == "remove" || ev.kind == "fail" || ev.kind == "rejoin" ||
          ev.kind == "restart")
        r.only(t, field + ".", {"kind", "count", "node", "nodes"});
      else if (ev.kind == "churn")
        r.only(t, field + ".", {"kind", "rate", "steps", "mode"});
      else if (ev.kind == "scale")
        r.only(t, field + ".", {"kind", "to"});
      else
        r.fail(kind, field + ".kind",
               std::string("must be ") + kinds + ", got \"" + ev.kind + "\"");
      if (auto c = t.get("count"))
        ev.count = static_cast<std::uint32_t>(r.uint(*c, field + ".count", 1, 1u << 24));
      if (auto c = t.get("node"))
        ev.nodes.push_back(static_cast<NodeId>(r.uint(*c, field + ".node", 0, (1u << 24) - 1)));
      if (auto c = t.get("nodes")) {
        auto* a = c->as_array();
        if (!a || a->empty()) r.fail(c, field + ".nodes", "must be a non-empty array of node ids");
        for (auto&& x : *a)
          ev.nodes.push_back(static_cast<NodeId>(r.uint(x, field + ".nodes", 0, (1u << 24) - 1)));
      }
      if (t.get("node") && t.get("nodes")) r.fail(&t, field, "give either node or nodes, not both");
      if (!ev.nodes.empty() && t.get("count"))
        r.fail(&t, field, "give either count or node(s), not both");
      if (auto c = t.get("rate"))
        ev.rate = static_cast<std::uint32_t>(r.uint(*c, field + ".rate", 1, 1u << 24));
      if (auto c = t.get("steps"))
        ev.steps = static_cast<std::uint32_t>(r.uint(*c, field + ".steps", 1, 100000));
      if (auto c = t.get("mode")) {
        const auto mode = r.str(*c, field + ".mode");
        if (mode == "remove")
          ev.churn_mode = EventKind::kRemove;
        else if (mode == "fail")
          ev.churn_mode = EventKind::kFail;
        else
          r.fail(c, field + ".mode", "must be \"remove\" or \"fail\", got \"" + mode + "\"");
      }
      if (ev.kind == "scale") {
        auto* to = t.get("to");
        if (!to) r.fail(&t, field + ".to", "missing: the number of active nodes to reach");
        ev.to = static_cast<std::uint32_t>(r.uint(*to, field + ".to", 1, 1u << 24));
      }
      e.events.push_back(std::move(ev));
    }
  }

  // A relative key trace is found beside the experiment file (or in the
  // working folder for the built-in one and for text without a file).
  if (!e.keys.file.empty()) {
    std::filesystem::path path(e.keys.file);
    if (path.is_relative() && !e.source.empty() && e.source.front() != '<')
      path = std::filesystem::path(e.source).parent_path() / path;
    e.keys.path = path.string();
  }
  return e;
}

namespace {

// A set of node ids in [0, n) that finds its k-th smallest member and
// inserts or erases one in O(log n) (a Fenwick tree of 0/1 counts).
class OrderedNodeSet {
 public:
  explicit OrderedNodeSet(std::uint32_t n) : tree_(std::size_t{n} + 1, 0) {
    for (top_ = 1; top_ * 2 <= n; top_ *= 2) {
    }
  }
  std::uint32_t size() const { return size_; }
  void insert(NodeId v) { update(v, +1); }
  void erase(NodeId v) { update(v, -1); }
  // The k-th smallest member, k < size().
  NodeId kth(std::uint32_t k) const {
    std::size_t pos = 0;
    std::uint32_t rest = k + 1;
    for (std::size_t step = top_; step > 0; step /= 2) {
      if (pos + step < tree_.size() && tree_[pos + step] < rest) {
        pos += step;
        rest -= tree_[pos];
      }
    }
    return static_cast<NodeId>(pos);  // the 1-based position pos + 1 holds node pos
  }

 private:
  void update(NodeId v, int delta) {
    size_ = static_cast<std::uint32_t>(static_cast<int>(size_) + delta);
    for (std::size_t i = std::size_t{v} + 1; i < tree_.size(); i += i & (~i + 1))
      tree_[i] = static_cast<std::uint32_t>(static_cast<int>(tree_[i]) + delta);
  }
  std::vector<std::uint32_t> tree_;
  std::size_t top_ = 1;
  std::uint32_t size_ = 0;
};

// Expands the [[events]] entries into add/remove/fail steps against a
// membership that every strategy shares, checking each step. Each step costs
// O(k log N) for k nodes changing among N.
class TimelineBuilder {
 public:
  TimelineBuilder(const Experiment& e, int ranks, const std::vector<PlacementTraits>& traits,
                  std::string nodes_desc)
      : e_(e),
        traits_(traits),
        nodes_desc_(std::move(nodes_desc)),
        m_(e.nodes, ranks, e.weights),
        active_(e.nodes),
        inactive_(e.nodes),
        joined_at_(e.nodes, 0),
        left_at_(e.nodes, 0) {
    for (NodeId n = 0; n < e.nodes; ++n) inactive_.insert(n);
    for (NodeId n = 0; n < e.initial; ++n) activate(n);
  }

  void expand(std::size_t i) {
    const EventSpec& ev = e_.events[i];
    at_ = ev.where + ": events[" + std::to_string(i) + "]: ";
    index_ = i;
    draws_ = 0;
    for (NodeId n : ev.nodes)
      if (n >= e_.nodes)
        throw Error(at_ + "node " + std::to_string(n) + " does not exist (" + nodes_desc_ + ")");
    const std::uint32_t count = ev.count ? ev.count : 1;
    if (ev.kind == "add") {
      join(ev.nodes.empty() ? lowest_inactive(count) : ev.nodes, "");
    } else if (ev.kind == "remove" || ev.kind == "fail") {
      leave(ev.kind == "fail" ? EventKind::kFail : EventKind::kRemove,
            ev.nodes.empty() ? random_active(count) : ev.nodes, "");
    } else if (ev.kind == "rejoin") {
      std::vector<NodeId> back = ev.nodes;
      if (back.empty()) {
        if (departed_.size() < count)
          throw Error(at_ + "cannot rejoin " + std::to_string(count) + " node(s): only " +
                      std::to_string(departed_.size()) + " have left");
        // The `count` most recent departures, oldest of them first.
        auto it = departed_.end();
        for (std::uint32_t k = 0; k < count; ++k) --it;
        for (; it != departed_.end(); ++it) back.push_back(it->second);
      }
      join(back, "rejoin");
    } else if (ev.kind == "restart") {
      // Rolling restart: one node at a time leaves gracefully and comes back.
      std::vector<NodeId> who = ev.nodes;
      if (who.empty()) {
        const std::uint32_t k = ev.count ? std::min(ev.count, active_.size()) : active_.size();
        for (std::uint32_t j = 0; j < k; ++j) who.push_back(active_.kth(j));
      }
      for (std::size_t k = 0; k < who.size(); ++k) {
        const std::string origin =
            "restart " + std::to_string(k + 1) + "/" + std::to_string(who.size());
        leave(EventKind::kRemove, {who[k]}, origin);
        join({who[k]}, origin);
      }
    } else if (ev.kind == "churn") {
      for (std::uint32_t step = 0; step < ev.steps; ++step) {
        const std::string origin =
            "churn " + std::to_string(step + 1) + "/" + std::to_string(ev.steps);
        leave(ev.churn_mode, random_active(ev.rate), origin);
        join(random_inactive(ev.rate), origin);
      }
    } else if (ev.kind == "scale") {
      const std::uint32_t now = m_.active_count();
      if (ev.to > e_.nodes)
        throw Error(at_ + "cannot scale to " + std::to_string(ev.to) + " nodes: " + nodes_desc_);
      const std::string origin = "scale to " + std::to_string(ev.to);
      if (ev.to > now) join(lowest_inactive(ev.to - now), origin);
      // Scaling in removes the most recently joined nodes (valid for LIFO strategies too).
      if (ev.to < now) {
        std::vector<NodeId> last;
        auto it = join_order_.end();
        for (std::uint32_t k = 0; k < now - ev.to; ++k) last.push_back((--it)->second);
        leave(EventKind::kRemove, std::move(last), origin);
      }
      if (ev.to == now) throw Error(at_ + "already " + std::to_string(now) + " active nodes");
    }
  }

  std::vector<ResolvedEvent> timeline;

 private:
  void activate(NodeId n) {
    m_.activate(n);
    active_.insert(n);
    inactive_.erase(n);
    joined_at_[n] = ++clock_;
    join_order_.emplace(clock_, n);
  }

  void deactivate(NodeId n) {
    m_.deactivate(n);
    active_.erase(n);
    inactive_.insert(n);
    join_order_.erase(joined_at_[n]);
    left_at_[n] = ++clock_;
    departed_.emplace(clock_, n);
  }

  std::vector<NodeId> lowest_inactive(std::uint32_t k) {
    if (inactive_.size() < k)
      throw Error(at_ + "cannot add " + std::to_string(k) + " node(s): only " +
                  std::to_string(inactive_.size()) + " inactive of " + nodes_desc_);
    std::vector<NodeId> out;
    out.reserve(k);
    for (std::uint32_t j = 0; j < k; ++j) out.push_back(inactive_.kth(j));
    return out;
  }

  // k distinct nodes drawn from `pool` with the seed and the event index: the
  // same for every strategy and every rank count. Each draw takes the
  // (r mod size)-th smallest of the nodes not drawn yet.
  std::vector<NodeId> draw(OrderedNodeSet& pool, std::uint32_t k) {
    std::vector<NodeId> out;
    out.reserve(k);
    for (std::uint32_t j = 0; j < k; ++j) {
      const std::uint64_t r = hash_pair(e_.keys.seed, (index_ << 32) | draws_++, 0x6576656e7473ULL);
      const NodeId pick = pool.kth(static_cast<std::uint32_t>(r % pool.size()));
      out.push_back(pick);
      pool.erase(pick);
    }
    for (NodeId n : out) pool.insert(n);  // drawing changes no membership
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<NodeId> random_active(std::uint32_t k) {
    if (active_.size() <= k)
      throw Error(at_ + "cannot take " + std::to_string(k) + " of " +
                  std::to_string(active_.size()) + " active node(s) away: at least one must stay");
    return draw(active_, k);
  }

  std::vector<NodeId> random_inactive(std::uint32_t k) {
    if (inactive_.size() < k)
      throw Error(at_ + "cannot add " + std::to_string(k) + " node(s): only " +
                  std::to_string(inactive_.size()) + " inactive of " + nodes_desc_);
    return draw(inactive_, k);
  }

  void join(const std::vector<NodeId>& nodes, const std::string& origin) {
    for (NodeId n : nodes) {
      if (m_.active(n)) throw Error(at_ + "node " + std::to_string(n) + " is already active");
      if (left_at_[n] != 0) departed_.erase(left_at_[n]);
      left_at_[n] = 0;
      activate(n);
    }
    timeline.push_back({EventKind::kAdd, nodes, origin});
  }

  void leave(EventKind kind, std::vector<NodeId> nodes, const std::string& origin) {
    for (NodeId n : nodes)
      if (!m_.active(n)) throw Error(at_ + "node " + std::to_string(n) + " is not active");
    // Nodes leave most recently joined first, so that LIFO-only strategies can
    // follow when the leaving nodes are the last to have joined.
    std::sort(nodes.begin(), nodes.end(),
              [&](NodeId a, NodeId b) { return joined_at_[a] > joined_at_[b]; });
    for (std::size_t k = 1; k < nodes.size(); ++k)
      if (nodes[k] == nodes[k - 1])
        throw Error(at_ + "node " + std::to_string(nodes[k]) + " is listed twice");
    // LIFO-only strategies: the leaving nodes must be the most recently added,
    // i.e. the k latest joins are exactly the k leaving nodes.
    bool lifo = true;
    {
      auto it = join_order_.end();
      for (NodeId n : nodes) {
        if (it == join_order_.begin() || (--it)->second != n) {
          lifo = false;
          break;
        }
      }
    }
    for (NodeId n : nodes) deactivate(n);
    if (m_.active_count() == 0) throw Error(at_ + "would take every active node away");
    if (m_.active_count() < e_.replicas)
      throw Error(at_ + "leaves " + std::to_string(m_.active_count()) +
                  " active node(s), fewer than cluster.replicas = " + std::to_string(e_.replicas));
    ResolvedEvent ev{kind, nodes, origin};
    for (std::size_t s = 0; s < e_.strategies.size(); ++s) {
      if (traits_[s].removal == Removal::kLastAdded && !lifo)
        throw Error(at_ + "strategy '" + e_.strategies[s].label +
                    "' can only remove the most recently added node(s); this event takes away " +
                    (nodes.size() == 1 ? "node " : "nodes ") +
                    ev.describe().substr(ev.describe().rfind(' ') + 1) +
                    " (use its remap option, or remove the last added)");
    }
    timeline.push_back(std::move(ev));
  }

  const Experiment& e_;
  const std::vector<PlacementTraits>& traits_;
  std::string nodes_desc_;
  Membership m_;
  OrderedNodeSet active_, inactive_;
  std::uint64_t clock_ = 0;                         // one tick per join or departure
  std::vector<std::uint64_t> joined_at_, left_at_;  // tick of a node's last join / departure
  std::map<std::uint64_t, NodeId> join_order_;      // active nodes by join tick
  std::map<std::uint64_t, NodeId> departed_;        // departed nodes by departure tick
  std::string at_;
  std::uint64_t index_ = 0, draws_ = 0;
};

}  // namespace

void validate_experiment(Experiment& e, int ranks) {
  load_key_trace(e.keys, e.keys_count_given, e.source);
  const bool one_per_rank = e.nodes == 0;
  if (one_per_rank) {
    e.nodes = static_cast<std::uint32_t>(ranks);
    e.one_node_per_rank = true;
  }
  const std::string nodes_desc =
      one_per_rank ? std::to_string(e.nodes) + " nodes (one per rank; set cluster.nodes for more)"
                   : "cluster.nodes = " + std::to_string(e.nodes);
  if (e.initial == 0) e.initial = e.nodes;
  if (e.initial > e.nodes)
    throw Error(e.source + ": cluster.initial = " + std::to_string(e.initial) +
                " active nodes is more than the " + nodes_desc);
  if (!e.weights.empty() && e.weights.size() != e.nodes)
    throw Error(e.source + ": cluster.weights has " + std::to_string(e.weights.size()) +
                " entries but there are " + nodes_desc);
  const bool weighted =
      std::any_of(e.weights.begin(), e.weights.end(), [](double w) { return w != 1.0; });

  // Build each strategy once on the initial nodes: this checks its parameters
  // against the cluster before any MPI work.
  std::vector<NodeSpec> initial;
  for (NodeId n = 0; n < e.initial; ++n)
    initial.push_back({n, e.weights.empty() ? 1.0 : e.weights[n]});
  std::vector<PlacementTraits> traits;
  for (auto& s : e.strategies) {
    try {
      auto p = make_placement(s.params);
      p->init(initial, e.nodes);
      traits.push_back(p->traits());
      s.traits = traits.back();
      s.state_bytes = p->state_bytes();
    } catch (const Error& err) {
      throw Error(s.where + ": " + err.what());
    }
    if (weighted && !traits.back().weighted)
      throw Error(s.where + ": strategy '" + s.params.strategy() +
                  "' does not support node weights, but cluster.weights has weights other than 1");
  }

  for (std::size_t s = 0; s < e.strategies.size(); ++s)
    if (traits[s].load_aware && e.replicas > 1)
      throw Error(e.strategies[s].where + ": strategy '" + e.strategies[s].label +
                  "' places keys by load and supports cluster.replicas = 1 only");
  if (e.replicas > e.initial)
    throw Error(
        e.source + ": cluster.replicas = " + std::to_string(e.replicas) +
        " needs at least as many active nodes, but cluster.initial = " + std::to_string(e.initial));

  TimelineBuilder b(e, ranks, traits, nodes_desc);
  for (std::size_t i = 0; i < e.events.size(); ++i) b.expand(i);
  e.timeline = std::move(b.timeline);
}

}  // namespace ringsim
