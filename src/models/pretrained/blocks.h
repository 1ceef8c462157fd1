// Internal: the building blocks of the upstream tagging models (training/modules.py), with its
// state_dict names (conv, bn).
#pragma once

#include <torch/torch.h>

#include "genre/pretrained.h"
#include "genre/runtime.h"

#include <vector>

namespace genre::pretrained {

// ReLU(bn(x)). At inference (evaluation mode, no autograd) in place on x, the fresh output of a
// convolution: these networks' first layers make 40-80 MB of activations per 29 s window, and the
// out-of-place form keeps three of them alive at once. Training keeps the modules' own form.
template <class BatchNorm>
torch::Tensor bn_relu(BatchNorm& bn, torch::Tensor x) {
  if (bn->is_training() || torch::GradMode::is_enabled()) return torch::relu(bn(x));
  const torch::Tensor scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  const torch::Tensor shift = bn->bias - bn->running_mean * scale;
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[1] = x.size(1);
  return x.mul_(scale.view(shape)).add_(shift.view(shape)).relu_();
}

// Conv_2d: Conv2d 3x3 (padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(pool), floor mode.
// At inference a long input goes through in time tiles of about tile_frames() output frames (a
// multiple of the pool width, each with its one-frame halo), which gives the same result as one
// pass: a layer's convolution output (and oneDNN's dense copy of it) then holds a few MB at a time
// instead of 45-90 MB. heaptrack, cold predict of the bundled model: tiles of 384 frames left a
// 9.4 MB tile twice in the heap peak; at 128 the peak fell from 95 to 82 MB, and a batch of 20
// clips with --jobs 2 took about 20% longer. So the server (several classifications in flight,
// a memory budget) uses 128 and batch commands 384 (genre::memory_use()).
inline int64_t tile_frames() { return genre::memory_use() == genre::MemoryUse::Server ? 128 : 384; }
// The same trade for Musicnn's 3 s segments (musicnn.cpp): one at a time in the server, three in batch.
inline int64_t segments_at_once() { return genre::memory_use() == genre::MemoryUse::Server ? 1 : 3; }

struct Conv2dBlockImpl : torch::nn::Module {
  Conv2dBlockImpl(int64_t cin, int64_t cout, std::vector<int64_t> pool)
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, cout, 3).padding(1)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(cout))),
        pool_(std::move(pool)) {}
  torch::Tensor forward(torch::Tensor x) {
    const int64_t w = x.size(3), pw = pool_[1], tile = (tile_frames() + pw - 1) / pw * pw;
    if (is_training() || torch::GradMode::is_enabled() || w <= 2 * tile) return torch::max_pool2d(bn_relu(bn, conv(x)), pool_);
    const int64_t end = w / pw * pw;  // floor-mode pooling drops the rest
    torch::Tensor out;  // each tile's pooled output is written in place: no list of tiles to concatenate
    for (int64_t a = 0; a < end; a += tile) {
      const int64_t b = std::min(a + tile, end), lo = std::max<int64_t>(a - 1, 0), hi = std::min(b + 1, w);
      const torch::Tensor xt = torch::constant_pad_nd(x.narrow(3, lo, hi - lo), {a == 0 ? 1 : 0, b + 1 > w ? 1 : 0, 0, 0});
      const torch::Tensor y = torch::max_pool2d(bn_relu(bn, torch::conv2d(xt, conv->weight, conv->bias, 1, torch::IntArrayRef{1, 0})), pool_);
      if (!out.defined()) out = torch::empty({y.size(0), y.size(1), y.size(2), end / pw}, y.options());
      out.narrow(3, a / pw, y.size(3)).copy_(y);
    }
    return out;
  }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
  std::vector<int64_t> pool_;
};
TORCH_MODULE(Conv2dBlock);

// The spectrogram these models expect: [N, 1, 96, frames] (mel band as H, frame as W).
inline void check_input(const std::string& arch, const genre::Shape& in, int64_t frames) {
  if (in.c != 1 || in.h != 96 || (frames > 0 && in.w != frames))
    throw std::invalid_argument(arch + " takes a 1 x 96 x " + (frames > 0 ? std::to_string(frames) : std::string("T")) +
                                " log-mel input (the tagger front end), not " + std::to_string(in.c) + " x " +
                                std::to_string(in.h) + " x " + std::to_string(in.w));
}

// The Essentia ports' input (essentia_musicnn.cpp, essentia_vgg.cpp): 1 x 96 x T log-mel windows
// holding at least one 187-frame patch.
inline void check_essentia_input(const std::string& arch, const genre::Shape& in) {
  check_input(arch, in, 0);
  if (in.w < genre::kEssentiaPatchFrames)
    throw std::invalid_argument(arch + " needs at least " + std::to_string(genre::kEssentiaPatchFrames) + " frames (3 s)");
}

}  // namespace genre::pretrained
