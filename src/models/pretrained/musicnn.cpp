// musicnn: Pons and Serra's musically motivated tagger as re-implemented in
// minzwon/sota-music-tagging-models (training/model.py Musicnn, dataset != 'msd': 64 back-end
// channels, 200 dense units). Timbral branches (vertical filters 67 x 7 and 38 x 7, max over
// frequency) and temporal branches (mel mean, 1-D filters 129, 65, 33) give 561 channels per frame;
// three residual Conv1d(64) layers; max and mean over time; dense 1506 -> 200 (batch norm, ReLU:
// the embedding) -> 50. It was trained on 3 s windows (188 frames): a longer input is cut into
// whole 188-frame segments (the rest dropped), whose embeddings are averaged.
// musicnn-pool: the same network whose embedding is the pooled mid-level layer instead (the 1506
// values that enter dense1: max and mean over time of the 753 front-end and back-end channels,
// musicnn's "max_pool" and "mean_pool" features), averaged over segments in the same way.
#include "../zoo.h"
#include "blocks.h"
#include "genre/pretrained.h"

namespace genre {
namespace {

// Conv_V: Conv2d(1, cout, (kh, 7), padding (0, 3)) -> BN -> ReLU -> max over frequency.
struct ConvVImpl : torch::nn::Module {
  ConvVImpl(int64_t cout, int64_t kh)
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, cout, {kh, 7}).padding({0, 3})))),
        bn(register_module("bn", torch::nn::BatchNorm2d(cout))) {}
  torch::Tensor forward(torch::Tensor x) { return std::get<0>(pretrained::bn_relu(bn, conv(x)).max(2)); }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvV);

// Conv_H: mean over frequency -> Conv1d(1, cout, k, padding k/2) -> BN -> ReLU.
struct ConvHImpl : torch::nn::Module {
  ConvHImpl(int64_t cout, int64_t k)
      : conv(register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, cout, k).padding(k / 2)))),
        bn(register_module("bn", torch::nn::BatchNorm1d(cout))) {}
  torch::Tensor forward(torch::Tensor x) { return pretrained::bn_relu(bn, conv(x.mean(2))); }
  torch::nn::Conv1d conv;
  torch::nn::BatchNorm1d bn;
};
TORCH_MODULE(ConvH);

// Conv_1d(cin, 64, shape 7, pooling 1): Conv1d -> BN -> ReLU.
struct Conv1dBlockImpl : torch::nn::Module {
  explicit Conv1dBlockImpl(int64_t cin)
      : conv(register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(cin, 64, 7).padding(3)))),
        bn(register_module("bn", torch::nn::BatchNorm1d(64))) {}
  torch::Tensor forward(torch::Tensor x) { return pretrained::bn_relu(bn, conv(x)); }
  torch::nn::Conv1d conv;
  torch::nn::BatchNorm1d bn;
};
TORCH_MODULE(Conv1dBlock);

}  // namespace

struct MusicnnImpl : ClassifierImpl {
  // pooled: the embedding is the pooled layer (musicnn-pool) instead of the penultimate one.
  explicit MusicnnImpl(const ModelConfig& c, bool pooled = false) : ClassifierImpl(c), pooled_(pooled) {
    pretrained::check_input("musicnn", c.input, 0);
    if (c.input.w < kMusicnnFrames)
      throw std::invalid_argument("musicnn needs at least " + std::to_string(kMusicnnFrames) + " frames (3 s)");
    spec_bn = register_module("spec_bn", torch::nn::BatchNorm2d(1));
    layers = register_module("layers", torch::nn::ModuleList());
    layers->push_back(ConvV(204, 67));
    layers->push_back(ConvV(204, 38));
    layers->push_back(ConvH(51, 129));
    layers->push_back(ConvH(51, 65));
    layers->push_back(ConvH(51, 33));
    layer1 = register_module("layer1", Conv1dBlock(561));
    layer2 = register_module("layer2", Conv1dBlock(64));
    layer3 = register_module("layer3", Conv1dBlock(64));
    dense1 = register_module("dense1", torch::nn::Linear(1506, 200));
    bn = register_module("bn", torch::nn::BatchNorm1d(200));
    dropout = register_module("dropout", torch::nn::Dropout(0.5));
    dense2 = register_module("dense2", torch::nn::Linear(200, c.n_classes));
  }
  int64_t embedding_size() const override { return pooled_ ? kPooled : kDense; }

  // One batch of 3 s segments [N, 1, 96, T] -> [N, 1506] (pooled) or [N, 200] (the penultimate layer).
  torch::Tensor embed_segments(torch::Tensor x, bool pooled) {
    x = spec_bn(x);
    std::vector<torch::Tensor> branches;
    for (size_t i = 0; i < layers->size(); ++i) branches.push_back(forward_branch(i, x));
    const torch::Tensor f = torch::cat(branches, 1);  // N x 561 x T
    const torch::Tensor r1 = layer1(f);
    const torch::Tensor r2 = layer2(r1) + r1;
    const torch::Tensor r3 = layer3(r2) + r2;
    const torch::Tensor g = torch::cat({f, r1, r2, r3}, 1);  // N x 753 x T
    const torch::Tensor p = torch::cat({std::get<0>(g.max(2)), g.mean(2)}, 1);
    return pooled ? p : torch::relu(bn(dense1(p)));
  }
  torch::Tensor forward_branch(size_t i, const torch::Tensor& x) {
    if (i < 2) return layers[i]->as<ConvVImpl>()->forward(x);
    return layers[i]->as<ConvHImpl>()->forward(x);
  }
  torch::Tensor embed(torch::Tensor x) override { return embed_layer(x, pooled_); }
  torch::Tensor embed_layer(torch::Tensor x, bool pooled) {
    const int64_t n = x.size(0), t = x.size(3), k = t / kMusicnnFrames, d = pooled ? kPooled : kDense;
    if (k <= 1) return embed_segments(x, pooled);
    // N x 1 x 96 x (k * 188) -> (N k) x 1 x 96 x 188, segment by segment.
    torch::Tensor s = x.narrow(3, 0, k * kMusicnnFrames).reshape({n, 96, k, kMusicnnFrames}).permute({0, 2, 1, 3});
    s = s.reshape({n * k, 1, 96, kMusicnnFrames});
    // At inference, a few segments at a time (blocks.h, segments_at_once(): one in the server): a
    // timbral branch's convolution output is 9 MB a segment, and oneDNN's result is copied once
    // more into a dense tensor (heaptrack: with 3 segments at once these two were 55 MB of a cold
    // predict's 116 MB heap peak).
    const int64_t at_once = pretrained::segments_at_once();
    if (torch::GradMode::is_enabled() || is_training() || n * k <= at_once)
      return embed_segments(s, pooled).reshape({n, k, d}).mean(1);
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < n * k; i += at_once)
      parts.push_back(embed_segments(s.narrow(0, i, std::min(at_once, n * k - i)), pooled));
    return torch::cat(parts, 0).reshape({n, k, d}).mean(1);
  }
  torch::Tensor forward_standardised(torch::Tensor x) override { return dense2(dropout(embed_layer(x, false))); }

  static constexpr int64_t kPooled = 1506, kDense = 200;
  const bool pooled_;

  torch::nn::BatchNorm2d spec_bn{nullptr};
  torch::nn::ModuleList layers{nullptr};
  Conv1dBlock layer1{nullptr}, layer2{nullptr}, layer3{nullptr};
  torch::nn::Linear dense1{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear dense2{nullptr};
};
TORCH_MODULE(Musicnn);

Classifier make_musicnn(const ModelConfig& c) { return Musicnn(c).ptr(); }
Classifier make_musicnn_pool(const ModelConfig& c) { return Musicnn(c, /*pooled=*/true).ptr(); }

}  // namespace genre
