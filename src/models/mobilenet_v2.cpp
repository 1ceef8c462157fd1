// mobilenet-v2: MobileNetV2 (Sandler et al. 2018), width 1.0, with torchvision's structure and
// parameter names: features.0 (3x3 stride-2 conv, BN, ReLU6), features.1-17 (inverted residual
// blocks: conv.0 1x1 expansion, conv.1 depthwise, conv.2/conv.3 linear projection and its BN; the
// first block has no expansion), features.18 (1x1 conv to 1280), global average pooling, dropout
// and `classifier` (torchvision's classifier.1). (mobilenet-v2-0.35 is Keras's, in imagenet/.)
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

namespace {
// torchvision's Conv2dNormActivation with ReLU6: conv "0", batch norm "1", ReLU6 "2".
layers::Stack conv_bn_relu6(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups = 1) {
  return layers::Stack(nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding((k - 1) / 2).groups(groups).bias(false)),
                       nn::BatchNorm2d(out), nn::Functional([](torch::Tensor x) { return torch::clamp(x, 0, 6); }));
}
}  // namespace

struct InvertedResidualImpl : nn::Module {
  layers::Stack conv{nullptr};
  bool residual;
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand) : residual(stride == 1 && in == out) {
    const int64_t hidden = in * expand;
    layers::Stack s;
    if (expand != 1) s->push_back(conv_bn_relu6(in, hidden, 1, 1));
    s->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden));  // depthwise
    s->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));  // linear bottleneck
    s->push_back(nn::BatchNorm2d(out));
    conv = register_module("conv", s);
  }
  torch::Tensor forward(torch::Tensor x) { return residual ? x + conv->forward(x) : conv->forward(x); }
};
TORCH_MODULE(InvertedResidual);

struct MobileNetV2Impl : ClassifierImpl {
  explicit MobileNetV2Impl(const ModelConfig& c) : ClassifierImpl(c) {
    layers::Stack features;
    features->push_back(conv_bn_relu6(c.input.c, 32, 3, 2));
    // expansion t, channels c, repeats n, stride s
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t in = 32;
    for (const auto& st : settings)
      for (int64_t r = 0; r < st[2]; ++r) {
        features->push_back(InvertedResidual(in, st[1], r == 0 ? st[3] : 1, st[0]));
        in = st[1];
      }
    features->push_back(conv_bn_relu6(in, 1280, 1, 1));
    add("features", features);
    add_head(1280);
  }
};
TORCH_MODULE(MobileNetV2);

Classifier make_mobilenet_v2(const ModelConfig& c) { return MobileNetV2(c).ptr(); }

}  // namespace genre
