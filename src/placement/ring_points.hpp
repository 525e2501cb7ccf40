// Points on the 64-bit hash circle, each owned by a node: the structure that
// ring-style strategies (ring, bounded loads) share. A hash belongs to the
// first point at or after it, wrapping past the largest point to the first.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "hash.hpp"
#include "placement.hpp"

namespace ringsim {

class RingPoints {
 public:
  // Adds `count` points for `node` at hash(node, replica) with `seed`.
  void add(NodeId node, std::int64_t count, std::uint64_t seed) {
    for (std::int64_t r = 0; r < count; ++r) {
      positions_.push_back(hash_pair(node, static_cast<std::uint64_t>(r), seed));
      owners_.push_back(node);
    }
  }

  // Adds one point at a given position (call sort() after a batch of adds).
  void add_at(std::uint64_t position, NodeId node) {
    positions_.push_back(position);
    owners_.push_back(node);
  }

  // Adds the points of a batch, (position, node) pairs in any order, into
  // the sorted points: the same arrays as add_at() for each and sort(), but
  // the existing points are merged in one linear pass from the back.
  void insert_sorted(std::vector<std::pair<std::uint64_t, NodeId>> fresh) {
    std::sort(fresh.begin(), fresh.end());
    std::size_t old_size = positions_.size();
    positions_.resize(old_size + fresh.size());
    owners_.resize(old_size + fresh.size());
    std::size_t out = positions_.size();
    std::size_t f = fresh.size();
    while (f > 0) {
      --out;
      if (old_size > 0 &&
          std::pair{positions_[old_size - 1], owners_[old_size - 1]} > fresh[f - 1]) {
        --old_size;
        positions_[out] = positions_[old_size];
        owners_[out] = owners_[old_size];
      } else {
        --f;
        positions_[out] = fresh[f].first;
        owners_[out] = fresh[f].second;
      }
    }
  }

  // Removes, in one pass, every point whose owner `leaving` accepts; returns
  // how many went.
  template <class Leaving>
  std::size_t remove_if(const Leaving& leaving) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < owners_.size(); ++i) {
      if (leaving(owners_[i])) continue;
      positions_[out] = positions_[i];
      owners_[out] = owners_[i];
      ++out;
    }
    const std::size_t removed = owners_.size() - out;
    positions_.resize(out);
    owners_.resize(out);
    return removed;
  }

  void remove(NodeId node) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < owners_.size(); ++i) {
      if (owners_[i] == node) continue;
      positions_[out] = positions_[i];
      owners_[out] = owners_[i];
      ++out;
    }
    positions_.resize(out);
    owners_.resize(out);
  }

  // Sorts by (position, node id): the id breaks the (improbable) tie of two
  // equal positions the same way on every rank.
  void sort() {
    std::vector<std::size_t> order(positions_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return positions_[a] != positions_[b] ? positions_[a] < positions_[b]
                                            : owners_[a] < owners_[b];
    });
    std::vector<std::uint64_t> pos(order.size());
    std::vector<NodeId> own(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      pos[i] = positions_[order[i]];
      own[i] = owners_[order[i]];
    }
    positions_ = std::move(pos);
    owners_ = std::move(own);
  }

  // Index of the first point at or after `h`, wrapping to 0.
  std::size_t successor(std::uint64_t h) const {
    auto it = std::lower_bound(positions_.begin(), positions_.end(), h);
    return it == positions_.end() ? 0 : static_cast<std::size_t>(it - positions_.begin());
  }
  NodeId owner_of(std::uint64_t h) const { return owners_[successor(h)]; }

  const std::vector<std::uint64_t>& positions() const { return positions_; }
  const std::vector<NodeId>& owners() const { return owners_; }
  std::size_t size() const { return positions_.size(); }
  std::size_t bytes() const {
    return positions_.size() * sizeof(std::uint64_t) + owners_.size() * sizeof(NodeId);
  }

 private:
  std::vector<std::uint64_t> positions_;  // sorted after sort()
  std::vector<NodeId> owners_;
};

}  // namespace ringsim
