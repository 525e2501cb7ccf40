// Distributed locks on MPI one-sided (RMA) windows.
//
// A lock set is a set of lock words striped over the ranks of a communicator:
// every rank owns `stripes` locks, and a lock is named by (owner rank, stripe).
// Construction and destruction are collective over the communicator; acquire
// and release are not. A destructor that runs while an exception unwinds
// (std::uncaught_exceptions() > 0: one rank may be leaving alone, the job is
// being aborted) makes no collective call: the window and communicator are
// leaked instead of freed where the other ranks would never join. Any rank may hold several locks
// at once (take them in a global order to avoid deadlock; mcs, cohort and the writers of rw-writer
// / rw-reader: at most kMcsQueueNodes exclusive requests waiting or held). A lock protects whatever
// the caller says it protects: the caller must complete (MPI_Win_flush) its own RMA operations on
// its data windows before release().
//
// Algorithms (make_lock_set(name, ...); lock_algorithms() lists the names).
// Exclusive-only algorithms (winlock, spin, mcs) serve acquire_shared in
// exclusive mode (shares_readers() is false):
//
//  winlock  MPI_Win_lock(MPI_LOCK_EXCLUSIVE, owner) ... MPI_Win_unlock(owner),
//           the passive-target baseline (MPI 3.1, sec. 11.5.3). The window has
//           `stripes` int64 words per rank, but an MPI lock covers the owner's
//           whole window: the stripes of one owner are one lock, so stripes add
//           no concurrency (a rank holding two stripes of one owner holds one
//           MPI lock, counted). Because MPI may defer a lock until its first
//           operation, acquire issues one MPI_Get + MPI_Win_flush, which cannot
//           complete before the lock is granted. The timeout cannot interrupt a
//           blocked MPI_Win_lock: a watchdog thread (no MPI calls) prints the
//           timeout message as "ringsim: error on rank R: ..." and ends the
//           process with exit code 3 (a runtime error) instead.
//           It uses its own window (no exclusive/shared lock mixing).
//
//  spin     Test-and-test-and-set (Rudolph & Segall 1984; Anderson, IEEE TPDS
//           1990) with bounded, randomised exponential backoff. Window: per
//           rank `stripes` uint64 words, 0 = free, holder rank + 1 = taken.
//           Acquire: MPI_Compare_and_swap(0 -> me+1); while taken, atomic reads
//           with MPI_Fetch_and_op(MPI_NO_OP) and backoff, then CAS again.
//           Release: MPI_Compare_and_swap(me+1 -> 0) (also checks ownership).
//           One MPI_Win_lock_all epoch for the set's life, MPI_Win_flush after
//           every operation.
//
//  mcs      MCS queue lock (Mellor-Crummey & Scott, ACM TOCS 9(1), 1991) over
//           RMA, as in Schmid, Besta, Hoefler, "High-Performance Distributed
//           RMA Locks", HPDC 2016, and the idea of MPICH's
//           test/mpi/rma/mcs-mutex.c. Every rank has a pool of
//           kMcsQueueNodes queue nodes; a node is named by the 64-bit id
//           rank * 2^16 + slot. Window of rank r, int64 words:
//             [0, stripes)                   tail of lock (r, s): the id of
//                                            the last node in its queue, -1 = free
//             [stripes + 2k], [stripes+2k+1] r's queue node k: next (a node
//                                            id or -1), locked flag
//           so a window has stripes + 2 * kMcsQueueNodes words, whatever the
//           rank count. A rank waits for or holds at most kMcsQueueNodes mcs
//           locks at once (a request that timed out keeps its node until it is
//           drained, below); one more is a ringsim::Error. Acquire: take a
//           free node, set it (next = -1, locked = 1), swap the tail with
//           MPI_Fetch_and_op(MPI_REPLACE); if there was a predecessor, write
//           our node's id into its next with MPI_Accumulate(MPI_REPLACE) and
//           spin on our OWN locked flag. Release: if next is unset,
//           MPI_Compare_and_swap(tail: our id -> -1); if that fails a successor
//           is linking, wait for next; then MPI_Accumulate(locked = 0) into the
//           successor's node; our node is free again. FIFO, one remote write
//           per hand-over, and waiters spin locally. One MPI_Win_lock_all epoch.
//
//  rw-writer, rw-reader
//           Reader-writer lock after RMA-RW (Schmid, Besta, Hoefler, HPDC
//           2016), one class with a preference: readers share the lock
//           (shares_readers()), writers hold it alone. Window of rank r,
//           int64 words (K = kMcsQueueNodes):
//             [0, stripes)              counter of lock (r, s): readers in the
//                                       low 32 bits, writers times 2^32 above
//             [stripes, 2 stripes)      tail of the writers' MCS queue of (r, s)
//             [2 stripes + 2k, +1]      r's queue node k: next, flag (as mcs)
//           Writers are serialized by the MCS queue (the protocol of mcs; a
//           node is named rank * 2^32 + its displacement); the first writer
//           in the queue then settles with the readers on the counter:
//           rw-writer (writer preference): a writer adds 2^32 to the counter
//             BEFORE it queues and subtracts it when it leaves, so any waiting
//             writer blocks new readers; the head of the queue waits until
//             the reader count is 0. A reader adds 1 and is in if the old
//             value had no writer; else it subtracts 1 again and waits
//             (reading) until no writer is counted, then retries.
//             Bound: once a writer is queued (request visible), every other
//             rank acquires at most once before it (writers are FIFO, readers
//             see its count): at most P - 1 acquisitions.
//           rw-reader (reader preference): a reader adds 1 and stays counted;
//             it is in once no writer is inside (bit 2^32 clear). The head of
//             the writers' queue enters by compare-and-swap 0 -> 2^32, i.e.
//             only when no reader holds or is entering; it leaves by
//             subtracting 2^32. Writers can starve under a stream of readers.
//           Timeouts: a reader that gives up subtracts its count again; a
//           queued writer cannot leave the MCS queue and is released once
//           granted, as mcs does (under rw-writer its count, kept meanwhile,
//           holds new readers back until then); the head of the queue that
//           times out waiting for readers uncounts and passes the queue on.
//           Simplified from HPDC: one counter per lock on its owner instead of
//           counters distributed over the ranks (a reader costs one remote
//           fetch-and-add on the owner), and no batching threshold that hands
//           the lock from writers to readers after a number of writers.
//
//  cohort   Topology-aware cohort lock (Dice, Marathe, Shavit, "Lock
//           Cohorting", PPoPP 2012) of two MCS levels, the hierarchical
//           RMA-MCS of HPDC 2016. Hosts: MPI_Comm_split_type(SHARED) if
//           LockOptions::ranks_per_host is 0, else blocks of ranks_per_host
//           consecutive ranks; H = cohort_handoffs. Window of rank r, int64
//           words (S = stripes, K = kMcsQueueNodes):
//             [0, S)                 global MCS tail of lock (r, s)
//             [S, 2S)                local tail of slot s hosted by r
//             [2S + 4s + 2g, +1]     slot s's global node g (g = 0, 1): next, flag
//             [6S + 4k, +3]          r's queue node k: local next and flag,
//                                    global next and flag
//           On host h with h_size ranks, the local queue of lock (o, s) is slot
//           s of the host's member o mod h_size, tagged o / h_size: the locks
//           o, o + h_size, ... share the slot, one at a time. A local tail is
//           empty, busy, or (tag + 1, last node). Acquire: if the slot is
//           empty, CAS it to busy, queue the slot's global node 0 on the
//           global MCS queue at o, then open the slot (tail = our node) and
//           wait for the global grant: from then on the host's queue is
//           anchored in the global queue. If the slot is open with our tag,
//           join it by CAS and wait on our own local flag. If it is busy or
//           serves another lock, bypass: queue our own node's global part on
//           the global queue alone (this keeps ranks that hold several locks
//           whose slots coincide from waiting on themselves). Release: with a
//           local successor and fewer than H consecutive hand-offs, grant it
//           the global lock (flag = hand-offs, slot node); after H, queue the
//           slot's other global node at the global tail (behind the hosts
//           waiting now), release the global lock through the current one
//           and pass the successor "wait for that node"; with no successor,
//           CAS the slot to busy, release the global lock, set it empty.
//           Bound: with n hosts of at most s ranks and P ranks, once a
//           request is visible at most
//             ceil(s / (H + 1)) * (n * (H + 1) + P - 1) + s - 1
//           acquisitions by others precede its grant (each global entry
//           brings at most H + 1 acquisitions of one host or one of a
//           bypassing rank; the host needs at most ceil(s / (H + 1)) turns
//           to reach a rank with s - 1 ranks ahead in its local queue).
//           One host (n = 1): there is no global level at all; the slot of
//           lock (o, s) is (o, s) itself, never shared, and cohort is a plain
//           MCS queue (the tail swapped by CAS), FIFO: at most P - 1.
//           A request that times out stays queued and is released once
//           granted (as mcs). A release whose successor has swapped a tail but
//           does not link within the timeout throws (that rank is stuck
//           inside acquire); the lock then stays held.
//
// Memory per rank (window_bytes()): winlock and spin 8 * stripes bytes; mcs
// 8 * stripes + 16 * kMcsQueueNodes bytes; rw-writer and rw-reader
// 16 * stripes + 16 * kMcsQueueNodes; cohort 48 * stripes + 32 *
// kMcsQueueNodes (plus, off the window, the world ranks of its host's
// members: 4 bytes per rank of the host). Local bookkeeping grows with the
// locks a rank holds, not with the rank count. Lock ids (owner * stripes +
// stripe) are 64-bit.
//
// Progress: spinning ranks read their local words with MPI_Fetch_and_op
// (MPI_NO_OP) on themselves (atomic with respect to incoming accumulates),
// then call MPI_Win_sync and MPI_Iprobe (which drives MPI progress, so that
// incoming accumulates land with components that need target-side progress)
// and yield the core (ranks are often oversubscribed).
//
// Timeouts: every acquire gives up after timeout_seconds and throws
// ringsim::Error naming the algorithm, the waiting rank and the lock's owner
// and stripe (winlock: see above). spin leaves no trace. mcs cannot leave its
// queue, so the timed-out request stays queued and is released on the rank's
// next call into the set (or at destruction) once it is granted: the lock
// keeps working, the rank just does not hold it.
//
// Open MPI trap: 4.1's default one-sided component, osc/rdma, crashes on
// 64-bit MPI_Compare_and_swap on one node. Run with OMPI_MCA_osc=sm,ucx
// (scripts/mpi-env.sh and ctest set it). make_lock_set of any algorithm but
// winlock (they all use compare-and-swap or fetch-and-op) reads
// the osc selection (MPI_T control variable "osc") and throws ringsim::Error
// when all ranks share one node and osc/rdma could be selected, unless
// RINGSIM_ALLOW_OSC_RDMA=1.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringsim {

// What a lock set is besides its algorithm and size.
struct LockOptions {
  // Every acquire gives up after this many seconds (> 0).
  double timeout_seconds = 30.0;
  // cohort: ranks per host. 0: the real hosts (MPI_Comm_split_type SHARED);
  // k > 0: consecutive blocks of k ranks act as hosts, so that the global
  // level is exercised on one machine.
  int ranks_per_host = 0;
  // cohort: the most consecutive hand-offs of a global lock inside one host
  // before it is passed to another host (>= 1).
  int cohort_handoffs = 16;
};

// Queue nodes per rank of an mcs lock set: the most mcs locks one rank may
// wait for or hold at once.
inline constexpr int kMcsQueueNodes = 16;

class RmaLockSet {
 public:
  virtual ~RmaLockSet() = default;
  RmaLockSet(const RmaLockSet&) = delete;
  RmaLockSet& operator=(const RmaLockSet&) = delete;

  // Blocks until this rank holds lock (owner, stripe). Throws ringsim::Error
  // on a bad name, if this rank already holds it, or after the timeout.
  void acquire(int owner, int stripe);
  // Throws ringsim::Error if this rank does not hold the lock (exclusively).
  void release(int owner, int stripe);
  // Shared (read) mode: under a reader-writer algorithm (shares_readers())
  // readers of one lock hold it together and a writer (acquire) excludes them
  // all; under an exclusive algorithm shared mode is exclusive mode. The same
  // errors as acquire / release.
  void acquire_shared(int owner, int stripe);
  void release_shared(int owner, int stripe);
  // Whether acquire_shared lets several ranks hold one lock at once.
  virtual bool shares_readers() const { return false; }

  // Fault injection (tests, --inject-fault lock-timeout): this rank's next
  // acquire() fails at once with the error a real timeout raises (the same
  // ringsim::Error and message, marked "(injected fault)"), without waiting.
  void fail_next_acquire() { fail_next_acquire_ = true; }

  // Test hook (fairness tests): mcs, rw-writer, rw-reader (exclusive mode)
  // and cohort call `hook(owner, stripe)` on the acquiring rank inside
  // acquire() as soon as its request is queued where it can no longer be
  // overtaken beyond the bound the algorithm states (see above), before it
  // waits. The hook must not call into this lock set.
  using RequestHook = std::function<void(int owner, int stripe)>;
  void on_request_visible(RequestHook hook) { request_hook_ = std::move(hook); }

  std::string_view algorithm() const { return algorithm_; }
  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  int stripes() const { return stripes_; }
  double timeout_seconds() const { return timeout_; }
  bool holds(int owner, int stripe) const;
  // Bytes this rank exposes in the set's window (MPI_WIN_SIZE): see the
  // formulas above; independent of the rank count.
  std::uint64_t window_bytes() const { return window_bytes_; }

 protected:
  RmaLockSet(std::string_view algorithm, MPI_Comm comm, int stripes, double timeout_seconds);
  virtual void do_acquire(int owner, int stripe) = 0;
  virtual void do_release(int owner, int stripe) = 0;
  virtual void do_acquire_shared(int owner, int stripe) { do_acquire(owner, stripe); }
  virtual void do_release_shared(int owner, int stripe) { do_release(owner, stripe); }

  std::int64_t lock_id(int owner, int stripe) const {
    return std::int64_t{owner} * stripes_ + stripe;
  }
  // Subclasses call this once their window exists.
  void set_window_bytes(MPI_Win win);
  // "mcs lock (owner rank 0, stripe 1): rank 3 <what>"
  std::string describe(int owner, int stripe, std::string_view what) const;
  // "mcs lock (owner rank 0, stripe 1): rank 3 timed out after 0.5 s <doing>"
  std::string timeout_message(int owner, int stripe, std::string_view doing) const;
  [[noreturn]] void throw_timeout(int owner, int stripe, std::string_view doing) const;
  void request_visible(int owner, int stripe) const {
    if (request_hook_) request_hook_(owner, stripe);
  }

 private:
  void check_name(int owner, int stripe) const;
  void start_acquire(int owner, int stripe);
  // Index in held_ of the lock held in this mode; throws if it is not.
  std::size_t held_index(int owner, int stripe, bool shared) const;

  std::string algorithm_;
  int rank_ = 0, ranks_ = 1, stripes_ = 1;
  double timeout_ = 30;
  struct Held {
    std::int64_t id;  // lock id
    bool shared;      // held in shared mode
  };
  std::vector<Held> held_;  // the locks this rank holds, unordered
  std::uint64_t window_bytes_ = 0;
  bool fail_next_acquire_ = false;
  RequestHook request_hook_;
};

// The algorithm names make_lock_set accepts: winlock, spin, mcs, rw-writer,
// rw-reader, cohort (in this order).
const std::vector<std::string>& lock_algorithms();

// Collective over comm. Throws ringsim::Error (on every rank) for an unknown
// algorithm, stripes < 1, timeout_seconds <= 0, bad options (ranks_per_host
// < 0, cohort_handoffs < 1; checked for every algorithm), or the osc/rdma
// trap above.
std::unique_ptr<RmaLockSet> make_lock_set(std::string_view algorithm, MPI_Comm comm, int stripes,
                                          const LockOptions& options);
std::unique_ptr<RmaLockSet> make_lock_set(std::string_view algorithm, MPI_Comm comm, int stripes,
                                          double timeout_seconds = 30.0);

}  // namespace ringsim
