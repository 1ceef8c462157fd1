// Internal building blocks shared by the architectures.
#pragma once

#include <torch/torch.h>

namespace genre::layers {

namespace nn = torch::nn;

// A Sequential with a plain forward(Tensor) -> Tensor, so that it can be a stage or be nested
// (nn::Sequential's templated forward cannot live in an AnyModule; torchvision does the same).
struct StackImpl : nn::SequentialImpl {
  using nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(Stack);

inline nn::Conv2d conv(int64_t in, int64_t out, int64_t k = 3, int64_t stride = 1, bool bias = true, int64_t groups = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(bias).groups(groups));
}

// He initialisation (Kaiming normal, fan_out, zero bias), as torchvision gives VGG: libtorch's
// default (weight variance 1 / (3 fan_in)) shrinks the signal's variance about six-fold per ReLU
// layer, which a plain stack without batch norm cannot undo (VGG-16 then stays at chance).
inline nn::Conv2d he_init(nn::Conv2d c) {
  torch::NoGradGuard no_grad;
  nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
  if (c->bias.defined()) nn::init::zeros_(c->bias);
  return c;
}

// conv -> [batch norm] -> ReLU; without batch norm the conv gets He initialisation. (With it,
// libtorch's default init is kept: the figures in the README were measured so.)
inline Stack conv_block(int64_t in, int64_t out, bool batch_norm, int64_t k = 3, int64_t stride = 1) {
  Stack s(batch_norm ? conv(in, out, k, stride, false) : he_init(conv(in, out, k, stride, true)));
  if (batch_norm) s->push_back(nn::BatchNorm2d(out));
  s->push_back(nn::ReLU(nn::ReLUOptions(true)));
  return s;
}

inline nn::MaxPool2d max_pool(int64_t k = 2) { return nn::MaxPool2d(nn::MaxPool2dOptions(k).stride(k)); }
inline nn::AdaptiveAvgPool2d global_pool() { return nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})); }
inline nn::Flatten flatten() { return nn::Flatten(); }
inline nn::Dropout dropout(double p) { return nn::Dropout(nn::DropoutOptions(p)); }
inline nn::ReLU relu() { return nn::ReLU(nn::ReLUOptions(true)); }

}  // namespace genre::layers
