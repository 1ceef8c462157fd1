// Evaluation of a network on an example set: chunk-level predictions, and clip-level predictions
// as the mean of each clip's chunk probabilities; reports as JSON, Markdown and PNG heat maps.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "genre/examples.h"
#include "genre/metrics.h"
#include "genre/model.h"
#include "genre/model_file.h"  // ProbabilityFn

namespace genre {

struct Evaluation {
  Metrics clip, chunk;
  double loss = 0;                               // mean chunk cross-entropy
  std::vector<std::vector<double>> chunk_probs;  // per example of the set
  std::vector<std::vector<double>> clip_probs;  // per clip of the set
};

Evaluation evaluate_examples(const ProbabilityFn& probabilities, const ExampleSet& set,
                             const std::vector<std::string>& labels, size_t batch_size = 64);
// The same for a network, in evaluation mode (its training mode is restored).
Evaluation evaluate_examples(ClassifierImpl& net, const ExampleSet& set, const std::vector<std::string>& labels,
                             size_t batch_size = 64);

nlohmann::json to_json(const Metrics& m);

// Per folder of a comma-list dataset (whole clips, low-rate clips, excerpts): every file of the
// evaluated set on its own (the mean of its chunks' probabilities in e), not merged with the
// song's other files. `set` was loaded from `ds`.
struct SourceMetrics {
  std::string source;
  Metrics files;
};
// Each evaluated file's probabilities (the mean of its chunks', as genre predict gives them), by
// its item in the dataset the set was loaded from.
std::map<size_t, std::vector<double>> file_probabilities(const ExampleSet& set, const Evaluation& e);
std::vector<SourceMetrics> evaluate_by_source(const Dataset& ds, const ExampleSet& set, const Evaluation& e);
// The same from file probabilities by dataset item (an ensemble's, combined over its members).
std::vector<SourceMetrics> evaluate_by_source(const Dataset& ds, std::map<size_t, std::vector<double>> files,
                                              const std::vector<std::string>& labels);
nlohmann::json to_json(const std::vector<SourceMetrics>& by_source);
std::string by_source_markdown(const std::vector<SourceMetrics>& by_source);

// Writes report.json, report.md, confusion.png (clip level) and confusion_chunks.png into dir.
void write_report(const std::string& dir, const Evaluation& e, const nlohmann::json& context, const ExampleSet& set);

}  // namespace genre
