// band-logreg, band-mlp: two heads of one kind on a transfer model's embedding, one for full-band
// input ("wide") and one for narrowband input ("narrow": an 8 kHz recording, or a training copy
// band-limited to 4 kHz). The embedding's last value is the `bandwidth` detector's flag
// (src/models/pretrained/bandwidth.cpp); each example goes to the head of its flag, so each head
// trains on, and classifies, only inputs of its own bandwidth. One head for both has to give an
// 8 kHz copy the original's genre and so learns to ignore what lies above 4 kHz even in full-band
// input; two heads need not (README, "Band-routed heads").
#include <stdexcept>

#include "genre/model.h"
#include "zoo.h"

namespace genre {

struct BandRoutedImpl : ClassifierImpl {
  BandRoutedImpl(const ModelConfig& c, const std::string& kind) : ClassifierImpl(c) {
    if (c.input.size() < 2)
      throw std::invalid_argument(c.arch + " takes an embedding whose last value is the bandwidth flag (at least 2 values)");
    ModelConfig sub = c;
    sub.arch = kind;
    sub.input = {c.input.size() - 1, 1, 1};
    wide = register_module("wide", create_model(sub));
    narrow = register_module("narrow", create_model(sub));
  }
  // x: N x E x 1 x 1 (or any shape, flattened), standardised: the flag is standardised too, and
  // since a 0/1 flag's mean lies between its values, a narrowband example's is the positive one.
  torch::Tensor forward_standardised(torch::Tensor x) override {
    const torch::Tensor flat = x.reshape({x.size(0), -1});
    const int64_t e = flat.size(1) - 1;
    const torch::Tensor features = flat.narrow(1, 0, e).reshape({x.size(0), e, 1, 1});
    const torch::Tensor is_narrow = flat.narrow(1, e, 1) > 0;
    return torch::where(is_narrow, narrow->forward(features), wide->forward(features));
  }

  std::shared_ptr<ClassifierImpl> wide, narrow;
};

Classifier make_band_logreg(const ModelConfig& c) { return std::make_shared<BandRoutedImpl>(c, "logreg"); }
Classifier make_band_mlp(const ModelConfig& c) { return std::make_shared<BandRoutedImpl>(c, "mlp"); }

}  // namespace genre
