// transfer: pretrained backbones (fcn, crnn, musicnn: ModelConfig::backbones), whose penultimate
// embeddings are concatenated, under a genre head (ModelConfig::head: logreg or mlp) that sees
// them as an E x 1 x 1 input and standardises them itself. The backbones are frozen: `genre train
// --backbone` trains the head on their cached embeddings.
#include <numeric>

#include "../zoo.h"
#include "genre/pretrained.h"

namespace genre {

struct TransferImpl : ClassifierImpl {
  explicit TransferImpl(const ModelConfig& c) : ClassifierImpl(c) {
    if (c.backbones.empty()) throw std::invalid_argument("transfer: no backbone");
    backbones = register_module("backbones", torch::nn::ModuleList());
    for (const auto& arch : c.backbones) {
      ModelConfig bc{arch, c.input, 50, 0.5, "sigmoid", {}, ""};
      Classifier b = create_model(bc);
      if (b->embedding_size() <= 0) throw std::invalid_argument("transfer: '" + arch + "' has no embedding layer");
      size_ += b->embedding_size();
      backbones->push_back(b);
      nets_.push_back(b);
    }
    if (!c.head.empty()) head = register_module("head", create_model({c.head, {size_, 1, 1}, c.n_classes, c.dropout, "softmax", {}, ""}));
  }
  int64_t embedding_size() const override { return size_; }
  torch::Tensor embed(torch::Tensor x) override {
    std::vector<torch::Tensor> parts;
    for (auto& b : nets_) parts.push_back(b->embedding(x));
    return parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
  }
  torch::Tensor forward_standardised(torch::Tensor x) override {
    if (!head) throw std::logic_error("transfer: a backbone without a head has no logits");
    const torch::Tensor e = embed(x);
    return head->forward(e.reshape({e.size(0), size_, 1, 1}));
  }

  torch::nn::ModuleList backbones{nullptr};
  Classifier head{nullptr};
  std::vector<Classifier> nets_;
  int64_t size_ = 0;
};
TORCH_MODULE(Transfer);

Classifier make_transfer_model(const ModelConfig& c) { return Transfer(c).ptr(); }

}  // namespace genre
