// mobilenet-v2-0.35: Keras MobileNetV2 (Sandler et al. 2018), width 0.35, no top, as in
// ../shared/weights/imagenet/mobilenet-v2-0.35/model.md: Conv1 (stride 2), 17 inverted residual
// blocks (expanded_conv_, block_1_ .. block_16_: expand, depthwise, linear projection), Conv_1 to
// 1280 channels; batch norm epsilon 1e-3, ReLU6, TF 'same' padding; 1280 pooled features. Module
// names are the Keras layer names. (genre's `mobilenet-v2` is torchvision's width-1.0 network.)
#include "genre/imagenet.h"
#include "../zoo.h"
#include "keras.h"

namespace genre {

namespace {
// Keras's _make_divisible: the nearest multiple of 8, never 10% below v.
int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t n = std::max(divisor, int64_t(v + divisor / 2.0) / divisor * divisor);
  if (double(n) < 0.9 * v) n += divisor;
  return n;
}
}  // namespace

// One inverted residual block; its layers are registered in `owner` under `prefix` (the Keras names
// are flat: block_3_expand, block_3_expand_BN, ...), so it is a plain struct, not a module.
struct KerasInvertedResidual {
  KerasInvertedResidual(torch::nn::Module& owner, const std::string& prefix, int64_t in, int64_t out, int64_t stride,
                            int64_t expansion)
      : stride_(stride), residual_(stride == 1 && in == out) {
    const int64_t hidden = in * expansion;
    if (expansion != 1) {
      expand = owner.register_module(prefix + "expand", keras::conv(in, hidden, 1, 1));
      expand_bn = owner.register_module(prefix + "expand_BN", keras::bn(hidden));
    }
    depthwise = owner.register_module(prefix + "depthwise", keras::conv(hidden, hidden, 3, stride, false, hidden));
    depthwise_bn = owner.register_module(prefix + "depthwise_BN", keras::bn(hidden));
    project = owner.register_module(prefix + "project", keras::conv(hidden, out, 1, 1));
    project_bn = owner.register_module(prefix + "project_BN", keras::bn(out));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = expand ? keras::relu6(expand_bn(expand(x))) : x;
    h = keras::relu6(depthwise_bn(depthwise(keras::same_pad(h, 3, stride_))));
    h = project_bn(project(h));  // linear bottleneck: no activation, none after the add either
    return residual_ ? x + h : h;
  }
  torch::nn::Conv2d expand{nullptr}, depthwise{nullptr}, project{nullptr};
  torch::nn::BatchNorm2d expand_bn{nullptr}, depthwise_bn{nullptr}, project_bn{nullptr};
  int64_t stride_;
  bool residual_;
};

struct MobileNetV2KerasImpl : ImageNetClassifierImpl {
  MobileNetV2KerasImpl(const ModelConfig& c, double alpha) : ImageNetClassifierImpl(c, 1280, 0.45, false) {
    int64_t in = make_divisible(32 * alpha);
    Conv1 = register_module("Conv1", keras::conv(3, in, 3, 2));
    bn_Conv1 = register_module("bn_Conv1", keras::bn(in));
    // expansion t, channels c, repeats n, stride s (keras_applications mobilenet_v2.py)
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int block = 0;
    for (const auto& s : settings) {
      const int64_t out = make_divisible(double(s[1]) * alpha);
      for (int64_t r = 0; r < s[2]; ++r, ++block) {
        const std::string prefix = block == 0 ? "expanded_conv_" : "block_" + std::to_string(block) + "_";
        blocks.emplace_back(std::make_shared<KerasInvertedResidual>(*this, prefix, in, out, r == 0 ? s[3] : 1, s[0]));
        in = out;
      }
    }
    Conv_1 = register_module("Conv_1", keras::conv(in, 1280, 1, 1));
    Conv_1_bn = register_module("Conv_1_bn", keras::bn(1280));
    add_classifier();
  }

  torch::Tensor features(torch::Tensor x) override {
    x = keras::relu6(bn_Conv1(Conv1(keras::same_pad(x, 3, 2))));
    for (auto& b : blocks) x = b->forward(x);
    return keras::relu6(Conv_1_bn(Conv_1(x))).mean({2, 3});
  }

  torch::nn::Conv2d Conv1{nullptr}, Conv_1{nullptr};
  torch::nn::BatchNorm2d bn_Conv1{nullptr}, Conv_1_bn{nullptr};
  std::vector<std::shared_ptr<KerasInvertedResidual>> blocks;
};
TORCH_MODULE(MobileNetV2Keras);

Classifier make_mobilenet_v2_035(const ModelConfig& c) { return MobileNetV2Keras(c, 0.35).ptr(); }

}  // namespace genre
