#include "guards.h"

namespace genre::serve_detail {

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(m_);
  jobs_.push_back(std::move(fn));
  if (jobs_.size() > idle_ && threads_.size() < max_threads_) threads_.emplace_back([this] { work(); });
  cv_.notify_one();
}

void ConnectionPool::work() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, nothing left
    auto fn = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(m_);
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

bool Gate::enter() {
  std::unique_lock<std::mutex> lock(m_);
  cv_.wait(lock, [&] { return stopped_ || free_ > 0; });
  if (stopped_) return false;
  --free_;
  return true;
}

void Gate::leave() {
  std::lock_guard<std::mutex> lock(m_);
  ++free_;
  cv_.notify_one();
}

void Gate::stop() {
  std::lock_guard<std::mutex> lock(m_);
  stopped_ = true;
  cv_.notify_all();
}

bool UploadBudget::take(size_t n) {
  size_t have = free_.load();
  do {
    if (have < n) return false;
  } while (!free_.compare_exchange_weak(have, have - n));
  return true;
}

void UploadBudget::give(size_t n) { free_ += n; }

}  // namespace genre::serve_detail
