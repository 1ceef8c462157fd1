// resnet18: ResNet-18 (He et al. 2016) with torchvision's structure and parameter names (conv1,
// bn1, layer1..layer4 of two BasicBlocks with conv1/bn1/conv2/bn2 and downsample.0/.1), so that
// torchvision's checkpoint loads with --pretrained (scripts/pth_to_safetensors.py); torchvision's
// `fc` is genre's `classifier`, after global average pooling and dropout.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride)
      : conv1(register_module("conv1", layers::conv(in, out, 3, stride, false))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2(register_module("conv2", layers::conv(out, out, 3, 1, false))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    namespace nn = torch::nn;
    if (stride != 1 || in != out)
      downsample = register_module(
          "downsample", layers::Stack(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)), nn::BatchNorm2d(out)));
  }
  torch::Tensor forward(torch::Tensor x) {
    const torch::Tensor identity = downsample ? downsample->forward(x) : x;
    return torch::relu(bn2(conv2(torch::relu(bn1(conv1(x))))) + identity);
  }
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  layers::Stack downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNet18Impl : ClassifierImpl {
  explicit ResNet18Impl(const ModelConfig& c) : ClassifierImpl(c) {
    namespace nn = torch::nn;
    add("conv1", layers::conv(c.input.c, 64, 7, 2, false));
    add("bn1", nn::BatchNorm2d(64));
    add("relu", layers::relu());
    add("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
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
