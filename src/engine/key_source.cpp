#include "engine/key_source.hpp"

#include <algorithm>
#include <cmath>

#include "checksum.hpp"

namespace ringsim {

KeySource::KeySource(const KeySpace& keys, std::uint32_t replicas, int rank, int ranks)
    : keys_(keys),
      replicas_(replicas),
      first_(keys.share_begin(rank, ranks)),
      last_(keys.share_begin(rank + 1, ranks)),
      rounds_(placement_rounds(keys)) {}

std::uint64_t placement_rounds(const KeySpace& keys) {
  const double bytes = static_cast<double>(keys.count) * (8 + keys.nominal_value_bytes());
  const auto by_bytes = static_cast<std::uint64_t>(std::ceil(bytes / double(128 << 20)));
  return std::clamp<std::uint64_t>(
      std::max<std::uint64_t>(keys.count >= (1u << 20) ? 8 : 1, by_bytes), 1, 256);
}

Shard KeySource::round(std::uint64_t round, bool track_primary) {
  const bool variable = keys_.variable_values();
  Shard batch(keys_.value_bytes, replicas_ > 1, track_primary, variable);
  const std::uint64_t b0 = first_ + (last_ - first_) * round / rounds_;
  const std::uint64_t b1 = first_ + (last_ - first_) * (round + 1) / rounds_;
  batch.reserve((b1 - b0) * replicas_);
  std::vector<std::byte> buffer(variable ? kMaxValueBytes : keys_.value_bytes);
  for (std::uint64_t i = b0; i < b1; ++i) {
    const std::uint64_t k = keys_.key(i);
    const std::span<std::byte> value(buffer.data(),
                                     variable ? keys_.value_size_of(i, k) : keys_.value_bytes);
    keys_.fill_value(k, value);
    for (std::uint32_t j = 0; j < replicas_; ++j) {
      batch.push(k, kNoNode, std::span<const std::byte>(value), static_cast<std::uint8_t>(j));
      digest_ += record_digest(k, j, value);
    }
    records_ += replicas_;
  }
  return batch;
}

std::vector<std::uint64_t> KeySource::hashes() const {
  std::vector<std::uint64_t> out;
  out.reserve(last_ - first_);
  for (std::uint64_t i = first_; i < last_; ++i) out.push_back(keys_.key_hash(keys_.key(i)));
  return out;
}

}  // namespace ringsim
