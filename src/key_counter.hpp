// KeyHashCounter implementations: over one sorted vector (serial use and
// tests), and over the shards of all ranks (the simulator).
#pragma once

#include <mpi.h>

#include <algorithm>
#include <vector>

#include "placement.hpp"

namespace ringsim {

class SortedHashCounter final : public KeyHashCounter {
 public:
  explicit SortedHashCounter(std::vector<std::uint64_t> hashes) : hashes_(std::move(hashes)) {
    std::sort(hashes_.begin(), hashes_.end());
  }
  std::uint64_t total() const override { return hashes_.size(); }
  std::vector<std::uint64_t> count_at_most(std::span<const std::uint64_t> xs) const override {
    std::vector<std::uint64_t> out(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i)
      out[i] = static_cast<std::uint64_t>(std::upper_bound(hashes_.begin(), hashes_.end(), xs[i]) -
                                          hashes_.begin());
    return out;
  }

 private:
  std::vector<std::uint64_t> hashes_;
};

// Each rank counts its own key hashes; one MPI_Allreduce per call sums them.
class MpiHashCounter final : public KeyHashCounter {
 public:
  MpiHashCounter(std::vector<std::uint64_t> local_hashes, MPI_Comm comm)
      : local_(std::move(local_hashes)), comm_(comm) {
    std::uint64_t n = local_.total();
    MPI_Allreduce(&n, &total_, 1, MPI_UINT64_T, MPI_SUM, comm_);
  }
  std::uint64_t total() const override { return total_; }
  std::vector<std::uint64_t> count_at_most(std::span<const std::uint64_t> xs) const override {
    auto local = local_.count_at_most(xs);
    std::vector<std::uint64_t> global(xs.size());
    MPI_Allreduce(local.data(), global.data(), static_cast<int>(xs.size()), MPI_UINT64_T, MPI_SUM,
                  comm_);
    return global;
  }

 private:
  SortedHashCounter local_;
  MPI_Comm comm_;
  std::uint64_t total_ = 0;
};

}  // namespace ringsim
