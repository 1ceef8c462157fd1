// genre predict: classify files and folders (recursively) with a trained model.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "genre/runtime.h"
#include "genre/files.h"
#include "genre/json_text.h"
#include "genre/parallel.h"
#include "genre/predict.h"
#include "progress.h"
#include "torch_plugin.h"

namespace genre::cli {
namespace {

struct PredictOptions {
  std::vector<std::string> inputs;
  std::string model, format = "text";
  size_t top_k = 3, jobs = 1;
  bool timeline = false;
  bool tag = false;  // genre tag: the bundled tagger by default
};

// A genre entry's label: "genre" for genre models, "tag" for taggers.
std::string label_of(const nlohmann::json& t) { return t.contains("tag") ? t["tag"].get<std::string>() : t["genre"].get<std::string>(); }

std::string clock_time(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%d:%04.1f", int(s) / 60, s - 60 * (int(s) / 60));
  return b;
}

void print_text(const nlohmann::json& j, bool timeline) {
  if (j.contains("error")) return;  // errors go to stderr
  std::printf("%s (%.1f s):", printable_name(j["file"]).c_str(), j["duration"].get<double>());
  for (const auto& t : j["top"])
    std::printf(" %s %.1f%%", label_of(t).c_str(), 100 * t["probability"].get<double>());
  std::printf("\n");
  if (timeline)
    for (const auto& w : j["timeline"])
      std::printf("  %8s - %-8s %-10s %5.1f%%\n", clock_time(w["start"]).c_str(), clock_time(w["end"]).c_str(),
                  label_of(w).c_str(), 100 * w["probability"].get<double>());
}

void print_csv_header(size_t k, const char* what) {
  std::printf("file,duration");
  for (size_t i = 1; i <= k; ++i) std::printf(",%s%zu,probability%zu", what, i, i);
  std::printf(",error\n");
}

void print_csv(const nlohmann::json& j, size_t k) {
  std::printf("%s,", csv_cell(j["file"]).c_str());
  if (j.contains("error")) {
    std::printf(",");
    for (size_t i = 0; i < k; ++i) std::printf(",,");
    std::printf("%s\n", csv_cell(j["error"]).c_str());
    return;
  }
  std::printf("%.3f", j["duration"].get<double>());
  for (size_t i = 0; i < k; ++i) {
    if (i < j["top"].size())
      std::printf(",%s,%.6f", csv_cell(label_of(j["top"][i])).c_str(), j["top"][i]["probability"].get<double>());
    else
      std::printf(",,");
  }
  std::printf(",\n");
}

void run(const PredictOptions& o) {
  std::string model_path = o.model.empty() ? (o.tag ? default_tagger_path() : default_model_path()) : o.model;
  // A NAME: a model file of that name beside the bundled ones (models/NAME.genre).
  if (!o.model.empty() && !std::ifstream(model_path) && !default_model_path(o.model + ".genre").empty())
    model_path = default_model_path(o.model + ".genre");
  if (model_path.empty())
    throw std::runtime_error(o.tag ? "no tagger given and no bundled tagger found (models/genre-tagger.genre); use --model FILE"
                                   : "no model given and no bundled model found (models/genre-default.genre); use --model FILE");
  // A torch model's weights load in the background while the first file decodes. One file at a
  // time uses every core inside the network (libtorch's default was one thread on the 2-core
  // development machine); several at once use one thread each.
  const int threads = o.jobs > 1 ? 1 : int(cores());
  const Predictor predictor = open_predictor(model_path, threads, /*background=*/true);
  std::vector<std::string> missing;
  const auto files = find_audio_files(o.inputs, &missing);
  for (const auto& m : missing) std::fprintf(stderr, "genre: error: %s: no such file or directory\n", m.c_str());
  size_t failed = missing.size();

  if (o.format == "csv") print_csv_header(o.top_k, predictor.model().config.output == "sigmoid" ? "tag" : "genre");
  if (o.format == "json") std::printf("[");
  Progress progress(files.size(), "files");
  size_t emitted = 0;
  // A model whose weights fail to load (in the background) fails every file: say it once and stop.
  std::mutex model_error_mutex;
  std::string model_error;
  auto model_failed = [&] {
    std::lock_guard<std::mutex> lock(model_error_mutex);
    return !model_error.empty();
  };
  parallel_ordered(
      files.size(), o.jobs,
      [&](size_t i) -> nlohmann::json {
        if (model_failed()) return nullptr;
        try {
          return predictor.to_json(predictor.predict_file(files[i].path, o.timeline), o.top_k, o.timeline);
        } catch (const ModelError& e) {
          std::lock_guard<std::mutex> lock(model_error_mutex);
          if (model_error.empty()) model_error = e.what();
          return nullptr;
        }
      },
      [&](size_t, nlohmann::json j) {
        if (j.is_null() || model_failed()) return;
        if (j.contains("error")) {
          ++failed;
          progress.message("genre: error: " + printable_name(j["error"]));
        }
        if (o.format == "text") print_text(j, o.timeline);
        else if (o.format == "csv") print_csv(j, o.top_k);
        else if (o.format == "jsonl") std::printf("%s\n", json_text(j).c_str());
        else std::printf("%s\n%s", emitted ? "," : "", json_text(j, 2).c_str());
        std::fflush(stdout);
        ++emitted;
        progress.advance();
      },
      /*ordered=*/o.format != "jsonl");  // JSON Lines stream in completion order; each line names its file
  progress.finish();
  if (o.format == "json") std::printf("\n]\n");
  if (!model_error.empty()) throw std::runtime_error(model_error);
  if (failed) {
    std::fprintf(stderr, "genre: %zu of %zu inputs could not be classified\n", failed, files.size() + missing.size());
    exit_status = 1;
  }
  if (files.empty() && missing.empty()) {
    std::fprintf(stderr, "genre: error: no audio files found in the given inputs\n");
    exit_status = 1;
  }
}

}  // namespace

void register_predict(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict", "Classify audio files and folders (any format, any length)");
  cmd->add_option("inputs", o->inputs, "Audio files or folders (walked recursively)")->required();
  cmd->add_option("-m,--model", o->model, "Model file (default: the bundled models/genre-default.genre)");
  cmd->add_option("-k,--top-k", o->top_k, "How many genres to show")->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("-f,--format", o->format,
                  "text, json (one array) or csv, in input order; jsonl: one object per line as each file finishes")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "Files classified in parallel")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--timeline", o->timeline, "Also give the genre of every window (chunk) of each file");
  cmd->callback([o] { run(*o); });
}

void register_tag(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  o->tag = true;
  o->top_k = 5;
  auto* cmd = app.add_subcommand("tag", "Tag audio files and folders with a pretrained tagger's 50 tags (genres, moods, instruments, eras)");
  cmd->add_option("inputs", o->inputs, "Audio files or folders (walked recursively)")->required();
  cmd->add_option("-m,--model", o->model,
                  "Tagger model file or NAME (models/NAME.genre; default: the bundled models/genre-tagger.genre). "
                  "`genre import-tagger` converts a pretrained folder");
  cmd->add_option("-k,--top-k", o->top_k, "How many tags to show")->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("-f,--format", o->format, "text, json, jsonl or csv, as for predict")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "Files tagged in parallel")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--timeline", o->timeline, "Also give the top tag of every window");
  cmd->callback([o] { run(*o); });
}

}  // namespace genre::cli
