// What keeps genre serve responsive under hostile clients (genre/server.h):
//   ConnectionPool  one thread per open connection, up to a cap, so idle or slow connections
//                   never take the place of a classification (httplib's ThreadPool would let
//                   `threads` idle sockets stall the server);
//   Gate            at most N classifications at once; the rest wait their turn, or are told
//                   503 once the server is stopping;
//   UploadBudget    the bytes of all uploads being received at once, bounded.
// Internal to src/serve.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace genre::serve_detail {

class ConnectionPool : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(size_t max_threads) : max_threads_(max_threads) {}
  ~ConnectionPool() override { shutdown(); }
  // A connection starts at once on an idle thread or a new one; beyond the cap it waits for the
  // next thread to be free (the kernel's accept backlog and the fd limit bound that queue).
  void enqueue(std::function<void()> fn) override;
  // Runs what is queued and joins every thread.
  void shutdown() override;

 private:
  void work();
  const size_t max_threads_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

class Gate {
 public:
  explicit Gate(size_t limit) : free_(limit) {}
  // Waits for a slot; false when the server is stopping (the caller answers 503).
  bool enter();
  void leave();
  void stop();  // wakes every waiter, which then returns false

 private:
  std::mutex m_;
  std::condition_variable cv_;
  size_t free_;
  bool stopped_ = false;
};

class UploadBudget {
 public:
  explicit UploadBudget(size_t bytes) : free_(bytes) {}
  bool take(size_t n);  // false: the budget is spent (the caller answers 503)
  void give(size_t n);

 private:
  std::atomic<size_t> free_;
};

}  // namespace genre::serve_detail
