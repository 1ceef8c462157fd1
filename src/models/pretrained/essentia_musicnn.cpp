// essentia-musicnn: Essentia's msd-musicnn-1 (Pons and Serra's MusiCNN as Essentia ships it,
// trained on the Million Song Dataset), layer by layer as
// ../shared/weights/noncommercial/msd-musicnn/model.md describes its PyTorch port, with that port's
// state_dict names. CC BY-NC-SA 4.0: for comparison only, never shipped or bundled.
// Input: Essentia's log10(1 + 10000 mel) patches (essentia_frontend(): 96 Slaney bands x 187
// frames, 3 s); the front end gives 1 x 96 x T (mel, time), the network reads (time, mel). A window
// longer than one patch is cut into whole 187-frame patches, whose embeddings are averaged.
// Unlike the upstream Musicnn (musicnn.cpp): batch norm after ReLU, the temporal filters run on
// every mel band (then max over bands), the pooled maxima and means are interleaved, a batch norm
// on the pooled vector, and dense -> ReLU -> batch norm is the 200-d embedding.
#include "../zoo.h"
#include "blocks.h"
#include "genre/pretrained.h"

namespace genre {
namespace {
torch::nn::BatchNorm2d bn2d(int64_t c) { return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(1e-3)); }
torch::nn::BatchNorm1d bn1d(int64_t c) { return torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(c).eps(1e-3)); }
}  // namespace

struct EssentiaMusicnnImpl : ClassifierImpl {
  explicit EssentiaMusicnnImpl(const ModelConfig& c) : ClassifierImpl(c) {
    pretrained::check_essentia_input("essentia-musicnn", c.input);
    namespace nn = torch::nn;
    bn_input = register_module("bn_input", bn2d(1));
    timbral1 = register_module("timbral1", nn::Conv2d(nn::Conv2dOptions(1, 204, {7, 38}).padding({3, 0})));
    bn_timbral1 = register_module("bn_timbral1", bn2d(204));
    timbral2 = register_module("timbral2", nn::Conv2d(nn::Conv2dOptions(1, 204, {7, 67}).padding({3, 0})));
    bn_timbral2 = register_module("bn_timbral2", bn2d(204));
    for (int64_t i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i + 1);
      temporal.push_back(register_module("temporal" + n, nn::Conv2d(nn::Conv2dOptions(1, 51, {kTemporal[i], 1}))));
      bn_temporal.push_back(register_module("bn_temporal" + n, bn2d(51)));
    }
    for (int64_t i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i + 1);
      mid.push_back(register_module("mid" + n, nn::Conv1d(nn::Conv1dOptions(i == 0 ? 561 : 64, 64, 7).padding(3))));
      bn_mid.push_back(register_module("bn_mid" + n, bn1d(64)));
    }
    bn_pool = register_module("bn_pool", bn1d(1506));
    dense = register_module("dense", nn::Linear(1506, 200));
    bn_dense = register_module("bn_dense", bn1d(200));
    classifier = register_module("classifier", nn::Linear(200, c.n_classes));
  }
  int64_t embedding_size() const override { return 200; }

  // Patches [N, 1, 187, 96] (time, mel) -> the 200-d embedding.
  torch::Tensor embed_patches(const torch::Tensor& patch) {
    const torch::Tensor x = bn_input(patch);
    std::vector<torch::Tensor> f;
    f.push_back(std::get<0>(bn_timbral1(torch::relu(timbral1(x))).max(3)));
    f.push_back(std::get<0>(bn_timbral2(torch::relu(timbral2(x))).max(3)));
    for (size_t i = 0; i < temporal.size(); ++i) {
      // TensorFlow "SAME" padding in time: k/2 - 1 frames before, k/2 after.
      const int64_t k = kTemporal[i];
      const torch::Tensor padded = torch::constant_pad_nd(x, {0, 0, k / 2 - 1, k / 2});
      f.push_back(std::get<0>(bn_temporal[i](torch::relu(temporal[i](padded))).max(3)));
    }
    const torch::Tensor front = torch::cat(f, 1);  // N x 561 x 187
    const torch::Tensor r1 = bn_mid[0](torch::relu(mid[0](front)));
    const torch::Tensor r2 = bn_mid[1](torch::relu(mid[1](r1))) + r1;
    const torch::Tensor r3 = bn_mid[2](torch::relu(mid[2](r2))) + r2;
    const torch::Tensor g = torch::cat({front, r1, r2, r3}, 1);  // N x 753 x 187
    // Interleaved: element 2c is channel c's maximum over time, 2c + 1 its mean.
    const torch::Tensor pooled = torch::stack({std::get<0>(g.max(2)), g.mean(2)}, 2).reshape({g.size(0), 1506});
    return bn_dense(torch::relu(dense(bn_pool(pooled))));
  }
  torch::Tensor embed(torch::Tensor x) override {
    return essentia_patches(x, [this](const torch::Tensor& p) { return embed_patches(p); });
  }
  torch::Tensor forward_standardised(torch::Tensor x) override { return classifier(embed(x)); }

  static constexpr int64_t kTemporal[3] = {128, 64, 32};
  torch::nn::BatchNorm2d bn_input{nullptr}, bn_timbral1{nullptr}, bn_timbral2{nullptr};
  torch::nn::Conv2d timbral1{nullptr}, timbral2{nullptr};
  std::vector<torch::nn::Conv2d> temporal;
  std::vector<torch::nn::BatchNorm2d> bn_temporal;
  std::vector<torch::nn::Conv1d> mid;
  std::vector<torch::nn::BatchNorm1d> bn_mid;
  torch::nn::BatchNorm1d bn_pool{nullptr}, bn_dense{nullptr};
  torch::nn::Linear dense{nullptr}, classifier{nullptr};
};
TORCH_MODULE(EssentiaMusicnn);

Classifier make_essentia_musicnn(const ModelConfig& c) { return EssentiaMusicnn(c).ptr(); }

}  // namespace genre
