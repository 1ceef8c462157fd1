// squeezenet-1.1: SqueezeNet v1.1 (Iandola et al. 2016; the Keras port of the Caffe model) without
// conv10, as in ../shared/weights/imagenet/squeezenet-1.1/model.md: conv1 (3x3 stride 2, no
// padding), max pools 3x3 stride 2 (floor), fire modules 2-9 (squeeze1x1, then [expand1x1,
// expand3x3] concatenated); ReLU after every convolution, no batch norm; 512 pooled features.
// Module names are the Keras layer names (fire2/squeeze1x1 -> fire2.squeeze1x1). From scratch its
// convolutions get He initialisation.
#include "genre/imagenet.h"
#include "../zoo.h"

namespace genre {

struct FireImpl : torch::nn::Module {
  FireImpl(int64_t in, int64_t squeeze, int64_t expand)
      : squeeze1x1(register_module("squeeze1x1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, squeeze, 1)))),
        expand1x1(register_module("expand1x1", torch::nn::Conv2d(torch::nn::Conv2dOptions(squeeze, expand, 1)))),
        expand3x3(register_module("expand3x3", torch::nn::Conv2d(torch::nn::Conv2dOptions(squeeze, expand, 3).padding(1)))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor s = torch::relu(squeeze1x1(x));
    return torch::cat({torch::relu(expand1x1(s)), torch::relu(expand3x3(s))}, 1);
  }
  torch::nn::Conv2d squeeze1x1, expand1x1, expand3x3;
};
TORCH_MODULE(Fire);

struct SqueezeNetImpl : ImageNetClassifierImpl {
  explicit SqueezeNetImpl(const ModelConfig& c) : ImageNetClassifierImpl(c, 512, 57.4, true) {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 3).stride(2)));
    // fire 2..9: squeeze, expand; a max pool before fire 4 and fire 6
    const int64_t fires[8][2] = {{16, 64}, {16, 64}, {32, 128}, {32, 128}, {48, 192}, {48, 192}, {64, 256}, {64, 256}};
    int64_t in = 64;
    for (int i = 0; i < 8; ++i) {
      fire.push_back(register_module("fire" + std::to_string(i + 2), Fire(in, fires[i][0], fires[i][1])));
      in = 2 * fires[i][1];
    }
    add_classifier();
    // Without batch norm, libtorch's default init shrinks the signal layer by layer (the random
    // network's logits barely depend on its input); He init as torchvision gives SqueezeNet.
    torch::NoGradGuard g;
    for (auto& m : modules(false))
      if (auto* c = m->as<torch::nn::Conv2d>()) {
        torch::nn::init::kaiming_uniform_(c->weight, 0.0, torch::kFanIn, torch::kReLU);
        torch::nn::init::zeros_(c->bias);
      }
  }

  torch::Tensor features(torch::Tensor x) override {
    auto pool = [](const torch::Tensor& t) { return torch::max_pool2d(t, 3, 2); };
    x = pool(torch::relu(conv1(x)));                // pool1
    x = pool(fire[1](fire[0](x)));                  // fire2, fire3, pool3
    x = pool(fire[3](fire[2](x)));                  // fire4, fire5, pool5
    for (size_t i = 4; i < fire.size(); ++i) x = fire[i](x);  // fire6 .. fire9
    return x.mean({2, 3});
  }

  torch::nn::Conv2d conv1{nullptr};
  std::vector<Fire> fire;
};
TORCH_MODULE(SqueezeNet);

Classifier make_squeezenet_11(const ModelConfig& c) { return SqueezeNet(c).ptr(); }

}  // namespace genre
