// genre evaluate: a trained model on a part of a split, at clip and chunk level.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "commands.h"
#include "genre/runtime.h"
#include "genre/gtzan_features.h"
#include "genre/dataset.h"
#include "genre/ensemble.h"
#include "genre/evaluate.h"
#include "genre/examples.h"
#include "genre/feature_cache.h"
#include "genre/pretrained.h"
#include "genre/torch_model.h"
#include "genre/splits.h"
#include "genre/train.h"
#include "progress.h"

namespace genre::cli {
namespace {

struct EvaluateOptions {
  std::string model, data, split, part = "test", out, cache_dir;
  uint64_t seed = 0;
  bool seed_given = false;
  size_t jobs = 0;
  int threads = 0;
};

// One model on the chosen part: data, split and seed are the options' or else the model's own.
struct ModelEvaluation {
  std::string data, split, arch;
  uint64_t seed = 0;
  InputKind input = InputKind::Mel;
  Dataset ds;
  ExampleSet set;
  Evaluation e;
  LoadReport rep;
  std::map<size_t, std::vector<double>> files;  // each file's probabilities, by dataset item
};

ModelEvaluation evaluate_model(const EvaluateOptions& o, const std::string& path) {
  LoadedModel m = load_model(path);
  ModelEvaluation r;
  r.arch = m.config.arch;
  r.data = o.data.empty() ? m.meta.value("data", std::string()) : o.data;
  if (r.data.empty()) throw std::runtime_error("no --data given and the model does not name its data");
  r.split = o.split.empty() ? m.meta["split"].value("spec", std::string("stratified:80/10/10")) : o.split;
  r.seed = o.seed_given ? o.seed : m.meta["split"].value("seed", uint64_t(42));
  const std::string& data = r.data;
  const std::string& split = r.split;
  const uint64_t seed = r.seed;
  const nlohmann::json& trained_split = m.meta["split"];
  if (o.part == "valid" && trained_split.value("valid_trained", false) && split == trained_split.value("spec", std::string()) &&
      seed == trained_split.value("seed", uint64_t(42)))
    throw std::runtime_error(path + ": trained on the valid part of " + split + " too (--refit), so figures on it would "
                             "not be validation; use --part test");
  const InputKind input = r.input = m.frontend.input;
  Dataset& ds = r.ds;
  ds = load_dataset(data, source_kind(input, data));
  // The data must be what the model reads: a table's columns, in order, are the model's inputs.
  if (ds.kind == SourceKind::Table) {
    if (input != InputKind::Table)
      throw std::runtime_error(data + ": a features table, but " + path + " reads '" + input_name(input) +
                               "' input from audio");
    const auto expected = m.meta.contains("table_columns") ? m.meta["table_columns"].get<std::vector<std::string>>()
                                                            : gtzan_feature_names();
    if (ds.columns != expected)
      throw std::runtime_error(data + ": its " + std::to_string(ds.columns.size()) + " feature columns are not the " +
                               std::to_string(expected.size()) + " columns " + path + " was trained on");
  }
  if (ds.labels != m.labels) {
    // Items whose label the model does not know cannot be scored; keep the rest, in the model's order.
    std::vector<Item> kept;
    for (const auto& it : ds.items)
      if (std::find(m.labels.begin(), m.labels.end(), it.label) != m.labels.end()) kept.push_back(it);
    std::fprintf(stderr, "genre: note: the data's labels differ from the model's; %zu of %zu items kept\n", kept.size(),
                 ds.items.size());
    ds.items = kept;
    ds.labels = m.labels;
  }
  std::vector<Part> parts;
  if (o.part == "all") {
    parts.assign(ds.items.size(), Part::Test);
  } else {
    parts = assign_parts(ds, parse_split(split, seed));
    if (parse_part(o.part) != Part::Test)
      for (auto& p : parts) p = p == parse_part(o.part) ? Part::Test : Part::None;
  }
  const FeatureCache cache(o.cache_dir == "none" ? "" : o.cache_dir.empty() ? FeatureCache::default_dir() : o.cache_dir);
  // A transfer model is its frozen backbones' embeddings (from the feature cache, where training
  // put them) under its head; any other model runs whole on the front end's features.
  const auto parts_of_transfer = transfer_parts(m);
  const FrontEnd fe(m.frontend, parts_of_transfer ? parts_of_transfer->embedder : nullptr);
  const ProbabilityFn probabilities = parts_of_transfer ? parts_of_transfer->head : m.probability_fn();
  std::unique_ptr<Progress> bar;
  r.set = load_examples(ds, parts, Part::Test, fe, cache, o.jobs ? o.jobs : cores(),
                                 &r.rep, [&](size_t d, size_t t) {
                                   if (!bar) bar = std::make_unique<Progress>(t, "files");
                                   bar->set(d);
                                 });
  bar.reset();
  for (const auto& f : r.rep.failures) std::fprintf(stderr, "genre: error: %s (skipped)\n", f.c_str());
  if (r.set.count() == 0)
    throw std::runtime_error("the '" + o.part + "' part of split '" + split + "' has no readable items in " + data +
                             (o.part == "test" ? " (try --part valid)" : ""));
  r.e = evaluate_examples(probabilities, r.set, m.labels);
  r.files = file_probabilities(r.set, r.e);
  return r;
}

// Adds w x each row of `from` to the row of `into` with the same key (a song, a file), counting in
// `scored` how many members gave each key a row.
template <class Key>
void add_weighted(std::map<Key, std::vector<double>>& into, std::map<Key, size_t>& scored,
                  const std::map<Key, std::vector<double>>& from, double w) {
  for (const auto& [key, p] : from) {
    auto& row = into[key];
    row.resize(p.size(), 0.0);
    for (size_t k = 0; k < p.size(); ++k) row[k] += w * p[k];
    ++scored[key];
  }
}

std::map<std::string, std::vector<double>> clips_by_song(const ModelEvaluation& m) {
  std::map<std::string, std::vector<double>> out;
  for (size_t c = 0; c < m.set.clips.size(); ++c) out[m.set.clips[c]] = m.e.clip_probs[c];
  return out;
}

// An ensemble (genre/ensemble.h) as genre predict runs it: each member on its own front end, the
// clip (song) and file probabilities their weighted mean; the chunk level is the first member's.
// Members are evaluated on the first member's data, split and seed (or the options').
ModelEvaluation evaluate_ensemble(const EvaluateOptions& o, const ModelHeader& header) {
  const auto members = ensemble_members(header);
  ModelEvaluation r = evaluate_model(o, members[0].path);
  EvaluateOptions same = o;
  same.data = r.data, same.split = r.split, same.seed = r.seed, same.seed_given = true;
  std::map<std::string, std::vector<double>> clips;
  std::map<std::string, size_t> clips_scored;
  std::map<size_t, std::vector<double>> files;
  std::map<size_t, size_t> files_scored;
  auto add = [&](const ModelEvaluation& m, double w) {
    add_weighted(clips, clips_scored, clips_by_song(m), w);
    add_weighted(files, files_scored, m.files, w);
  };
  add(r, members[0].weight);
  for (size_t i = 1; i < members.size(); ++i) {
    const ModelEvaluation m = evaluate_model(same, members[i].path);
    if (m.e.clip.labels != r.e.clip.labels) throw std::runtime_error(members[i].path + ": other labels than " + members[0].path);
    add(m, members[i].weight);
    r.rep.failures.insert(r.rep.failures.end(), m.rep.failures.begin(), m.rep.failures.end());
  }
  // A file that some member could not read has no ensemble probabilities, as in genre predict: it
  // is left out (the member reported it). A song that some member could not read at all cannot be
  // scored.
  for (const auto& [item, n] : files_scored)
    if (n != members.size()) files.erase(item);
  for (const auto& [song, n] : clips_scored)
    if (n != members.size()) throw std::runtime_error(header.path + ": not every member could read " + song);
  for (size_t c = 0; c < r.set.clips.size(); ++c) r.e.clip_probs[c] = clips.at(r.set.clips[c]);
  r.e.clip = compute_metrics(r.set.clip_label, r.e.clip_probs, r.e.clip.labels);
  r.files = std::move(files);
  r.arch = "ensemble";
  return r;
}

void run(const EvaluateOptions& o) {
  if (o.threads > 0) at::set_num_threads(o.threads);
  const ModelHeader header = read_model_header(o.model);
  ModelEvaluation r = is_ensemble(header) ? evaluate_ensemble(o, header) : evaluate_model(o, o.model);
  const Evaluation& e = r.e;
  const ExampleSet& set = r.set;
  const Dataset& ds = r.ds;
  nlohmann::json context = {{"model", o.model}, {"arch", r.arch},   {"input", input_name(r.input)},
                            {"data", r.data},   {"split", r.split}, {"seed", r.seed},
                            {"part", o.part},   {"clips", set.clips.size()}, {"chunks", set.count()}};
  if (r.arch == "ensemble") context["chunk_level_of"] = "the first member";
  std::printf("%s", metrics_markdown(e.clip, "Clip level (" + o.part + " part of " + r.split + ")").c_str());
  std::printf("\nchunk level%s: accuracy %.3f, top-2 %.3f, macro AUROC %.3f (%zu chunks)\n",
              r.arch == "ensemble" ? " (the first member's)" : "", e.chunk.accuracy, e.chunk.top2_accuracy,
              e.chunk.macro_auroc, set.count());
  // Every file's probabilities, so that reports of models on other front ends can be combined
  // file by file (bench/ensemble_cv.py).
  nlohmann::json files = nlohmann::json::array();
  for (const auto& [item, probs] : r.files)
    files.push_back({{"path", ds.items[item].path}, {"song", ds.items[item].song}, {"label", ds.items[item].label},
                     {"source", ds.sources.empty() ? std::string() : ds.sources[ds.items[item].source]}, {"probabilities", probs}});
  context["files"] = files;
  if (ds.sources.size() > 1) {
    // Several folders (whole clips, low-rate clips, excerpts): each file on its own, per folder.
    const auto by_source = evaluate_by_source(ds, r.files, e.clip.labels);
    std::printf("\n%s", by_source_markdown(by_source).c_str());
    context["by_source"] = to_json(by_source);
  }
  if (!o.out.empty()) {
    write_report(o.out, e, context, set);
    std::printf("wrote %s/report.json, report.md, confusion.png, confusion_chunks.png\n", o.out.c_str());
  }
  if (!r.rep.failures.empty()) exit_status = 1;
}

}  // namespace

void register_evaluate(CLI::App& app) {
  auto o = std::make_shared<EvaluateOptions>();
  auto* cmd = app.add_subcommand("evaluate", "Evaluate a trained model: accuracy, top-2, per-class P/R/F1, AUROC, confusion");
  cmd->add_option("-m,--model", o->model, "Model file (model.genre)")->required();
  cmd->add_option("-d,--data", o->data, "Dataset (default: the one the model was trained on)");
  cmd->add_option("--split", o->split, "Split (default: the model's own)");
  cmd->add_option("--seed", o->seed, "Split seed (default: the model's own)")->each([o](const std::string&) { o->seed_given = true; });
  cmd->add_option("--part", o->part, "Which part to evaluate: test, valid, train or all")
      ->check(CLI::IsMember({"test", "valid", "train", "all"}))
      ->capture_default_str();
  cmd->add_option("-o,--out", o->out, "Folder for report.json, report.md and the confusion heat maps");
  cmd->add_option("--cache", o->cache_dir, "Feature cache folder ('none' to disable)");
  cmd->add_option("-j,--jobs", o->jobs, "Feature extraction threads (0: all cores)");
  cmd->add_option("--threads", o->threads, "Torch threads (0: all cores)");
  cmd->callback([o] { run(*o); });
}

}  // namespace genre::cli
