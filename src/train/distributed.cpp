// c10d (TCPStore + ProcessGroupGloo) behind genre's GradientSync (genre/distributed.h).
#define USE_C10D_GLOO  // Debian builds libtorch with Gloo; the header is guarded by this
#include "genre/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace genre {

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > 1 << 24) throw std::invalid_argument(std::string(name) + "='" + v + "' is not a rank, size or port");
  return int(x);
}

// Gradients are all-reduced in buckets of about this many bytes (DistributedDataParallel's
// default bucket_cap_mb): several parameters per call, without one huge copy.
constexpr int64_t kBucketBytes = int64_t(25) << 20;

class GlooSync : public GradientSync {
 public:
  GlooSync(const DistributedEnv& env, std::chrono::milliseconds timeout) : rank_(env.rank), world_(env.world_size) {
    c10d::TCPStoreOptions so;
    so.port = uint16_t(env.master_port);
    so.isServer = !env.agent_store && env.rank == 0;
    so.numWorkers = env.world_size;
    so.waitWorkers = !env.agent_store;
    so.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store;
    try {
      store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    } catch (const std::exception& e) {
      throw std::runtime_error("distributed: rank " + std::to_string(env.rank) + " cannot reach the rendezvous at " +
                               env.master_addr + ":" + std::to_string(env.master_port) + " (" + first_line(e.what()) + ")");
    }
    if (env.agent_store)
      store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restart_count), store);
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->timeout = timeout;
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }

  void synchronize(std::vector<torch::Tensor>& grads) override {
    torch::NoGradGuard no_grad;
    const auto t0 = std::chrono::steady_clock::now();
    ++stats_.steps;
    size_t first = 0;
    while (first < grads.size()) {
      size_t last = first;
      int64_t bytes = 0;
      while (last < grads.size() && (last == first || bytes + grads[last].nbytes() <= kBucketBytes))
        bytes += int64_t(grads[last++].nbytes());
      std::vector<torch::Tensor> flat;
      for (size_t i = first; i < last; ++i) flat.push_back(grads[i].reshape(-1));
      std::vector<torch::Tensor> bucket = {torch::cat(flat)};
      wait(pg_->allreduce(bucket), "all-reduce of the gradients");
      ++stats_.calls;
      stats_.bytes += bytes;
      bucket[0].div_(world_);
      int64_t offset = 0;
      for (size_t i = first; i < last; ++i) {
        const int64_t n = grads[i].numel();
        grads[i].copy_(bucket[0].narrow(0, offset, n).view_as(grads[i]));
        offset += n;
      }
      first = last;
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats_.seconds += took;
    stats_.min_seconds = stats_.steps == 1 ? took : std::min(stats_.min_seconds, took);
  }

  Stats stats() const override { return stats_; }

  void broadcast_bytes(std::string& bytes) override {
    std::vector<torch::Tensor> size = {torch::tensor({int64_t(bytes.size())}, torch::kInt64)};
    wait(pg_->broadcast(size, c10d::BroadcastOptions{0, 0}), "broadcast from rank 0");
    const int64_t n = size[0].item<int64_t>();
    if (rank_ != 0) bytes.assign(size_t(n), '\0');
    if (n == 0) return;
    std::vector<torch::Tensor> data = {torch::from_blob(bytes.data(), {n}, torch::kUInt8)};
    wait(pg_->broadcast(data, c10d::BroadcastOptions{0, 0}), "broadcast of rank 0's checkpoint");
  }

  void broadcast(std::vector<torch::Tensor>& tensors) override {
    torch::NoGradGuard no_grad;
    for (auto& t : tensors) {
      std::vector<torch::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
      wait(pg_->broadcast(one, c10d::BroadcastOptions{0, 0}), "broadcast from rank 0");
      if (!one[0].is_same(t)) t.copy_(one[0]);
    }
  }

  void sum(std::vector<double>& values) override {
    std::vector<torch::Tensor> t = {torch::tensor(values, torch::kFloat64)};
    wait(pg_->allreduce(t), "all-reduce of the epoch's figures");
    for (size_t i = 0; i < values.size(); ++i) values[i] = t[0][int64_t(i)].item<double>();
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw std::runtime_error("distributed: rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
                               " failed: another rank stopped, was killed or timed out (" + first_line(e.what()) + ")");
    }
  }

  int rank_, world_;
  Stats stats_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
};

}  // namespace

DistributedEnv distributed_env() {
  DistributedEnv e;
  e.world_size = env_int("WORLD_SIZE", 1);
  if (e.world_size < 1) throw std::invalid_argument("WORLD_SIZE must be at least 1");
  e.rank = env_int("RANK", 0);
  if (e.rank >= e.world_size) throw std::invalid_argument("RANK must be below WORLD_SIZE");
  e.local_rank = env_int("LOCAL_RANK", e.rank);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", e.master_port);
  if (e.master_port < 1 || e.master_port > 65535) throw std::invalid_argument("MASTER_PORT must be a port");
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && std::string(agent) == "True";
  e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0);
  return e;
}

std::unique_ptr<GradientSync> join_process_group(const DistributedEnv& env, std::chrono::milliseconds timeout) {
  if (env.world_size <= 1) return nullptr;
  return std::make_unique<GlooSync>(env, timeout);
}

}  // namespace genre
