// vgg16: VGG-16's thirteen 3x3 conv layers (configuration D, Simonyan & Zisserman 2015) as
// torchvision's `features` (the same indices: features.0, .2, .5, ... .28), so that torchvision's
// checkpoint loads with --pretrained; then global average pooling and a small classifier (dense 256,
// `classifier`) in place of torchvision's 7 x 7 x 512 -> 4096 -> 4096 layers, so that it fits
// spectrogram inputs of any size. Those dense layers of a checkpoint are not used.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct Vgg16Impl : ClassifierImpl {
  explicit Vgg16Impl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    const std::vector<std::vector<int64_t>> blocks = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
    int64_t in = c.input.c;
    layers::Stack features;
    for (const auto& widths : blocks) {
      for (int64_t out : widths) {
        features->extend(*conv_block(in, out, false));  // conv (He initialisation), ReLU
        in = out;
      }
      features->push_back(max_pool());
    }
    add("features", features);
    add_head(512, 256);
  }
};
TORCH_MODULE(Vgg16);

Classifier make_vgg16(const ModelConfig& c) { return Vgg16(c).ptr(); }

}  // namespace genre
