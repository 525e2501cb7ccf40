// Key traces spread over the ranks: the trace is read once (each rank reads
// one byte range of it), its distinct keys are found collectively, and each
// rank keeps the keys of its own share of the key indices; a key another rank
// holds is asked of that rank.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "keys.hpp"

namespace ringsim {

// Bytes of its range a rank reads per round of the collective load (the
// memory of one round is a fixed multiple of it, whatever the trace's size).
constexpr std::uint64_t kTraceRoundBytes = std::uint64_t{4} << 20;

// Collective over `comm`: for a kFile key space without its keys yet, loads
// the trace the way the serial load_key_trace() (keys.hpp) does - the
// distinct keys in order of first appearance, the first keys.count of them
// when `count_given`, else all (setting keys.count) - but keeps on this rank
// only the keys of its share, indices [keys.share_begin(rank, P),
// keys.share_begin(rank + 1, P)), with keys.listed_first the first of them.
//
// The trace is of keys.format (lines, twitter, oracle; workload/trace_format.hpp)
// and plain or zstd-compressed (keys.compression); keys.trace_stats gets what
// the whole trace says beyond its keys (requests, reads, value sizes).
//
// How: rank r reads the records that start in its byte range of the file (the
// file split in P equal parts; an oracle record belongs to the range holding
// its first byte), in rounds of `round_bytes`; each round sends
// (key, offset of its first line in the round) to the rank hash(key) mod P,
// which keeps the smallest offset per key. The first offsets are counted in
// fixed byte bins (summed over the ranks), which gives every bin's first key
// index; each key goes to the rank that orders its bin and numbers its keys,
// then to the rank whose share holds its index. No rank holds more than its
// share of the distinct keys (up to one bin's width) at any time.
//
// A zstd-compressed trace cannot be split by byte range (a frame decodes only
// from its start), so rank 0 alone reads and decompresses it, in rounds: each
// round it cuts the decompressed stream into one chunk of about `round_bytes`
// per rank, on record boundaries (whole lines, whole 24-byte records), and
// sends each rank its chunk as soon as it is cut, with the chunk's offset and
// first line number in the decompressed trace; every rank parses its chunk
// and the round goes on as above, with decompressed offsets in place of file
// offsets. Rank 0 holds its own chunk, the one being sent, what it has
// decompressed and not cut yet (each about round_bytes) and zstd's window;
// every other rank one chunk: memory per rank does not grow with the trace
// or the rank count. Decompression is one stream, so it runs at one core's
// speed whatever the rank count. The rounds stop at the end of the trace or after the
// first round in which a rank met a problem, and the problem reported is the
// first in the trace (a corrupt or truncated frame: rank 0's, at the
// compressed byte where decoding failed).
//
// Every rank calls it; a no-op when no rank's key space needs a trace. Throws
// the same ringsim::Error, prefixed by `source`, on every rank for every
// problem (a malformed line or record: the file, its line number or byte
// offset, what is wrong), including one that only some ranks see (the trace missing on a
// host, or of another size there): "rank R: " names the first rank that saw
// it, as the command's first_problem() does.
void load_key_trace(KeySpace& keys, bool count_given, const std::string& source, MPI_Comm comm,
                    std::uint64_t round_bytes = kTraceRoundBytes);

// Collective over `comm`: the key of each global key index in `indices`, in
// the same order. Every rank calls it, with its own indices (possibly none).
// For a kFile key space each index is sent to the rank whose share holds it
// (the share over comm's ranks) and the key comes back; the other
// distributions compute keys.key(i) locally without communicating. Indices
// must be below keys.count.
std::vector<std::uint64_t> resolve_trace_keys(const KeySpace& keys,
                                              std::span<const std::uint64_t> indices,
                                              MPI_Comm comm);

}  // namespace ringsim
