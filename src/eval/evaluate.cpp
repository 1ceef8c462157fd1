#include "genre/evaluate.h"
#include "genre/atomic_file.h"
#include "genre/json_text.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "genre/plot.h"
#include "genre/torch_model.h"

namespace genre {

Evaluation evaluate_examples(ClassifierImpl& net, const ExampleSet& set, const std::vector<std::string>& labels,
                             size_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  Evaluation e = evaluate_examples(
      [&](const float* x, int64_t n, double* out) { network_probabilities(net, x, n, out); },
      set, labels, batch_size);
  if (was_training) net.train();
  return e;
}

Evaluation evaluate_examples(const ProbabilityFn& probabilities, const ExampleSet& set,
                             const std::vector<std::string>& labels, size_t batch_size) {
  const size_t k = labels.size();
  std::vector<std::vector<double>> chunk_probs;
  chunk_probs.reserve(set.count());
  double loss = 0;  // cross-entropy, from the probabilities
  std::vector<double> p;
  for (size_t start = 0; start < set.count(); start += batch_size) {
    const int64_t n = int64_t(std::min(batch_size, set.count() - start));
    p.resize(size_t(n) * k);
    probabilities(set.example(start), n, p.data());
    const double* d = p.data();
    for (int64_t i = 0; i < n; ++i) {
      chunk_probs.emplace_back(d + i * int64_t(k), d + (i + 1) * int64_t(k));
      loss -= std::log(std::max(1e-15, chunk_probs.back()[size_t(set.label[start + size_t(i)])]));
    }
  }
  Evaluation e;
  e.loss = set.count() ? loss / double(set.count()) : 0.0;
  e.chunk = compute_metrics(set.label, chunk_probs, labels);
  e.chunk_probs = std::move(chunk_probs);
  // Clip level: the mean of the clip's chunk probabilities.
  e.clip_probs.assign(set.clips.size(), std::vector<double>(k, 0.0));
  std::vector<size_t> counts(set.clips.size(), 0);
  for (size_t i = 0; i < set.count(); ++i) {
    counts[set.clip[i]]++;
    for (size_t c = 0; c < k; ++c) e.clip_probs[set.clip[i]][c] += e.chunk_probs[i][c];
  }
  for (size_t j = 0; j < e.clip_probs.size(); ++j)
    for (double& v : e.clip_probs[j]) v /= double(std::max<size_t>(1, counts[j]));
  e.clip = compute_metrics(set.clip_label, e.clip_probs, labels);
  return e;
}

nlohmann::json to_json(const Metrics& m) {
  auto num = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < m.labels.size(); ++c) {
    const auto& p = m.per_class[c];
    per_class[m.labels[c]] = {{"precision", p.precision}, {"recall", p.recall}, {"f1", p.f1},
                              {"auroc", num(p.auroc)},    {"support", p.support}};
  }
  return {{"n", m.n},
          {"accuracy", m.accuracy},
          {"top2_accuracy", m.top2_accuracy},
          {"log_loss", m.log_loss},
          {"macro_auroc", num(m.macro_auroc)},
          {"macro_avg", {{"precision", m.macro_precision}, {"recall", m.macro_recall}, {"f1", m.macro_f1}}},
          {"weighted_avg", {{"precision", m.weighted_precision}, {"recall", m.weighted_recall}, {"f1", m.weighted_f1}}},
          {"per_class", per_class},
          {"labels", m.labels},
          {"confusion", m.confusion}};
}

std::map<size_t, std::vector<double>> file_probabilities(const ExampleSet& set, const Evaluation& e) {
  const size_t k = e.clip.labels.size();
  std::map<size_t, std::pair<std::vector<double>, size_t>> sums;  // item -> (sum, chunks)
  for (size_t i = 0; i < set.count(); ++i) {
    auto& [sum, n] = sums[set.item[i]];
    sum.resize(k, 0.0);
    for (size_t c = 0; c < k; ++c) sum[c] += e.chunk_probs[i][c];
    ++n;
  }
  std::map<size_t, std::vector<double>> out;
  for (auto& [item, acc] : sums) {
    for (double& v : acc.first) v /= double(acc.second);
    out[item] = std::move(acc.first);
  }
  return out;
}

std::vector<SourceMetrics> evaluate_by_source(const Dataset& ds, const ExampleSet& set, const Evaluation& e) {
  return evaluate_by_source(ds, file_probabilities(set, e), e.clip.labels);
}

std::vector<SourceMetrics> evaluate_by_source(const Dataset& ds, std::map<size_t, std::vector<double>> files,
                                              const std::vector<std::string>& labels) {
  std::vector<std::vector<int>> y(ds.sources.size());
  std::vector<std::vector<std::vector<double>>> p(ds.sources.size());
  for (auto& [item, probs] : files) {
    const Item& it = ds.items[item];
    y[it.source].push_back(ds.label_index(it.label));
    p[it.source].push_back(std::move(probs));
  }
  std::vector<SourceMetrics> out;
  for (size_t s = 0; s < ds.sources.size(); ++s)
    if (!y[s].empty()) out.push_back({ds.sources[s], compute_metrics(y[s], p[s], labels)});
  return out;
}

nlohmann::json to_json(const std::vector<SourceMetrics>& by_source) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : by_source) j.push_back({{"source", s.source}, {"file_level", to_json(s.files)}});
  return j;
}

std::string by_source_markdown(const std::vector<SourceMetrics>& by_source) {
  std::ostringstream md;
  md << "## Per source (file level: each file on its own)\n\n| source | files | accuracy | top-2 accuracy | macro F1 |\n"
        "|---|---|---|---|---|\n";
  char row[512];
  for (const auto& s : by_source) {
    std::snprintf(row, sizeof row, "| %s | %zu | %.3f | %.3f | %.3f |\n", s.source.c_str(), size_t(s.files.n),
                  s.files.accuracy, s.files.top2_accuracy, s.files.macro_f1);
    md << row;
  }
  return md.str();
}

void write_report(const std::string& dir, const Evaluation& e, const nlohmann::json& context, const ExampleSet& set) {
  std::filesystem::create_directories(dir);
  nlohmann::json j = context;
  j["clip_level"] = to_json(e.clip);
  j["chunk_level"] = to_json(e.chunk);
  j["chunk_loss"] = e.loss;
  nlohmann::json clips = nlohmann::json::array();
  for (size_t i = 0; i < set.clips.size(); ++i)
    clips.push_back({{"song", set.clips[i]}, {"label", e.clip.labels[size_t(set.clip_label[i])]}, {"probabilities", e.clip_probs[i]}});
  j["clips"] = clips;
  AtomicFile report(dir + "/report.json");
  report.stream() << json_text(j, 1) << "\n";
  report.commit();
  AtomicFile md_file(dir + "/report.md");
  std::ofstream& md = md_file.stream();
  md << "# Evaluation of " << context.value("model", std::string("model")) << "\n\n";
  for (const auto& [key, value] : context.items())
    if (!value.is_object() && !value.is_array()) md << "- " << key << ": " << (value.is_string() ? value.get<std::string>() : json_text(value)) << "\n";
  md << "\nClip-level predictions are the mean of each clip's chunk probabilities.\n\n";
  md << metrics_markdown(e.clip, "Clip level") << "\n" << metrics_markdown(e.chunk, "Chunk level");
  md_file.commit();
  write_png(dir + "/confusion.png", confusion_heatmap(e.clip.confusion, e.clip.labels, "clip level"));
  write_png(dir + "/confusion_chunks.png", confusion_heatmap(e.chunk.confusion, e.chunk.labels, "chunk level"));
}

}  // namespace genre
