// Internal: the Keras conventions the ImageNet networks were trained with (see
// ../shared/weights/imagenet/*/model.md): TensorFlow 'same' padding, batch norm with epsilon 1e-3,
// ReLU6, convolutions without padding of their own.
#pragma once

#include <torch/torch.h>

namespace genre::keras {

// TensorFlow 'same' padding of the last two dimensions for a k x k kernel at `stride`: the total
// max((ceil(n / s) - 1) * s + k - n, 0), half before and the rest after (so (0, 1) at stride 2 on an
// even size, which Keras writes as ZeroPadding2D(((0, 1), (0, 1)))).
inline torch::Tensor same_pad(const torch::Tensor& x, int64_t k, int64_t stride) {
  auto pads = [&](int64_t n) {
    const int64_t total = std::max((n + stride - 1) / stride * stride - stride + k - n, int64_t(0));
    return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
  };
  const auto [top, bottom] = pads(x.size(2));
  const auto [left, right] = pads(x.size(3));
  if (top == 0 && bottom == 0 && left == 0 && right == 0) return x;
  return torch::constant_pad_nd(x, {left, right, top, bottom});
}

inline torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, bool bias = false, int64_t groups = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(0).bias(bias).groups(groups));
}

inline torch::nn::BatchNorm2d bn(int64_t c) { return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(1e-3)); }

inline torch::Tensor relu6(const torch::Tensor& x) { return torch::clamp(x, 0, 6); }

}  // namespace genre::keras
