// Work sharing for the kernels that tolerates a busy machine.
//
// chunked_for(n, grain, make, fn) runs fn(state, begin, end) over [0, n) in
// chunks of `grain`, claimed one at a time (an atomic counter) by the calling
// thread and by up to torch.get_num_threads() - 1 helpers queued on torch's
// inter-op thread pool (at::launch).  Compared with an OpenMP parallel region
// (at::parallel_for in torch's builds):
//   * nobody spin-waits: pool threads sleep on a condition variable between
//     tasks, and the caller sleeps on one while the last claimed chunks finish;
//   * no static split: a thread slowed by another process on its core simply
//     claims fewer chunks, and a helper that starts late (its core busy) finds
//     the work done and returns without touching it: the caller waits only for
//     chunks already being processed, never for a thread that has not started;
//   * torch.set_num_threads(1) (or a single chunk) runs everything inline.
// make() builds per-thread scratch state, once per participating thread.
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

namespace detail {
struct Shared {
  int64_t chunks = 0;
  std::atomic<int64_t> next{0};    // next chunk to claim
  std::atomic<int64_t> active{0};  // helpers between registering and leaving
  std::mutex m;
  std::condition_variable done;
  std::exception_ptr error;        // first exception of a helper (under m)
};
}  // namespace detail

template <typename Make, typename Fn>
void chunked_for(int64_t n, int64_t grain, Make&& make, Fn&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  const int64_t helpers = std::min<int64_t>(at::get_num_threads(), chunks) - 1;
  // Processes chunk `first` (already claimed), then claims and processes more until none is left.
  auto run = [&](int64_t first, std::atomic<int64_t>& next) {
    auto state = make();
    for (int64_t c = first; c < chunks; c = next++)
      fn(state, c * grain, std::min(n, (c + 1) * grain));
  };
  if (helpers <= 0 || at::in_parallel_region()) {
    std::atomic<int64_t> next{1};
    run(0, next);
    return;
  }
  auto shared = std::make_shared<detail::Shared>();
  shared->chunks = chunks;
  // A helper registers (active) before it claims, and touches `run` (whose
  // captures live on the caller's stack) only after claiming a chunk.  The caller
  // returns once every chunk is claimed and no helper is active, so a helper that
  // starts later claims nothing and leaves at once.
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

// at::parallel_for's signature (fn(begin, end)) on chunked_for.
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  chunked_for(end - begin, grain, [] { return 0; },
              [&](int, int64_t b0, int64_t b1) { fn(begin + b0, begin + b1); });
}

}  // namespace kanlab_cpu
