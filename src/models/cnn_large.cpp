// cnn-large: about 14 million parameters: five VGG-style blocks of two 3x3 conv layers with batch
// norm (64, 128, 256, 512, 512 channels), adaptive pooling to 2x2, a dense layer of 2048 units.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct CnnLargeImpl : ClassifierImpl {
  explicit CnnLargeImpl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    int64_t in = c.input.c;
    int b = 1;
    for (int64_t out : {64, 128, 256, 512, 512}) {
      layers::Stack block = conv_block(in, out, true);
      block->extend(*conv_block(out, out, true));
      block->push_back(max_pool());
      add("block" + std::to_string(b++), block);
      in = out;
    }
    add("pool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({2, 2})));
    add_head(512 * 4, 2048, false);
  }
};
TORCH_MODULE(CnnLarge);

Classifier make_cnn_large(const ModelConfig& c) { return CnnLarge(c).ptr(); }

}  // namespace genre
