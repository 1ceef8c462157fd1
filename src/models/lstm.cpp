// lstm: a recurrent net on MFCC sequences (the reference "LSTM on MFCC"): the input's time axis is
// the sequence and its H values (the coefficients) the features, each normalised by batch norm
// (the model's input standardisation is per channel, and MFCC 0 is on another scale than the
// rest); two LSTM layers of 512 and 256 units, the last time step, dense layers of 128 and 64
// units, the classifier.
#include "genre/model.h"
#include "layers.h"
#include "zoo.h"

namespace genre {

namespace nn = torch::nn;

// N x C x H x W -> N x (C*H) x W, batch norm per feature -> sequence N x W x (C*H) -> LSTM(512)
// -> LSTM(256) -> last step N x 256.
struct LstmStageImpl : nn::Module {
  nn::BatchNorm1d norm{nullptr};
  nn::LSTM first{nullptr}, second{nullptr};
  LstmStageImpl(int64_t features) {
    norm = register_module("norm", nn::BatchNorm1d(features));
    first = register_module("lstm1", nn::LSTM(nn::LSTMOptions(features, 512).batch_first(true)));
    second = register_module("lstm2", nn::LSTM(nn::LSTMOptions(512, 256).batch_first(true)));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = norm->forward(x.flatten(1, 2)).transpose(1, 2).contiguous();  // N x W x (C*H)
    x = std::get<0>(first->forward(x));
    x = std::get<0>(second->forward(x));
    return x.select(1, x.size(1) - 1);
  }
};
TORCH_MODULE(LstmStage);

struct LstmImpl : ClassifierImpl {
  explicit LstmImpl(const ModelConfig& c) : ClassifierImpl(c) {
    add("lstm", LstmStage(c.input.c * c.input.h));
    add("dense1", nn::Linear(256, 128));
    add("relu1", layers::relu());
    add("dropout", layers::dropout(c.dropout));
    add("dense2", nn::Linear(128, 64));
    add("relu2", layers::relu());
    add("classifier", nn::Linear(64, c.n_classes));
  }
};
TORCH_MODULE(Lstm);

Classifier make_lstm(const ModelConfig& c) { return Lstm(c).ptr(); }

}  // namespace genre
