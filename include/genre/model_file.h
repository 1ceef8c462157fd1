// The self-describing model file: one torch archive holding the network's parameters and buffers
// and a JSON header with everything needed to use it (architecture and its hyper-parameters,
// front-end parameters, label names, split, validation metrics, training settings and time).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "genre/frontend.h"
#include "genre/model.h"
#include "genre/xgboost_model.h"

namespace genre {

nlohmann::json to_json(const FrontEndParams& p);
FrontEndParams frontend_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ModelConfig& c);
ModelConfig model_config_from_json(const nlohmann::json& j);

struct LoadedModel {
  nlohmann::json meta;
  ModelConfig config;
  FrontEndParams frontend;
  std::vector<std::string> labels;
  Classifier net;                    // a torch model, or
  std::shared_ptr<XgbModel> xgb;     // gradient-boosted trees (arch "xgboost")
  std::string path;

  // Class probabilities of n examples (n x labels, float64), whichever kind of model this is.
  torch::Tensor probabilities(const float* x, int64_t n) const;
  int64_t parameters() const;  // trainable parameters; trees: the number of boosting rounds

  // Class probabilities of each chunk (count x labels), in evaluation mode, in batches.
  std::vector<std::vector<double>> predict_chunks(const ClipFeatures& f, size_t batch_size = 32) const;
  // The clip's probabilities: the mean over its chunks.
  std::vector<double> predict_clip(const ClipFeatures& f) const;
};

// meta must hold at least "labels" and "frontend"; "arch" and "model_config" are filled in.
void save_model(const std::string& path, ClassifierImpl& net, nlohmann::json meta);
void save_model(const std::string& path, const XgbModel& trees, const ModelConfig& config, nlohmann::json meta);
// Throws std::runtime_error naming the file when it is missing, not a genre model, or damaged.
LoadedModel load_model(const std::string& path);

}  // namespace genre
