// Work sharing for the kernels: torch's intra-op threads, chunks claimed as they go.
//
// chunked_for(n, grain, make, fn) runs fn(state, begin, end) over [0, n) in
// chunks of `grain`, claimed one at a time (an atomic counter) by the threads
// that take part; make() builds per-thread scratch state, once per thread that
// claims a chunk.
//
// The threads are torch's intra-op pool (at::parallel_for: the OpenMP team
// that runs torch's own GEMMs and elementwise operators), sized by
// torch.set_num_threads; with one thread, a single chunk, or inside a parallel
// region, everything runs inline on the calling thread.  The chunks are claimed
// dynamically, not split statically: a thread slowed by another process on its
// core claims fewer of them, and one that joins late finds the work done.
//
// Why the OpenMP team (backend 0) and not a pool of its own: after each of
// torch's parallel regions its OpenMP workers keep spinning for a while
// (libgomp's GOMP_SPINCOUNT) before they sleep.  Helpers from another pool
// (torch's inter-op pool, at::launch: backend 1, kept for comparison) then share
// a core with a spinning worker and run at half speed, so on 2 cores the
// kernels gained nothing from a second thread; the team's worker instead takes
// the chunks itself, awake.  Waiting: the caller waits at the end of the region
// for the team as torch's own operators do (libgomp spins, then sleeps;
// OMP_WAIT_POLICY=PASSIVE sleeps at once), never for a chunk that no thread
// has claimed.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>

namespace kanlab_cpu {

// 0: torch's intra-op team (at::parallel_for); 1: torch's inter-op pool (at::launch).
// Set by set_parallel_backend (weights.cpp), for benchmarks that compare the two.
inline std::atomic<int>& parallel_backend() {
  static std::atomic<int> backend{0};
  return backend;
}

namespace detail {
struct Shared {
  int64_t chunks = 0;
  std::atomic<int64_t> next{0};    // next chunk to claim
  std::atomic<int64_t> active{0};  // helpers between registering and leaving
  std::mutex m;
  std::condition_variable done;
  std::exception_ptr error;        // first exception of a helper (under m)
};

// The inter-op pool (backend 1): helpers queued with at::launch; the caller sleeps on a
// condition variable until no helper is active, and a helper that starts after every
// chunk is claimed leaves without touching the work.
template <typename Run>
void launch_helpers(int64_t chunks, int64_t helpers, Run& run) {
  auto shared = std::make_shared<Shared>();
  shared->chunks = chunks;
  auto* body = &run;
  for (int64_t h = 0; h < helpers; ++h) {
    at::launch([shared, body] {
      shared->active++;
      const int64_t first = shared->next++;
      if (first < shared->chunks) {
        try {
          (*body)(first, shared->next);
        } catch (...) {
          std::lock_guard<std::mutex> lock(shared->m);
          if (!shared->error) shared->error = std::current_exception();
          shared->next = shared->chunks;  // the others stop at their next claim
        }
      }
      {
        std::lock_guard<std::mutex> lock(shared->m);
        shared->active--;
      }
      shared->done.notify_all();
    });
  }
  std::exception_ptr mine;
  try {
    const int64_t first = shared->next++;
    if (first < chunks) run(first, shared->next);
  } catch (...) {
    mine = std::current_exception();
    shared->next = chunks;
  }
  std::unique_lock<std::mutex> lock(shared->m);
  shared->done.wait(lock, [&] { return shared->active.load() == 0; });
  if (mine) std::rethrow_exception(mine);
  if (shared->error) std::rethrow_exception(shared->error);
}
}  // namespace detail

template <typename Make, typename Fn>
void chunked_for(int64_t n, int64_t grain, Make&& make, Fn&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  const int64_t threads = std::min<int64_t>(at::get_num_threads(), chunks);
  // Processes chunk `first` (already claimed), then claims and processes more until none is left.
  auto run = [&](int64_t first, std::atomic<int64_t>& next) {
    auto state = make();
    for (int64_t c = first; c < chunks; c = next++)
      fn(state, c * grain, std::min(n, (c + 1) * grain));
  };
  if (threads <= 1 || at::in_parallel_region()) {
    std::atomic<int64_t> next{1};
    run(0, next);
    return;
  }
#if !defined(_OPENMP) && !defined(INTRA_OP_PARALLEL)
  // Built without OpenMP while torch runs OpenMP: at::parallel_for would run serially.
  const bool interop = true;
#else
  const bool interop = parallel_backend().load(std::memory_order_relaxed) == 1;
#endif
  if (interop) {
    detail::launch_helpers(chunks, threads - 1, run);
    return;
  }
  std::atomic<int64_t> next{0};
  // One task per thread of the team; each claims chunks until none is left.  The
  // first exception stops the others at their next claim; at::parallel_for rethrows it.
  at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    const int64_t first = next++;
    if (first >= chunks) return;
    try {
      run(first, next);
    } catch (...) {
      next = chunks;
      throw;
    }
  });
}

// at::parallel_for's signature (fn(begin, end)) on chunked_for.
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  chunked_for(end - begin, grain, [] { return 0; },
              [&](int, int64_t b0, int64_t b1) { fn(begin + b0, begin + b1); });
}

}  // namespace kanlab_cpu
