// resnet18: ResNet-18 (He et al. 2016; torchvision's layout): a 7x7 stride-2 stem and max-pool,
// four stages of two basic blocks (64, 128, 256, 512 channels), global average pooling.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct BasicBlockImpl : torch::nn::Module {
  layers::Stack body{nullptr}, shortcut{nullptr};
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    namespace nn = torch::nn;
    body = register_module("body", layers::Stack(layers::conv(in, out, 3, stride, false), nn::BatchNorm2d(out),
                                                  layers::relu(), layers::conv(out, out, 3, 1, false),
                                                  nn::BatchNorm2d(out)));
    if (stride != 1 || in != out)
      shortcut = register_module(
          "shortcut", layers::Stack(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)), nn::BatchNorm2d(out)));
  }
  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor identity = shortcut ? shortcut->forward(x) : x;
    return torch::relu(body->forward(x) + identity);
  }
};
TORCH_MODULE(BasicBlock);

struct ResNet18Impl : ClassifierImpl {
  explicit ResNet18Impl(const ModelConfig& c) : ClassifierImpl(c) {
    namespace nn = torch::nn;
    add("stem", layers::Stack(layers::conv(c.input.c, 64, 7, 2, false), nn::BatchNorm2d(64), layers::relu(),
                               nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1))));
    int64_t in = 64;
    int i = 1;
    for (int64_t out : {64, 128, 256, 512}) {
      const int64_t stride = out == 64 ? 1 : 2;
      add("layer" + std::to_string(i++), layers::Stack(BasicBlock(in, out, stride), BasicBlock(out, out, 1)));
      in = out;
    }
    add_head(512);
  }
};
TORCH_MODULE(ResNet18);

Classifier make_resnet18(const ModelConfig& c) { return ResNet18(c).ptr(); }

}  // namespace genre
