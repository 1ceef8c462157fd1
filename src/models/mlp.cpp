// mlp: the flattened spectrogram (or feature row) through dense layers of 128 and 64 units.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct MlpImpl : ClassifierImpl {
  explicit MlpImpl(const ModelConfig& c) : ClassifierImpl(c) {
    using namespace layers;
    add("flatten", flatten());
    add("dense1", nn::Linear(c.input.size(), 128));
    add("relu1", relu());
    add("dropout1", dropout(c.dropout));
    add("dense2", nn::Linear(128, 64));
    add("relu2", relu());
    add("dropout2", dropout(c.dropout));
    add("classifier", nn::Linear(64, c.n_classes));
  }
};
TORCH_MODULE(Mlp);

Classifier make_mlp(const ModelConfig& c) { return Mlp(c).ptr(); }

}  // namespace genre
