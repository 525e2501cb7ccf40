#include "keys.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "error.hpp"
#include "hash.hpp"

namespace ringsim {

namespace {
constexpr std::uint64_t kKeySalt = 0x6b6579736b657973ULL;    // "keyskeys"
constexpr std::uint64_t kHashSalt = 0x686173686b657973ULL;   // "hashkeys"
constexpr std::uint64_t kValueSalt = 0x76616c7565736565ULL;  // "valuesee"
}  // namespace

std::uint64_t KeySpace::key(std::uint64_t index) const {
  // Zipf keys are the uniform ones; only their request rates differ.
  if (distribution == KeyDistribution::kSequential) return index;
  if (distribution == KeyDistribution::kFile) return (*listed)[index];
  return mix64(index ^ mix64(seed ^ kKeySalt));
}

double KeySpace::popularity(std::uint64_t k) const {
  if (distribution != KeyDistribution::kZipf) return 1.0;
  const std::uint64_t index = unmix64(k) ^ mix64(seed ^ kKeySalt);
  return std::pow(static_cast<double>(index) + 1.0, -zipf_exponent);
}

std::uint64_t KeySpace::key_hash(std::uint64_t k) const { return hash_u64(k, seed ^ kHashSalt); }

void KeySpace::fill_value(std::uint64_t k, std::span<std::byte> out) const {
  std::uint64_t word = hash_u64(k, seed ^ kValueSalt);
  for (std::size_t off = 0; off < out.size(); off += sizeof word) {
    const std::size_t n = std::min(sizeof word, out.size() - off);
    std::memcpy(out.data() + off, &word, n);
    word = mix64(word + 1);
  }
}

std::uint64_t KeySpace::share_begin(int rank, int ranks) const {
  // floor(count * rank / ranks) without the product overflowing 64 bits.
  const auto p = static_cast<std::uint64_t>(ranks), r = static_cast<std::uint64_t>(rank);
  return count / p * r + count % p * r / p;
}

const char* to_string(KeyDistribution d) {
  switch (d) {
    case KeyDistribution::kUniform:
      return "uniform";
    case KeyDistribution::kSequential:
      return "sequential";
    case KeyDistribution::kFile:
      return "file";
    case KeyDistribution::kZipf:
      return "zipf";
  }
  return "?";
}

namespace {
// "cannot read PATH: reason" from errno, or "" if the file opens and reads.
std::string read_problem(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "cannot read " + path + ": it is a folder";
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "cannot read " + path + ": " + std::strerror(errno);
  errno = 0;
  std::fgetc(f);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) return "cannot read " + path + ": " + std::strerror(err ? err : EIO);
  return "";
}
}  // namespace

std::string key_file_problem(const KeySpace& keys) {
  if (keys.distribution != KeyDistribution::kFile) return "";
  const std::string& p = keys.path.empty() ? keys.file : keys.path;
  if (p.empty()) return "keys.file: missing: distribution = \"file\" needs keys.file = \"path\"";
  const std::string problem = read_problem(p);
  return problem.empty() ? "" : "keys.file: " + problem;
}

std::vector<std::uint64_t> read_key_trace(const std::string& path) {
  if (const std::string problem = read_problem(path); !problem.empty())
    throw Error("keys.file: " + problem);
  std::ifstream in(path);
  if (!in) throw Error("keys.file: cannot read " + path);
  std::vector<std::uint64_t> keys;
  std::unordered_set<std::uint64_t> seen;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::uint64_t k = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), k);
    if (ec != std::errc() || end != line.data() + line.size())
      k = hash_bytes(line.data(), line.size(), 0);
    if (seen.insert(k).second) keys.push_back(k);
  }
  if (keys.empty()) throw Error("keys.file: " + path + " holds no key (one key per line)");
  return keys;
}

void load_key_trace(KeySpace& ks, bool count_given, const std::string& source) {
  if (ks.distribution != KeyDistribution::kFile || ks.listed) return;
  // parse_experiment() resolved it against the experiment file's folder.
  const std::string path = ks.path.empty() ? ks.file : ks.path;
  std::vector<std::uint64_t> keys;
  try {
    keys = read_key_trace(path);
  } catch (const Error& err) {
    throw Error(source + ": " + err.what());
  }
  if (count_given && ks.count > keys.size())
    throw Error(source + ": keys.count = " + std::to_string(ks.count) + " but " + path +
                " holds only " + std::to_string(keys.size()) + " distinct keys");
  if (!count_given) ks.count = keys.size();
  keys.resize(ks.count);
  ks.listed = std::make_shared<const std::vector<std::uint64_t>>(std::move(keys));
}

}  // namespace ringsim
