// Internal: the building blocks of the upstream tagging models (training/modules.py), with its
// state_dict names (conv, bn).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace genre::pretrained {

// Conv_2d: Conv2d 3x3 (padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(pool), floor mode.
struct Conv2dBlockImpl : torch::nn::Module {
  Conv2dBlockImpl(int64_t cin, int64_t cout, std::vector<int64_t> pool)
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, cout, 3).padding(1)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(cout))),
        pool_(std::move(pool)) {}
  torch::Tensor forward(torch::Tensor x) { return torch::max_pool2d(torch::relu(bn(conv(x))), pool_); }
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

}  // namespace genre::pretrained
