// cnn3: three blocks of 3x3 conv, batch norm, ReLU, 2x2 max-pool and dropout (32, 64, 128
// channels), global average pooling, a dense layer of 64 units and the classifier: the
// "3-block CNN" of the reference projects.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct Cnn3Impl : ClassifierImpl {
  explicit Cnn3Impl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    int64_t in = c.input.c;
    int b = 1;
    for (int64_t out : {32, 64, 128}) {
      layers::Stack block = conv_block(in, out, true);
      block->push_back(max_pool());
      block->push_back(dropout(c.dropout / 2));
      add("block" + std::to_string(b++), block);
      in = out;
    }
    add_head(128, 64);
  }
};
TORCH_MODULE(Cnn3);

Classifier make_cnn3(const ModelConfig& c) { return Cnn3(c).ptr(); }

}  // namespace genre
