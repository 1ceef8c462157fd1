// essentia-vgg: Essentia's msd-vgg-1 (the musicnn repository's VGG baseline, trained on the
// Million Song Dataset), layer by layer as ../shared/weights/noncommercial/msd-vgg/model.md
// describes its PyTorch port, with that port's state_dict names. CC BY-NC-SA 4.0: for comparison
// only, never shipped or bundled. Input as essentia-musicnn's (essentia_frontend(), 187-frame
// patches, read as time x mel); five Conv2d 3x3 (128) -> ReLU -> batch norm -> max-pool blocks,
// the 2 x 1 x 128 output flattened in TensorFlow's order (the 256-d embedding), Linear 256 -> 50.
#include "../zoo.h"
#include "blocks.h"
#include "genre/pretrained.h"

namespace genre {

struct EssentiaVggImpl : ClassifierImpl {
  explicit EssentiaVggImpl(const ModelConfig& c) : ClassifierImpl(c) {
    pretrained::check_essentia_input("essentia-vgg", c.input);
    namespace nn = torch::nn;
    bn_input = register_module("bn_input", nn::BatchNorm2d(nn::BatchNorm2dOptions(1).eps(1e-3)));
    convs = register_module("convs", nn::ModuleList());
    bns = register_module("bns", nn::ModuleList());
    for (int64_t i = 0; i < 5; ++i) {
      convs->push_back(nn::Conv2d(nn::Conv2dOptions(i == 0 ? 1 : 128, 128, 3).padding(1)));
      bns->push_back(nn::BatchNorm2d(nn::BatchNorm2dOptions(128).eps(1e-3)));
    }
    classifier = register_module("classifier", nn::Linear(256, c.n_classes));
  }
  int64_t embedding_size() const override { return 256; }

  // Patches [N, 1, 187, 96] (time, mel) -> the 256-d embedding.
  torch::Tensor embed_patches(torch::Tensor x) {
    x = bn_input(x);
    for (size_t i = 0; i < convs->size(); ++i) {
      x = bns[i]->as<torch::nn::BatchNorm2dImpl>()->forward(torch::relu(convs[i]->as<torch::nn::Conv2dImpl>()->forward(x)));
      // (time, mel) windows and strides: (4, 1) by (2, 2) first, 2 x 2 by 2, then 4 x 4 by 4; floor.
      if (i == 0) x = torch::max_pool2d(x, {4, 1}, {2, 2});
      else if (i < 4) x = torch::max_pool2d(x, {2, 2}, {2, 2});
      else x = torch::max_pool2d(x, {4, 4}, {4, 4});
    }
    return x.permute({0, 2, 3, 1}).reshape({x.size(0), 256});  // N x 2 x 1 x 128, TensorFlow's NHWC order
  }
  torch::Tensor embed(torch::Tensor x) override {
    return essentia_patches(x, [this](const torch::Tensor& p) { return embed_patches(p); });
  }
  torch::Tensor forward_standardised(torch::Tensor x) override { return classifier(embed(x)); }

  torch::nn::BatchNorm2d bn_input{nullptr};
  torch::nn::ModuleList convs{nullptr}, bns{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(EssentiaVgg);

Classifier make_essentia_vgg(const ModelConfig& c) { return EssentiaVgg(c).ptr(); }

}  // namespace genre
