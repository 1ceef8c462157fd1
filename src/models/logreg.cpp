// logreg: multinomial logistic regression on the (standardised) flattened input.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

struct LogRegImpl : ClassifierImpl {
  explicit LogRegImpl(const ModelConfig& c) : ClassifierImpl(c) {
    add("flatten", layers::flatten());
    add("classifier", torch::nn::Linear(c.input.size(), c.n_classes));
  }
};
TORCH_MODULE(LogReg);

Classifier make_logreg(const ModelConfig& c) { return LogReg(c).ptr(); }

}  // namespace genre
