#include "genre/predict.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "genre/files.h"
#include "genre/gtzan_features.h"
#include "genre/model_file.h"
#include "genre/runtime.h"
#include "genre/version.h"

namespace fs = std::filesystem;

namespace genre {

Predictor::Predictor(ModelHeader model, ProbabilityFn probabilities)
    : model_(std::move(model)), probabilities_(std::move(probabilities)), frontend_(model_.frontend) {
  if (model_.frontend.input == InputKind::Image)
    throw std::runtime_error(model_.path + ": this model classifies spectrogram images, not audio");
  if (model_.frontend.input == InputKind::Table && model_.meta.contains("table_columns") &&
      model_.meta["table_columns"].get<std::vector<std::string>>() != gtzan_feature_names())
    throw std::runtime_error(model_.path + ": this table model's columns are not the 57 GTZAN features, so it cannot be applied to audio");
}

Predictor::Predictor(ModelHeader ensemble, std::vector<Predictor> members, std::vector<double> weights)
    : Predictor(std::move(ensemble), ProbabilityFn{}) {
  if (members.empty() || members.size() != weights.size())
    throw std::invalid_argument(model_.path + ": an ensemble needs one weight per member");
  for (const auto& m : members)
    if (m.labels() != model_.labels)
      throw std::runtime_error(model_.path + ": its member " + m.model().path + " has other labels than the ensemble");
  members_ = std::move(members);
  weights_ = std::move(weights);
}

// Each member classifies the input on its own; the first error (naming the source) is the answer.
// Members that run without torch go first: in a cold `genre predict` they then run while
// libtorch is still loading for the others (open_predictor loads it in the background). The sum
// is taken in the ensemble's order all the same.
template <class RunMember>
Prediction Predictor::combine(RunMember run_member) const {
  std::vector<size_t> order(members_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_partition(order.begin(), order.end(), [&](size_t i) { return runs_without_torch(members_[i].model()); });
  std::vector<Prediction> results(members_.size());
  for (size_t i : order) {
    results[i] = run_member(members_[i], i == 0);
    if (!results[i].error.empty()) return std::move(results[i]);
  }
  Prediction out = std::move(results[0]);
  for (double& v : out.probabilities) v *= weights_[0];
  for (size_t i = 1; i < members_.size(); ++i)
    for (size_t c = 0; c < out.probabilities.size(); ++c) out.probabilities[c] += weights_[i] * results[i].probabilities[c];
  return out;
}

namespace {
// Runs one classification: bad input becomes Prediction::error (naming the source); a model that
// cannot run at all (ModelError) propagates, as it would fail every input.
template <class Classify>
Prediction guarded(const std::string& source, Classify classify) {
  try {
    return classify();
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    Prediction p;
    p.source = source;
    p.error = error_naming(source, e);  // std::bad_alloc, say, would not name the file
    const auto* audio = dynamic_cast<const AudioError*>(&e);
    p.unreadable = audio && audio->kind() == AudioError::Kind::Unreadable;
    return p;
  }
}
}  // namespace

Prediction Predictor::predict_file(const std::string& path, bool timeline) const {
  if (!members_.empty())
    return combine([&](const Predictor& m, bool first) { return m.predict_file(path, timeline && first); });
  return guarded(path, [&] {
    return run(std::make_unique<AudioStream>(path, model_.frontend.sample_rate), path, timeline);
  });
}

Prediction Predictor::predict_memory(const void* data, size_t size, const std::string& name, bool timeline,
                                     const ChunkReader::SampleTap& tap, const AudioLimits& limits) const {
  if (!members_.empty()) {
    // The first member's decoded samples go to the tap; the others call it with none, so that it
    // can still cancel them (genre serve's time bound and shutdown).
    const ChunkReader::SampleTap quiet = [&tap](const float* x, size_t) {
      if (tap) tap(x, 0);
    };
    return combine([&](const Predictor& m, bool first) {
      return m.predict_memory(data, size, name, timeline && first, first ? tap : quiet, limits);
    });
  }
  return guarded(name, [&] {
    return run(std::make_unique<AudioStream>(data, size, model_.frontend.sample_rate, name, limits), name, timeline, tap);
  });
}

Prediction Predictor::run(std::unique_ptr<AudioStream> stream, const std::string& source, bool timeline,
                          const ChunkReader::SampleTap& tap) const {
  const auto& fp = model_.frontend;
  ChunkParams cp;
  cp.chunk_seconds = fp.chunk_seconds;
  cp.hop_seconds = fp.chunk_hop;
  cp.loop_short = fp.loop_short;
  ChunkReader reader(std::move(stream), cp);
  reader.set_tap(tap);
  const Shape shape = frontend_.shape();
  // Windows go to the model in batches of up to 8, but of at most 2^16 input floats: a network's
  // activations grow with its input, and 8 of the pretrained taggers' 29 s windows at once took
  // 2.3 GB (a two-hour file); one at a time they stay near one window's. At 2^18 floats, cnn-large
  // took 8 mel windows at once and `genre serve` peaked at 519 MB; at 2^16 it takes 3.
  const size_t k = model_.labels.size();
  const size_t batch_max = std::clamp<size_t>((size_t(1) << 16) / size_t(std::max<int64_t>(1, shape.size())), 1, 8);
  Prediction pred;
  pred.source = source;
  pred.probabilities.assign(k, 0.0);
  std::vector<float> chunk, batch;
  std::vector<double> starts, probs;
  size_t windows = 0;
  double audio_end = 0;
  auto flush = [&] {
    if (starts.empty()) return;
    const int64_t n = int64_t(starts.size());
    probs.resize(size_t(n) * k);
    probabilities_(batch.data(), n, probs.data());
    const double* d = probs.data();
    for (int64_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < k; ++c) pred.probabilities[c] += d[i * int64_t(k) + int64_t(c)];
      if (timeline)
        pred.timeline.push_back({starts[size_t(i)], std::min(starts[size_t(i)] + fp.chunk_seconds, audio_end),
                                 std::vector<double>(d + i * int64_t(k), d + (i + 1) * int64_t(k))});
    }
    windows += size_t(n);
    starts.clear();
    batch.clear();
  };
  double start = 0;
  size_t valid = 0;
  while (reader.next(chunk, &start, &valid)) {
    audio_end = std::max(audio_end, start + double(valid) / fp.sample_rate);
    batch.resize(batch.size() + size_t(shape.size()));
    float* out = batch.data() + batch.size() - size_t(shape.size());
    frontend_.chunk(chunk, out, valid);
    starts.push_back(start);
    if (starts.size() == batch_max) flush();
  }
  flush();
  if (windows == 0) throw AudioError(source, "no audio to classify");
  for (double& v : pred.probabilities) {
    v /= double(windows);
    // The audio was checked; a model that still gives NaN is not to be reported as a genre.
    if (!std::isfinite(v)) throw std::runtime_error(source + ": the model gave non-finite probabilities");
  }
  pred.duration = double(reader.samples_read()) / fp.sample_rate;  // windows may leave a tail out
  return pred;
}

nlohmann::json Predictor::to_json(const Prediction& p, size_t top_k, bool timeline) const {
  const char* key = model_.config.output == "sigmoid" ? "tag" : "genre";
  nlohmann::json j = {{"file", p.source}};
  if (!p.error.empty()) {
    j["error"] = p.error;
    return j;
  }
  std::vector<size_t> order(p.probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.probabilities[a] > p.probabilities[b]; });
  nlohmann::json top = nlohmann::json::array();
  for (size_t i = 0; i < std::min(top_k, order.size()); ++i)
    top.push_back({{key, model_.labels[order[i]]}, {"probability", p.probabilities[order[i]]}});
  nlohmann::json all = nlohmann::json::object();
  for (size_t c = 0; c < p.probabilities.size(); ++c) all[model_.labels[c]] = p.probabilities[c];
  j["duration"] = p.duration;
  j[key] = model_.labels[order.front()];
  j["top"] = top;
  j["probabilities"] = all;
  if (timeline) {
    nlohmann::json tl = nlohmann::json::array();
    for (const auto& w : p.timeline) {
      const size_t best = size_t(std::max_element(w.probabilities.begin(), w.probabilities.end()) - w.probabilities.begin());
      tl.push_back({{"start", w.start}, {"end", w.end}, {key, model_.labels[best]},
                    {"probability", w.probabilities[best]}, {"probabilities", w.probabilities}});
    }
    j["timeline"] = tl;
  }
  return j;
}

nlohmann::json Predictor::describe() const {
  nlohmann::json j = {{"path", model_.path},
                      {"arch", model_.config.arch},
                      {"input", input_name(model_.frontend.input)},
                      {"labels", model_.labels},
                      {"frontend", model_.meta.at("frontend")},
                      {"parameters", model_.parameters}};
  for (const char* key : {"split", "metrics", "training", "description"})
    if (model_.meta.contains(key)) j[key] = model_.meta[key];
  for (size_t i = 0; i < members_.size(); ++i)
    j["members"].push_back({{"path", members_[i].model().path}, {"arch", members_[i].model().config.arch},
                            {"input", input_name(members_[i].model().frontend.input)}, {"weight", weights_[i]}});
  return j;
}

std::string default_tagger_path() {
  if (const char* env = std::getenv("GENRE_TAGGER")) return env;
  return default_model_path("genre-tagger.genre");
}

std::string default_model_path(const std::string& file) {
  if (file == "genre-default.genre")
    if (const char* env = std::getenv("GENRE_MODEL")) return env;
  std::vector<fs::path> candidates;
  if (const std::string exe_dir = executable_dir(); !exe_dir.empty()) {
    const fs::path dir = exe_dir;
    candidates = {dir / "models", dir.parent_path() / "models", dir.parent_path() / "share" / "genre" / "models"};
  }
  candidates.push_back(fs::path(GENRE_SOURCE_TREE) / "models");
  for (const auto& c : candidates) {
    const fs::path p = c / file;
    if (fs::is_regular_file(p)) return p.string();
  }
  return "";
}

}  // namespace genre
