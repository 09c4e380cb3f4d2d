// Work sharing for the kernels: torch's intra-op threads, chunks claimed as they go.
//
// chunked_for(n, grain, make, fn) runs fn(state, begin, end) over [0, n) in
// chunks of `grain`, claimed one at a time (an atomic counter) by the threads
// that take part; make() builds per-thread scratch state, once per thread that
// claims a chunk.  With torch.set_num_threads(1), a single chunk, or inside a
// parallel region, everything runs inline on the calling thread; otherwise up
// to torch.get_num_threads() threads take part.  Chunks are claimed
// dynamically, not split statically: a thread slowed by another process on its
// core claims fewer of them, and one that joins late finds the work done.
//
// Which threads (parallel_backend(); set_parallel_backend in register.cpp):
//   * 2, torch's intra-op team (at::parallel_for: the OpenMP team of torch's own
//     GEMMs and elementwise operators).  After each of torch's parallel regions
//     its workers spin for a while (libgomp's default: about 9 ms of CPU per
//     region measured here) before they sleep, so the kernels, which mostly run
//     between two of torch's operators, find them awake.  But the caller waits
//     at the end of the region for every thread of the team, also for one that
//     another process keeps off its core.
//   * 1, torch's inter-op pool (at::launch): helpers sleep on a condition
//     variable, the caller never waits for a helper that has not started (it
//     finds the work done and leaves) and nothing spins.  But on a machine
//     whose cores are all in use by the process, a helper shares its core with
//     a spinning OpenMP worker and runs at about half speed: on 2 cores the
//     kernels gained nothing from the second thread.
//   * 0 (the default), the team while it keeps up: when a call through the team
//     kept the caller waiting at its end much longer than a chunk takes (a
//     thread of the team off its core: a busy machine), the next calls use the
//     inter-op pool: 64 of them after a first lag, twice as many after each
//     further lag (up to 4096), half as many after each call it keeps up.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace kanlab_cpu {

// 0: the intra-op team while it keeps up, else the inter-op pool; 1: the inter-op pool;
// 2: the intra-op team (see above).  Set by set_parallel_backend (register.cpp).
inline std::atomic<int>& parallel_backend() {
  static std::atomic<int> backend{0};
  return backend;
}

namespace detail {
// Backend 0: calls left before the team is tried again, and the next such period.
struct TeamLag {
  std::atomic<int64_t> skip{0};
  std::atomic<int64_t> period{64};
};
inline TeamLag& team_lag() {
  static TeamLag lag;
  return lag;
}
// The caller's wait at the end of a region that counts as lagging: longer than this and
// than a quarter of the caller's own time in the region (a chunk still in progress on
// another thread takes far less; a thread kept off its core, a scheduler slice: ms).
constexpr int64_t kLagNs = 300000;
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace detail

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
  const int backend = parallel_backend().load(std::memory_order_relaxed);
  auto& lag = detail::team_lag();
#if !defined(_OPENMP) && !defined(INTRA_OP_PARALLEL)
  // Built without OpenMP while torch runs OpenMP: at::parallel_for would run serially.
  const bool interop = true;
#else
  const bool interop = backend == 1 || (backend == 0 && lag.skip.load() > 0 && lag.skip-- > 0);
#endif
  if (interop) {
    detail::launch_helpers(chunks, threads - 1, run);
    return;
  }
  std::atomic<int64_t> next{0};
  const auto caller = std::this_thread::get_id();
  const int64_t start = detail::now_ns();
  int64_t caller_done = start;
  // One task per thread of the team; each claims chunks until none is left.  The
  // first exception stops the others at their next claim; at::parallel_for rethrows it.
  at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    const int64_t first = next++;
    if (first < chunks) {
      try {
        run(first, next);
      } catch (...) {
        next = chunks;
        throw;
      }
    }
    if (std::this_thread::get_id() == caller) caller_done = detail::now_ns();
  });
  if (backend == 0) {
    const int64_t waited = detail::now_ns() - caller_done;
    if (waited > detail::kLagNs && 4 * waited > caller_done - start) {
      const int64_t period = lag.period.load();
      lag.skip = period;
      lag.period = std::min<int64_t>(2 * period, 4096);
    } else {
      lag.period = std::max<int64_t>(lag.period.load() / 2, 64);
    }
  }
}

// at::parallel_for's signature (fn(begin, end)) on chunked_for.
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  chunked_for(end - begin, grain, [] { return 0; },
              [&](int, int64_t b0, int64_t b1) { fn(begin + b0, begin + b1); });
}

}  // namespace kanlab_cpu
