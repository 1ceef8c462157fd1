// crnn: the convolutional recurrent tagger of Choi et al. (2017) as in
// minzwon/sota-music-tagging-models (training/model.py CRNN): spec_bn, four Conv_2d blocks
// (96 x 1813 -> 128 x 1 x 18), a 2-layer GRU(32) over the 18 steps, dense 32 -> 50. The embedding
// is the top GRU layer's state after the last step.
#include "../zoo.h"
#include "blocks.h"

namespace genre {

using pretrained::Conv2dBlock;

struct CrnnImpl : ClassifierImpl {
  explicit CrnnImpl(const ModelConfig& c) : ClassifierImpl(c) {
    pretrained::check_input("crnn", c.input, 0);
    spec_bn = register_module("spec_bn", torch::nn::BatchNorm2d(1));
    layer1 = register_module("layer1", Conv2dBlock(1, 64, std::vector<int64_t>{2, 2}));
    layer2 = register_module("layer2", Conv2dBlock(64, 128, std::vector<int64_t>{3, 3}));
    layer3 = register_module("layer3", Conv2dBlock(128, 128, std::vector<int64_t>{4, 4}));
    layer4 = register_module("layer4", Conv2dBlock(128, 128, std::vector<int64_t>{4, 4}));
    layer5 = register_module("layer5", torch::nn::GRU(torch::nn::GRUOptions(128, 32).num_layers(2).batch_first(true)));
    dropout = register_module("dropout", torch::nn::Dropout(0.5));
    dense = register_module("dense", torch::nn::Linear(32, c.n_classes));
  }
  int64_t embedding_size() const override { return 32; }
  torch::Tensor embed(torch::Tensor x) override {
    x = layer4(layer3(layer2(layer1(spec_bn(x)))));  // N x 128 x 1 x T
    x = x.squeeze(2).permute({0, 2, 1});             // N x T x 128
    auto out = std::get<0>(layer5(x));               // N x T x 32
    return out.select(1, out.size(1) - 1);
  }
  torch::Tensor forward_standardised(torch::Tensor x) override { return dense(dropout(embed(x))); }

  torch::nn::BatchNorm2d spec_bn{nullptr};
  Conv2dBlock layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::GRU layer5{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Crnn);

Classifier make_crnn(const ModelConfig& c) { return Crnn(c).ptr(); }

}  // namespace genre
