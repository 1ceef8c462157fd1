// efficientnet-b0: EfficientNet-B0 (Tan and Le 2019) with torchvision's structure and parameter
// names: features.0 (3x3 stride-2 conv, BN, SiLU), features.1-7 (MBConv stages: 1x1 expansion,
// depthwise k x k, squeeze-and-excitation with fc1/fc2, linear 1x1 projection; stochastic depth on
// the residual branch in training, rising to 0.2 in the last block), features.8 (1x1 conv to 1280),
// global average pooling, dropout and `classifier` (torchvision's classifier.1).
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

namespace {
// torchvision's Conv2dNormActivation: conv (padding (k-1)/2, no bias) "0", batch norm "1", SiLU "2".
layers::Stack conv_bn_silu(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, bool activation) {
  layers::Stack s(nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding((k - 1) / 2).groups(groups).bias(false)),
                  nn::BatchNorm2d(out));
  if (activation) s->push_back(nn::SiLU());
  return s;
}
}  // namespace

struct SqueezeExcitationImpl : nn::Module {
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze)
      : fc1(register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze, 1)))),
        fc2(register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze, channels, 1)))) {}
  torch::Tensor forward(torch::Tensor x) { return x * torch::sigmoid(fc2(torch::silu(fc1(x.mean({2, 3}, true))))); }
  nn::Conv2d fc1, fc2;
};
TORCH_MODULE(SqueezeExcitation);

struct MBConvImpl : nn::Module {
  MBConvImpl(int64_t in, int64_t out, int64_t expand, int64_t k, int64_t stride, double drop)
      : residual_(stride == 1 && in == out), drop_(drop) {
    const int64_t hidden = in * expand;
    layers::Stack s;
    if (hidden != in) s->push_back(conv_bn_silu(in, hidden, 1, 1, 1, true));
    s->push_back(conv_bn_silu(hidden, hidden, k, stride, hidden, true));
    s->push_back(SqueezeExcitation(hidden, std::max<int64_t>(1, in / 4)));
    s->push_back(conv_bn_silu(hidden, out, 1, 1, 1, false));
    block = register_module("block", s);
  }
  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor r = block->forward(x);
    if (!residual_) return r;
    if (is_training() && drop_ > 0) {  // stochastic depth, "row" mode: per example
      const double keep = 1.0 - drop_;
      r = r * torch::empty({r.size(0), 1, 1, 1}, r.options()).bernoulli_(keep).div_(keep);
    }
    return r + x;
  }
  layers::Stack block{nullptr};
  bool residual_;
  double drop_;
};
TORCH_MODULE(MBConv);

struct EfficientNetB0Impl : ClassifierImpl {
  explicit EfficientNetB0Impl(const ModelConfig& c) : ClassifierImpl(c) {
    // expansion, kernel, stride, input channels, output channels, layers
    const int64_t stages[7][6] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},  {6, 3, 2, 40, 80, 3},
                                  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
    layers::Stack features;
    features->push_back(conv_bn_silu(c.input.c, 32, 3, 2, 1, true));
    const int total = 16;
    int id = 0;
    for (const auto& s : stages) {
      layers::Stack stage;
      for (int64_t l = 0; l < s[5]; ++l, ++id)
        stage->push_back(MBConv(l == 0 ? s[3] : s[4], s[4], s[0], s[1], l == 0 ? s[2] : 1, 0.2 * id / total));
      features->push_back(stage);
    }
    features->push_back(conv_bn_silu(320, 1280, 1, 1, 1, true));
    add("features", features);
    add_head(1280);
  }
  int64_t embedding_size() const override { return 1280; }
  torch::Tensor embed(torch::Tensor x) override {
    return stages()[0].module.forward(x).mean({2, 3});
  }
};
TORCH_MODULE(EfficientNetB0);

Classifier make_efficientnet_b0(const ModelConfig& c) { return EfficientNetB0(c).ptr(); }

}  // namespace genre
