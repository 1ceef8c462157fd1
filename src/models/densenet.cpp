// densenet121 and densenet-small: DenseNet-BC (Huang et al. 2017) with torchvision's structure and
// parameter names: features.conv0/norm0/relu0/pool0, features.denseblockN.denselayerM (norm1,
// relu1, conv1, norm2, relu2, conv2), features.transitionN (norm, relu, conv, pool), features.norm5,
// then ReLU, global average pooling, dropout and `classifier`, so that torchvision's checkpoint
// loads with --pretrained. densenet121: growth rate 32, blocks of 6, 12, 24 and 16 layers, 64
// initial features, bottleneck width 4 x growth, compression 0.5. densenet-small: growth 12, blocks
// of 3, 6, 12 and 8, 24 initial features.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

// BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv; the output is concatenated to the input.
struct DenseLayerImpl : nn::Module {
  DenseLayerImpl(int64_t in, int64_t growth, int64_t bn_size)
      : norm1(register_module("norm1", nn::BatchNorm2d(in))),
        conv1(register_module("conv1", layers::conv(in, bn_size * growth, 1, 1, false))),
        norm2(register_module("norm2", nn::BatchNorm2d(bn_size * growth))),
        conv2(register_module("conv2", layers::conv(bn_size * growth, growth, 3, 1, false))) {}
  torch::Tensor forward(torch::Tensor x) {
    return torch::cat({x, conv2(torch::relu(norm2(conv1(torch::relu(norm1(x))))))}, 1);
  }
  nn::BatchNorm2d norm1;
  nn::Conv2d conv1;
  nn::BatchNorm2d norm2;
  nn::Conv2d conv2;
};
TORCH_MODULE(DenseLayer);

struct DenseNetImpl : ClassifierImpl {
  DenseNetImpl(const ModelConfig& c, int64_t growth, std::vector<int64_t> blocks, int64_t init_features)
      : ClassifierImpl(c) {
    layers::Stack f;
    f->push_back("conv0", layers::conv(c.input.c, init_features, 7, 2, false));
    f->push_back("norm0", nn::BatchNorm2d(init_features));
    f->push_back("relu0", layers::relu());
    f->push_back("pool0", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    int64_t ch = init_features;
    for (size_t b = 0; b < blocks.size(); ++b) {
      layers::Stack block;
      for (int64_t l = 0; l < blocks[b]; ++l) {
        block->push_back("denselayer" + std::to_string(l + 1), DenseLayer(ch, growth, 4));
        ch += growth;
      }
      f->push_back("denseblock" + std::to_string(b + 1), block);
      if (b + 1 < blocks.size()) {
        layers::Stack t;
        t->push_back("norm", nn::BatchNorm2d(ch));
        t->push_back("relu", layers::relu());
        t->push_back("conv", layers::conv(ch, ch / 2, 1, 1, false));
        t->push_back("pool", nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
        f->push_back("transition" + std::to_string(b + 1), t);
        ch /= 2;
      }
    }
    f->push_back("norm5", nn::BatchNorm2d(ch));
    add("features", f);
    add("relu", layers::relu());
    add_head(ch);
  }
};
TORCH_MODULE(DenseNet);

Classifier make_densenet121(const ModelConfig& c) { return DenseNet(c, 32, std::vector<int64_t>{6, 12, 24, 16}, 64).ptr(); }
Classifier make_densenet_small(const ModelConfig& c) { return DenseNet(c, 12, std::vector<int64_t>{3, 6, 12, 8}, 24).ptr(); }

}  // namespace genre
