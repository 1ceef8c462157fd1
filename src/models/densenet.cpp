// densenet121 and densenet-small: DenseNet-BC (Huang et al. 2017; torchvision's layout).
// densenet121: growth rate 32, blocks of 6, 12, 24 and 16 layers, 64 initial features, bottleneck
// width 4 x growth, compression 0.5. densenet-small: growth 12, blocks of 3, 6, 12 and 8, 24
// initial features.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

// BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv; the output is concatenated to the input.
struct DenseLayerImpl : nn::Module {
  layers::Stack body{nullptr};
  DenseLayerImpl(int64_t in, int64_t growth, int64_t bn_size) {
    body = register_module("body", layers::Stack(nn::BatchNorm2d(in), layers::relu(),
                                                  layers::conv(in, bn_size * growth, 1, 1, false),
                                                  nn::BatchNorm2d(bn_size * growth), layers::relu(),
                                                  layers::conv(bn_size * growth, growth, 3, 1, false)));
  }
  torch::Tensor forward(torch::Tensor x) { return torch::cat({x, body->forward(x)}, 1); }
};
TORCH_MODULE(DenseLayer);

// BN-ReLU-1x1 conv to compress the channels, then 2x2 average pooling.
layers::Stack transition(int64_t in, int64_t out) {
  return layers::Stack(nn::BatchNorm2d(in), layers::relu(), layers::conv(in, out, 1, 1, false),
                        nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
}

struct DenseNetImpl : ClassifierImpl {
  DenseNetImpl(const ModelConfig& c, int64_t growth, std::vector<int64_t> blocks, int64_t init_features)
      : ClassifierImpl(c) {
    add("stem", layers::Stack(layers::conv(c.input.c, init_features, 7, 2, false), nn::BatchNorm2d(init_features),
                               layers::relu(), nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1))));
    int64_t ch = init_features;
    for (size_t b = 0; b < blocks.size(); ++b) {
      layers::Stack block;
      for (int64_t l = 0; l < blocks[b]; ++l) {
        block->push_back(DenseLayer(ch, growth, 4));
        ch += growth;
      }
      add("denseblock" + std::to_string(b + 1), block);
      if (b + 1 < blocks.size()) {
        add("transition" + std::to_string(b + 1), transition(ch, ch / 2));
        ch /= 2;
      }
    }
    add("norm", layers::Stack(nn::BatchNorm2d(ch), layers::relu()));
    add_head(ch);
  }
};
TORCH_MODULE(DenseNet);

Classifier make_densenet121(const ModelConfig& c) { return DenseNet(c, 32, std::vector<int64_t>{6, 12, 24, 16}, 64).ptr(); }
Classifier make_densenet_small(const ModelConfig& c) { return DenseNet(c, 12, std::vector<int64_t>{3, 6, 12, 8}, 24).ptr(); }

}  // namespace genre
