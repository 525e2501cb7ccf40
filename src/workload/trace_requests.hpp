// A key trace's requests as the processing stage's operations ([processing]
// keys = "trace"): each rank replays its own share of the trace's requests,
// in trace order, read in batches through fixed buffers, so that memory does
// not grow with the trace or the rank count.
//
// The shares: for a plain trace, the records that start in the rank's byte
// range of the file (the file split in P equal parts, the ranges the
// collective key load reads, engine/key_trace.hpp); for a zstd-compressed
// trace (which decodes only from a frame's start), every rank streams the
// whole decompressed trace through libzstd and keeps the requests whose
// position j (from 0, in trace order) has j mod P == rank. The shares are
// disjoint and together every request of the trace, whatever P. The zstd
// replay costs every rank one decompression of the trace per round (the
// memory of one chunk, about kTraceRequestChunkBytes, and zstd's window).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keys.hpp"
#include "workload/trace_format.hpp"

namespace ringsim {

// Decompressed bytes a rank takes from a zstd trace at a time.
constexpr std::size_t kTraceRequestChunkBytes = std::size_t{1} << 20;

class TraceRequests {
 public:
  // Opens this rank's share of the trace of `keys` (a kFile key space: its
  // path, format and compression). Not collective. Throws ringsim::Error
  // ("keys.file: cannot read ...") if the trace cannot be opened.
  TraceRequests(const KeySpace& keys, int rank, int ranks);
  ~TraceRequests();
  TraceRequests(const TraceRequests&) = delete;
  TraceRequests& operator=(const TraceRequests&) = delete;

  // Appends the share's next requests, at most `n`, to `out`; returns how
  // many. Fewer than n only at the end of the share or at a problem.
  std::size_t next(std::size_t n, std::vector<TraceRecord>& out);
  // Whether the share has no request left (at its end or after a problem).
  bool done() const { return !have_next_; }
  // "" or one line saying what went wrong while reading ("keys.file: PATH:
  // ..."), e.g. when the trace changed after it was loaded.
  const std::string& problem() const { return problem_; }

 private:
  struct Plain;
  struct Zstd;
  // Reads the share's next request into next_; false at its end or at a
  // problem.
  bool fetch();
  std::unique_ptr<Plain> plain_;
  std::unique_ptr<Zstd> zstd_;
  TraceRecord next_;
  bool have_next_ = false;
  std::string problem_;
};

// Collective over `comm`: "" if no rank's `mine` is set, else the first
// rank's, prefixed "rank R: " unless R is 0, on every rank.
std::string first_rank_problem(const std::string& mine, MPI_Comm comm);

}  // namespace ringsim
