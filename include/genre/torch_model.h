// A model file loaded for torch: the network (or XGBoost's trees) with its header. The file format
// itself is torch-free (genre/model_file.h); this is where tensors meet it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "genre/model.h"
#include "genre/model_file.h"
#include "genre/xgboost_model.h"

namespace genre {

struct LoadedModel : ModelHeader {
  Classifier net;                    // a torch model, or
  std::shared_ptr<XgbModel> xgb;     // gradient-boosted trees (arch "xgboost")

  // Class probabilities of n examples into out (n x labels), whichever kind of model this is.
  void probabilities(const float* x, int64_t n, double* out) const;
  // The same as a function that keeps the model alive.
  ProbabilityFn probability_fn() const;

  // Class probabilities of each chunk (count x labels), in evaluation mode, in batches.
  std::vector<std::vector<double>> predict_chunks(const ClipFeatures& f, size_t batch_size = 32) const;
  // The clip's probabilities: the mean over its chunks.
  std::vector<double> predict_clip(const ClipFeatures& f) const;
};

// A network's class probabilities (softmax of its logits, float64) for n examples, in out.
void network_probabilities(ClassifierImpl& net, const float* x, int64_t n, double* out);

// meta must hold at least "labels" and "frontend"; "arch", "model_config" and "parameters" are
// filled in.
void save_model(const std::string& path, ClassifierImpl& net, nlohmann::json meta);
void save_model(const std::string& path, const XgbModel& trees, const ModelConfig& config, nlohmann::json meta);
// Copies the stored tensor `name` of f into target after checking its dtype and shape; throws
// std::runtime_error naming `path` and the tensor. Serves genre's files and pretrained weights alike.
void load_into(torch::Tensor& target, const TensorFile& f, const std::string& name, const std::string& path);

// Throws std::runtime_error naming the file when it is missing, not a genre model, or damaged.
LoadedModel load_model(const std::string& path);

}  // namespace genre
