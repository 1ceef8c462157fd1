// The commands and models that need libtorch live in a plugin, libgenre_torch.so, loaded with
// dlopen only when they are used. Loading libtorch costs about 0.4 s of static initialisation on
// this machine, so `genre predict`, `genre serve` and `genre features` never pay it for a model
// that genre runs itself (genre/model_file.h: native_probabilities), and pay it on a background
// thread, while the audio decodes, for one that needs torch.
#pragma once

#include <string>

#include "genre/model_file.h"
#include "genre/predict.h"

namespace CLI {
class App;
}

namespace genre::cli {

// What the plugin exports, as `extern "C" const TorchPlugin* genre_torch_plugin()`.
struct TorchPlugin {
  // Adds train, augment-preview, evaluate, models and summary.
  void (*register_commands)(CLI::App& app);
  // Loads a model file for torch or XGBoost (threads > 0 sets torch's thread count). Throws
  // std::runtime_error naming the file.
  ProbabilityFn (*load_probabilities)(const std::string& path, int threads);
  // The exit status its commands set.
  const int* exit_status;
};

// Loads the plugin once: $GENRE_TORCH_PLUGIN, then libgenre_torch.so beside the executable, then
// ../lib/genre/ from it, after the torch-unused placeholders beside it (torch_plugin.cpp). Throws
// std::runtime_error saying what failed.
const TorchPlugin& torch_plugin();

// A Predictor for a model file: genre's own code where the architecture allows, otherwise the
// plugin, loading on a background thread (the first classification waits for it) when background
// is set. Errors in the header throw here; errors in the weights of a model loading in the
// background are thrown by its classifications, as ModelError.
Predictor open_predictor(const std::string& path, int threads, bool background);

}  // namespace genre::cli
