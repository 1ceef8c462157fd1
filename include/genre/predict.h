// Classifying audio with a trained model: any format, any length. Files are streamed window by
// window (the model's chunk length and hop, 4 s every 2 s by default), so memory does not grow with
// the file; the clip's probabilities are the mean over windows, and the per-window probabilities
// form the timeline. Shared by `genre predict` and `genre serve`. Torch-free: the model is a
// ProbabilityFn (genre/model_file.h), run by torch, XGBoost or genre's own code.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "genre/audio.h"
#include "genre/model_file.h"

namespace genre {

struct Prediction {
  std::string source;
  double duration = 0;                 // seconds of audio decoded
  std::vector<double> probabilities;   // per label, mean over windows
  struct Window {
    double start = 0, end = 0;
    std::vector<double> probabilities;
  };
  std::vector<Window> timeline;        // filled when asked for
  std::string error;                   // non-empty: the file could not be classified
  bool unreadable = false;             // with an error: nothing could be decoded at all
};

class Predictor {
 public:
  // probabilities may block on its first call (a model still loading in the background).
  Predictor(ModelHeader model, ProbabilityFn probabilities);
  // An ensemble (genre/ensemble.h): the weighted mean of its members' clip probabilities, each
  // member decoding the input at its own rate through its own front end. Duration and timeline
  // are the first member's. The members must have the ensemble's labels (std::runtime_error).
  Predictor(ModelHeader ensemble, std::vector<Predictor> members, std::vector<double> weights);
  const ModelHeader& model() const { return model_; }
  const std::vector<std::string>& labels() const { return model_.labels; }

  // Never throws for bad input: the error is in Prediction::error (naming the source). Throws
  // ModelError when the model's probabilities do (weights that failed to load).
  Prediction predict_file(const std::string& path, bool timeline = false) const;
  // tap, if given, sees every decoded sample (ChunkReader::set_tap).
  // limits bound what the upload may be (genre serve's --max-duration).
  Prediction predict_memory(const void* data, size_t size, const std::string& name, bool timeline = false,
                            const ChunkReader::SampleTap& tap = {}, const AudioLimits& limits = {}) const;

  // The JSON of `genre predict --format json|jsonl` and of the server's /api/classify. A tagger's
  // (sigmoid output) entries say "tag" where a genre model's say "genre".
  nlohmann::json to_json(const Prediction& p, size_t top_k = 3, bool timeline = false) const;
  // A short description for /api/model and --help.
  nlohmann::json describe() const;

 private:
  Prediction run(std::unique_ptr<AudioStream> stream, const std::string& source, bool timeline,
                 const ChunkReader::SampleTap& tap = {}) const;
  template <class RunMember>
  Prediction combine(RunMember run_member) const;
  ModelHeader model_;
  ProbabilityFn probabilities_;
  FrontEnd frontend_;
  std::vector<Predictor> members_;  // an ensemble's; empty otherwise
  std::vector<double> weights_;
};

// Where the bundled model is: $GENRE_MODEL, then models/genre-default.genre beside or above the
// executable's folder, then in the source tree genre was built from. Empty if none exists.
std::string default_model_path(const std::string& file = "genre-default.genre");
// The bundled tagger (genre tag): models/genre-tagger.genre, found the same way ($GENRE_TAGGER first).
std::string default_tagger_path();

}  // namespace genre
