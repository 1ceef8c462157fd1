// vgg16: VGG-16's thirteen 3x3 conv layers (configuration D, Simonyan & Zisserman 2015), with
// global average pooling and a small classifier in place of the 4096-unit dense layers, so that it
// fits spectrogram inputs of any size (for transfer learning later).
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct Vgg16Impl : ClassifierImpl {
  explicit Vgg16Impl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    const std::vector<std::vector<int64_t>> blocks = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
    int64_t in = c.input.c;
    int b = 1;
    for (const auto& widths : blocks) {
      layers::Stack block;
      for (int64_t out : widths) {
        block->extend(*conv_block(in, out, false));
        in = out;
      }
      block->push_back(max_pool());
      add("block" + std::to_string(b++), block);
    }
    add_head(512, 256);
  }
};
TORCH_MODULE(Vgg16);

Classifier make_vgg16(const ModelConfig& c) { return Vgg16(c).ptr(); }

}  // namespace genre
