// mobilenet-v1-0.25: Keras MobileNet (Howard et al. 2017), width 0.25, as in
// ../shared/weights/imagenet/mobilenet-v1-0.25/model.md: conv1 (3x3 stride 2) and 13
// depthwise-separable blocks (conv_dw_i, conv_dw_i_bn, conv_pw_i, conv_pw_i_bn), batch norm
// epsilon 1e-3, ReLU6, TF 'same' padding; 256 pooled features. Module names are the Keras layer names.
#include "genre/imagenet.h"
#include "../zoo.h"
#include "keras.h"

namespace genre {

struct MobileNetV1Impl : ImageNetClassifierImpl {
  MobileNetV1Impl(const ModelConfig& c, double alpha)
      : ImageNetClassifierImpl(c, int64_t(1024 * alpha), 0.45, false) {
    auto w = [&](int64_t n) { return int64_t(alpha * double(n)); };
    int64_t in = w(32);
    conv1 = register_module("conv1", keras::conv(3, in, 3, 2));
    conv1_bn = register_module("conv1_bn", keras::bn(in));
    // Output width and stride of blocks 1..13.
    const int64_t blocks[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                                   {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    for (int i = 0; i < 13; ++i) {
      const std::string n = std::to_string(i + 1);
      const int64_t out = w(blocks[i][0]);
      strides.push_back(blocks[i][1]);
      dw.push_back(register_module("conv_dw_" + n, keras::conv(in, in, 3, blocks[i][1], false, in)));
      dw_bn.push_back(register_module("conv_dw_" + n + "_bn", keras::bn(in)));
      pw.push_back(register_module("conv_pw_" + n, keras::conv(in, out, 1, 1)));
      pw_bn.push_back(register_module("conv_pw_" + n + "_bn", keras::bn(out)));
      in = out;
    }
    add_classifier();
  }

  torch::Tensor features(torch::Tensor x) override {
    x = keras::relu6(conv1_bn(conv1(keras::same_pad(x, 3, 2))));
    for (size_t i = 0; i < dw.size(); ++i) {
      x = keras::relu6(dw_bn[i](dw[i](keras::same_pad(x, 3, strides[i]))));
      x = keras::relu6(pw_bn[i](pw[i](x)));
    }
    return x.mean({2, 3});
  }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d conv1_bn{nullptr};
  std::vector<torch::nn::Conv2d> dw, pw;
  std::vector<torch::nn::BatchNorm2d> dw_bn, pw_bn;
  std::vector<int64_t> strides;
};
TORCH_MODULE(MobileNetV1);

Classifier make_mobilenet_v1_025(const ModelConfig& c) { return MobileNetV1(c, 0.25).ptr(); }

}  // namespace genre
