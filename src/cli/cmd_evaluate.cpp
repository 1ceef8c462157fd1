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

void run(const EvaluateOptions& o) {
  if (o.threads > 0) at::set_num_threads(o.threads);
  if (is_ensemble(read_model_header(o.model)))
    throw std::runtime_error(o.model + ": an ensemble; genre evaluate runs one model: evaluate each member with --out and "
                             "combine their report.json files (bench/ensemble_cv.py)");
  LoadedModel m = load_model(o.model);
  const std::string data = o.data.empty() ? m.meta.value("data", std::string()) : o.data;
  if (data.empty()) throw std::runtime_error("no --data given and the model does not name its data");
  const std::string split = o.split.empty() ? m.meta["split"].value("spec", std::string("stratified:80/10/10")) : o.split;
  const uint64_t seed = o.seed_given ? o.seed : m.meta["split"].value("seed", uint64_t(42));
  const nlohmann::json& trained_split = m.meta["split"];
  if (o.part == "valid" && trained_split.value("valid_trained", false) && split == trained_split.value("spec", std::string()) &&
      seed == trained_split.value("seed", uint64_t(42)))
    throw std::runtime_error(o.model + ": trained on the valid part of " + split + " too (--refit), so figures on it would "
                             "not be validation; use --part test");
  const InputKind input = m.frontend.input;
  Dataset ds = load_dataset(data, source_kind(input, data));
  // The data must be what the model reads: a table's columns, in order, are the model's inputs.
  if (ds.kind == SourceKind::Table) {
    if (input != InputKind::Table)
      throw std::runtime_error(data + ": a features table, but " + o.model + " reads '" + input_name(input) +
                               "' input from audio");
    const auto expected = m.meta.contains("table_columns") ? m.meta["table_columns"].get<std::vector<std::string>>()
                                                            : gtzan_feature_names();
    if (ds.columns != expected)
      throw std::runtime_error(data + ": its " + std::to_string(ds.columns.size()) + " feature columns are not the " +
                               std::to_string(expected.size()) + " columns " + o.model + " was trained on");
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
  LoadReport rep;
  std::unique_ptr<Progress> bar;
  ExampleSet set = load_examples(ds, parts, Part::Test, fe, cache, o.jobs ? o.jobs : cores(),
                                 &rep, [&](size_t d, size_t t) {
                                   if (!bar) bar = std::make_unique<Progress>(t, "files");
                                   bar->set(d);
                                 });
  bar.reset();
  for (const auto& f : rep.failures) std::fprintf(stderr, "genre: error: %s (skipped)\n", f.c_str());
  if (set.count() == 0)
    throw std::runtime_error("the '" + o.part + "' part of split '" + split + "' has no readable items in " + data +
                             (o.part == "test" ? " (try --part valid)" : ""));
  Evaluation e = evaluate_examples(probabilities, set, m.labels);
  nlohmann::json context = {{"model", o.model}, {"arch", m.config.arch},  {"input", input_name(input)},
                            {"data", data},     {"split", split},         {"seed", seed},
                            {"part", o.part},   {"clips", set.clips.size()}, {"chunks", set.count()}};
  std::printf("%s", metrics_markdown(e.clip, "Clip level (" + o.part + " part of " + split + ")").c_str());
  std::printf("\nchunk level: accuracy %.3f, top-2 %.3f, macro AUROC %.3f (%zu chunks)\n", e.chunk.accuracy,
              e.chunk.top2_accuracy, e.chunk.macro_auroc, set.count());
  // Every file's probabilities, so that reports of models on other front ends can be combined
  // file by file (bench/ensemble_cv.py).
  nlohmann::json files = nlohmann::json::array();
  for (const auto& [item, probs] : file_probabilities(set, e))
    files.push_back({{"path", ds.items[item].path}, {"song", ds.items[item].song}, {"label", ds.items[item].label},
                     {"source", ds.sources.empty() ? std::string() : ds.sources[ds.items[item].source]}, {"probabilities", probs}});
  context["files"] = files;
  if (ds.sources.size() > 1) {
    // Several folders (whole clips, low-rate clips, excerpts): each file on its own, per folder.
    const auto by_source = evaluate_by_source(ds, set, e);
    std::printf("\n%s", by_source_markdown(by_source).c_str());
    context["by_source"] = to_json(by_source);
  }
  if (!o.out.empty()) {
    write_report(o.out, e, context, set);
    std::printf("wrote %s/report.json, report.md, confusion.png, confusion_chunks.png\n", o.out.c_str());
  }
  if (!rep.failures.empty()) exit_status = 1;
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
