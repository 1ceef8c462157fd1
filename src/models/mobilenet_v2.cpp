// mobilenet-v2: MobileNetV2 (Sandler et al. 2018; torchvision's layout, width 1.0): inverted
// residual blocks with linear bottlenecks, a 1280-channel head (for transfer learning later).
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

layers::Stack conv_bn_relu6(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups = 1) {
  return layers::Stack(layers::conv(in, out, k, stride, false, groups), nn::BatchNorm2d(out),
                        nn::Functional([](torch::Tensor x) { return torch::clamp(x, 0, 6); }));
}

struct InvertedResidualImpl : nn::Module {
  layers::Stack body{nullptr};
  bool residual;
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand) : residual(stride == 1 && in == out) {
    const int64_t hidden = in * expand;
    layers::Stack s;
    if (expand != 1) s->extend(*conv_bn_relu6(in, hidden, 1, 1));
    s->extend(*conv_bn_relu6(hidden, hidden, 3, stride, hidden));  // depthwise
    s->push_back(layers::conv(hidden, out, 1, 1, false));           // linear bottleneck
    s->push_back(nn::BatchNorm2d(out));
    body = register_module("body", s);
  }
  torch::Tensor forward(torch::Tensor x) { return residual ? x + body->forward(x) : body->forward(x); }
};
TORCH_MODULE(InvertedResidual);

struct MobileNetV2Impl : ClassifierImpl {
  explicit MobileNetV2Impl(const ModelConfig& c) : ClassifierImpl(c) {
    add("stem", conv_bn_relu6(c.input.c, 32, 3, 2));
    // expansion t, channels c, repeats n, stride s
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t in = 32;
    int i = 1;
    for (const auto& st : settings) {
      layers::Stack stage;
      for (int64_t r = 0; r < st[2]; ++r) {
        stage->push_back(InvertedResidual(in, st[1], r == 0 ? st[3] : 1, st[0]));
        in = st[1];
      }
      add("stage" + std::to_string(i++), stage);
    }
    add("head", conv_bn_relu6(in, 1280, 1, 1));
    add_head(1280);
  }
};
TORCH_MODULE(MobileNetV2);

Classifier make_mobilenet_v2(const ModelConfig& c) { return MobileNetV2(c).ptr(); }

}  // namespace genre
