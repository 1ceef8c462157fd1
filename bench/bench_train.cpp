// Time per epoch of genre's training step (forward, cross-entropy, backward, Adam step) for a
// registry model on random data, with the process set up as `genre train` sets it (the allocator
// keeps freed memory: see genre/runtime.h); bench/train_speed.py runs it beside PyTorch in Python.
// Usage: bench_train MODEL EXAMPLES BATCH THREADS EPOCHS [HEIGHT=128] (input 1 x HEIGHT x 173; 20 for MFCC)
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "genre/model.h"
#include "genre/runtime.h"

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : "cnn3";
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 256, batch = argc > 3 ? std::atoll(argv[3]) : 32;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2, epochs = argc > 5 ? std::atoi(argv[5]) : 3;
  const int64_t height = argc > 6 ? std::atoll(argv[6]) : 128;
  genre::configure_memory(genre::MemoryUse::Batch);  // as `genre train` runs
  at::set_num_threads(threads);
  torch::manual_seed(0);
  genre::ModelConfig cfg{model, {1, height, 173}, 10, 0.3};
  genre::Classifier net = genre::create_model(cfg);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-4));
  torch::Tensor x = torch::randn({n, 1, height, 173}), y = torch::randint(0, 10, {n}, torch::kInt64);
  net->train();
  for (int e = 0; e < epochs + 1; ++e) {  // the first epoch warms up
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < n; s += batch) {
      auto xb = x.slice(0, s, std::min(n, s + batch)), yb = y.slice(0, s, std::min(n, s + batch));
      auto loss = torch::nn::functional::cross_entropy(net->forward(xb), yb);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (e > 0) std::printf("%.4f\n", sec);
  }
  return 0;
}
