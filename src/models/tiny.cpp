// tiny: about 11 thousand parameters (for 1-channel input): four small conv blocks of 8, 16, 32
// and 16 channels with batch norm and pooling, global average pooling and the classifier.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct TinyImpl : ClassifierImpl {
  explicit TinyImpl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    int64_t in = c.input.c;
    int b = 1;
    for (int64_t out : {8, 16, 32, 16}) {
      layers::Stack block = conv_block(in, out, true);
      block->push_back(max_pool());
      add("block" + std::to_string(b++), block);
      in = out;
    }
    add_head(16);
  }
};
TORCH_MODULE(Tiny);

Classifier make_tiny(const ModelConfig& c) { return Tiny(c).ptr(); }

}  // namespace genre
