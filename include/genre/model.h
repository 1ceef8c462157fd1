// The model zoo: every architecture is a ClassifierImpl subclass in its own file under
// src/models/, registered by name in src/models/registry.cpp. A classifier is a sequence of
// named stages, so that one forward() serves all of them and `genre summary` can show every
// stage's output shape; inputs are standardised per channel inside the model, so that a saved
// model needs nothing but raw front-end features.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "genre/frontend.h"
#include "genre/model_file.h"  // ModelConfig

namespace genre {

class ClassifierImpl : public torch::nn::Module {
 public:
  explicit ClassifierImpl(const ModelConfig& cfg);
  virtual ~ClassifierImpl() = default;
  // Raw features (N x C x H x W) -> logits (N x n_classes).
  torch::Tensor forward(torch::Tensor x);
  // Raw features -> the penultimate layer (N x embedding_size()): the input of the last linear
  // layer. Architectures that have one override embed(); the others throw std::logic_error.
  torch::Tensor embedding(torch::Tensor x);
  virtual int64_t embedding_size() const { return 0; }
  // Per-channel statistics of the training data, applied to every input.
  void set_input_stats(const torch::Tensor& mean, const torch::Tensor& std);
  const ModelConfig& config() const { return cfg_; }
  struct Stage {
    std::string name;
    torch::nn::AnyModule module;
  };
  std::vector<Stage>& stages() { return stages_; }

 protected:
  template <class M>
  void add(const std::string& name, M module) {
    stages_.push_back({name, torch::nn::AnyModule(register_module(name, module))});
  }
  // Standardised features -> logits: the stages in order, unless an architecture overrides it.
  virtual torch::Tensor forward_standardised(torch::Tensor x);
  virtual torch::Tensor embed(torch::Tensor x);
  // The usual head: [global average pooling], flatten, [dense `hidden` + ReLU], dropout, classifier.
  void add_head(int64_t features, int64_t hidden = 0, bool global_pool = true);
  ModelConfig cfg_;

 private:
  std::vector<Stage> stages_;
  torch::Tensor mean_, std_;
};

using Classifier = std::shared_ptr<ClassifierImpl>;

struct ModelInfo {
  std::string name;
  std::string description;
  std::vector<InputKind> inputs;  // front ends it suits (the first is its default)
  std::function<Classifier(const ModelConfig&)> make;
  std::function<FrontEndParams()> frontend = {};  // its own front end, if not the default one
};

const std::vector<ModelInfo>& model_registry();
const ModelInfo& find_model(const std::string& name);  // throws std::invalid_argument listing the names
Classifier create_model(const ModelConfig& cfg);

int64_t count_parameters(const torch::nn::Module& m, bool trainable = true);
// Layers (stages), output shapes, trainable and non-trainable parameters, for an input of cfg.input.
std::string model_summary(ClassifierImpl& model);

}  // namespace genre
