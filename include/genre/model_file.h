// The self-describing model file, readable without torch. Its layout is safetensors' (an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then
// the raw little-endian bytes), with genre's own JSON in the header's "__metadata__" under "genre":
// architecture and its hyper-parameters, front-end parameters, label names, split, validation
// metrics, training settings and time. Nothing in it is executable (no pickle), and the header can
// be read without the weights, so `genre predict` knows the front end before libtorch has loaded.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "genre/frontend.h"

namespace genre {

// The architecture of a network as the model zoo builds it (genre/model.h).
struct ModelConfig {
  std::string arch;
  Shape input;            // C x H x W of one example
  int64_t n_classes = 10;
  double dropout = 0.3;
  // "softmax": one genre per input (class probabilities); "sigmoid": independent tags (taggers).
  std::string output = "softmax";
  // arch "transfer": the pretrained backbones (their architectures, e.g. fcn, crnn, musicnn),
  // whose embeddings are concatenated, and the head's architecture (logreg, mlp).
  std::vector<std::string> backbones;
  std::string head;
};

// probabilities(x, n, out): n examples (n x C x H x W floats) -> out, n x labels class
// probabilities (float64, row-major). However the model is run: torch, XGBoost or genre's own code.
using ProbabilityFn = std::function<void(const float* x, int64_t n, double* out)>;

nlohmann::json to_json(const FrontEndParams& p);
FrontEndParams frontend_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ModelConfig& c);
ModelConfig model_config_from_json(const nlohmann::json& j);

// Everything in a model file except its weights.
struct ModelHeader {
  std::string path;
  nlohmann::json meta;
  ModelConfig config;
  FrontEndParams frontend;
  std::vector<std::string> labels;
  int64_t parameters = 0;  // trainable parameters; trees: the number of boosting rounds
};

// One tensor of a file: dtype as safetensors names it (F32, F64, I64, U8, BOOL), shape, raw bytes.
struct StoredTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  int64_t numel() const;
};

struct TensorFile {
  nlohmann::json meta;  // genre's metadata
  std::map<std::string, StoredTensor> tensors;
};

constexpr int kModelFormatVersion = 2;

// The model itself cannot be used (its weights failed to load), so no input can be classified:
// callers stop instead of reporting it once per input.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes atomically (a temporary file, then a rename). meta must hold "labels", "frontend",
// "model_config" and "parameters"; the format keys are added.
void write_model_file(const std::string& path, TensorFile file);
// Both throw std::runtime_error naming the file: missing, not a genre model, or damaged.
TensorFile read_model_file(const std::string& path);
ModelHeader read_model_header(const std::string& path);  // reads only the header
// Any safetensors file (genre_model false: no genre metadata needed, meta left empty), e.g. the
// pretrained weights of genre/pretrained.h.
TensorFile read_safetensors(const std::string& path, bool genre_model = false);
ModelHeader model_header(const nlohmann::json& meta, const std::string& path);

// Whether genre runs this model without torch: multinomial logistic regression (standardise, one
// linear layer, softmax). Other architectures need torch (genre/torch_model.h).
bool runs_without_torch(const ModelHeader& header);
// That model's probabilities; throws std::invalid_argument for any other architecture.
ProbabilityFn native_probabilities(const TensorFile& file, const ModelHeader& header);

}  // namespace genre
