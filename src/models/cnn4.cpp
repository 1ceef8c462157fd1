// cnn4 / cnn4-bn: four 3x3 conv layers of 32, 64, 128 and 256 channels, max-pooling after the 2nd
// and the 4th, then global average pooling and a linear classifier; cnn4-bn adds batch norm.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct Cnn4Impl : ClassifierImpl {
  Cnn4Impl(const ModelConfig& c, bool batch_norm) : ClassifierImpl(c) {
    using namespace layers;
    add("conv1", conv_block(c.input.c, 32, batch_norm));
    add("conv2", conv_block(32, 64, batch_norm));
    add("pool2", max_pool());
    add("conv3", conv_block(64, 128, batch_norm));
    add("conv4", conv_block(128, 256, batch_norm));
    add("pool4", max_pool());
    add_head(256);
  }
};
TORCH_MODULE(Cnn4);

Classifier make_cnn4(const ModelConfig& c) { return Cnn4(c, false).ptr(); }
Classifier make_cnn4_bn(const ModelConfig& c) { return Cnn4(c, true).ptr(); }

}  // namespace genre
