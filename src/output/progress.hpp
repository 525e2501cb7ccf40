// Progress lines on rank 0's stderr, throttled to one a second, and only once
// a run has passed its first second. stdout is flushed before each line, so
// that in a job's output (both streams in one file, as Slurm and mpirun > log
// 2>&1 give) nothing written to stdout before it (the run header) can arrive
// after it.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ringsim {

class Progress {
 public:
  // RINGSIM_PROGRESS_SECONDS (default 1) sets both the first second and the
  // throttle; 0 prints a line after every step.
  Progress(bool on, std::size_t total_steps) : on_(on), total_(total_steps), start_(MPI_Wtime()) {
    if (const char* s = std::getenv("RINGSIM_PROGRESS_SECONDS")) {
      char* end = nullptr;
      const double v = std::strtod(s, &end);
      if (end != s && *end == '\0' && v >= 0) interval_ = v;
    }
  }
  void step(const std::string& strategy, std::size_t event, std::size_t events,
            const std::string& what) {
    ++done_;
    if (!on_) return;
    const double now = MPI_Wtime();
    if (now - start_ < interval_ || now - last_ < interval_) return;
    last_ = now;
    std::fflush(stdout);  // std::cout writes through stdout (synced with stdio)
    const double elapsed = now - start_;
    const double left = elapsed / double(done_) * double(total_ - done_);
    if (events == 0)
      std::fprintf(stderr, "[ringsim] %s: %s done, %.1f s elapsed, about %.1f s left\n",
                   strategy.c_str(), what.c_str(), elapsed, left);
    else
      std::fprintf(stderr,
                   "[ringsim] %s: event %zu of %zu (%s) done, %.1f s elapsed, about %.1f s left\n",
                   strategy.c_str(), event + 1, events, what.c_str(), elapsed, left);
  }

 private:
  bool on_;
  std::size_t total_, done_ = 0;
  double start_, last_ = 0, interval_ = 1.0;
};

}  // namespace ringsim
