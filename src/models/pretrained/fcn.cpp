// fcn: the fully convolutional tagger of Choi et al. (2016) as in minzwon/sota-music-tagging-models
// (training/model.py FCN): spec_bn, five Conv_2d blocks pooling the 96 x 1813 log-mel to 64 x 1 x 1,
// dense 64 -> 50. The embedding is the flattened 64-d output of layer5.
#include "../zoo.h"
#include "blocks.h"

namespace genre {

using pretrained::Conv2dBlock;

struct FcnImpl : ClassifierImpl {
  explicit FcnImpl(const ModelConfig& c) : ClassifierImpl(c) {
    pretrained::check_input("fcn", c.input, 1813);
    spec_bn = register_module("spec_bn", torch::nn::BatchNorm2d(1));
    layer1 = register_module("layer1", Conv2dBlock(1, 64, std::vector<int64_t>{2, 4}));
    layer2 = register_module("layer2", Conv2dBlock(64, 128, std::vector<int64_t>{2, 4}));
    layer3 = register_module("layer3", Conv2dBlock(128, 128, std::vector<int64_t>{2, 4}));
    layer4 = register_module("layer4", Conv2dBlock(128, 128, std::vector<int64_t>{3, 5}));
    layer5 = register_module("layer5", Conv2dBlock(128, 64, std::vector<int64_t>{4, 4}));
    dropout = register_module("dropout", torch::nn::Dropout(0.5));
    dense = register_module("dense", torch::nn::Linear(64, c.n_classes));
  }
  int64_t embedding_size() const override { return 64; }
  torch::Tensor embed(torch::Tensor x) override {
    x = layer5(layer4(layer3(layer2(layer1(spec_bn(x))))));
    return x.flatten(1);
  }
  torch::Tensor forward_standardised(torch::Tensor x) override { return dense(dropout(embed(x))); }

  torch::nn::BatchNorm2d spec_bn{nullptr};
  Conv2dBlock layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr}, layer5{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Fcn);

Classifier make_fcn(const ModelConfig& c) { return Fcn(c).ptr(); }

}  // namespace genre
