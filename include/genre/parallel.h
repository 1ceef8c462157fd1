// Parallel map: work(i) runs on up to `jobs` threads, and emit(i, result) is called on the calling
// thread in index order as soon as each result and all earlier ones are ready (or, unordered, as
// each finishes), so output streams out while later items are still being processed.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace genre {

// ordered = false: emit(i, result) in completion order instead (still on the calling thread).
template <class Work, class Emit>
void parallel_ordered(size_t n, size_t jobs, Work work, Emit emit, bool ordered = true) {
  using Result = decltype(work(size_t(0)));
  jobs = std::max<size_t>(1, std::min(jobs, n));
  if (jobs == 1) {
    for (size_t i = 0; i < n; ++i) emit(i, work(i));
    return;
  }
  std::atomic<size_t> next{0};
  std::mutex m;
  std::condition_variable cv;
  std::map<size_t, Result> ready;
  std::vector<std::thread> pool;
  for (size_t j = 0; j < jobs; ++j) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        Result r = work(i);  // work must not throw: report failures in Result
        std::lock_guard<std::mutex> lock(m);
        ready.emplace(i, std::move(r));
        cv.notify_one();
      }
    });
  }
  for (size_t k = 0; k < n; ++k) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ordered ? ready.count(k) > 0 : !ready.empty(); });
    auto it = ordered ? ready.find(k) : ready.begin();
    const size_t i = it->first;
    Result r = std::move(it->second);
    ready.erase(it);
    lock.unlock();
    emit(i, std::move(r));
  }
  for (auto& t : pool) t.join();
}

}  // namespace genre
