// genre embed: pretrained embeddings of files (per song or per window) as .npy, .csv or .jsonl.
// genre import-tagger: a pretrained tagger folder (weights.safetensors, tags.txt) -> a genre model
// file that predict, tag and serve run.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>

#include "commands.h"
#include "genre/feature_cache.h"
#include "genre/atomic_file.h"
#include "genre/json_text.h"
#include "genre/files.h"
#include "genre/parallel.h"
#include "genre/pretrained.h"
#include "progress.h"

namespace genre::cli {
namespace {

struct EmbedOptions {
  std::vector<std::string> inputs;
  std::string model = "msd-fcn", out;
  bool per_window = false;
  double hop = 0;  // the backbones' own: 14.5 s for the MIT taggers' 29 s windows
  size_t jobs = 1;
  std::string cache;
};

// NumPy's .npy format 1.0: magic, version, a header dict padded to a multiple of 64 bytes, the data.
void write_npy(const std::string& path, const std::vector<float>& data, size_t rows, size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  {
    AtomicFile file(path, std::ios::binary);
    std::ofstream& out = file.stream();
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t n = uint16_t(header.size());
    const char len[2] = {char(n & 0xff), char(n >> 8)};
    out.write(len, 2);
    out.write(header.data(), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(float)));
    file.commit();
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void run_embed(const EmbedOptions& o) {
  if (!ends_with(o.out, ".npy") && !ends_with(o.out, ".csv") && !ends_with(o.out, ".jsonl"))
    throw std::runtime_error(o.out + ": --out must end in .npy, .csv or .jsonl");
  std::vector<std::string> archs;
  const Classifier backbone = load_backbone(o.model, &archs);
  const FrontEnd fe(backbone_frontend(archs, o.hop), backbone_embedder(backbone, backbone_key(archs, *backbone)));
  const FeatureCache cache(o.cache == "none" ? "" : o.cache.empty() ? FeatureCache::default_dir() : o.cache);
  const size_t dim = size_t(backbone->embedding_size());
  std::vector<std::string> missing;
  const auto files = find_audio_files(o.inputs, &missing);
  for (const auto& m : missing) std::fprintf(stderr, "genre: error: %s: no such file or directory\n", m.c_str());
  size_t failed = missing.size();
  struct Row {
    std::string file;
    double start = -1;
    std::vector<float> v;
  };
  std::vector<Row> rows;
  Progress progress(files.size(), "files");
  parallel_ordered(
      files.size(), o.jobs,
      [&](size_t i) -> std::pair<ClipFeatures, std::string> {
        try {
          return {cache.load(files[i].path, fe), ""};
        } catch (const std::exception& e) {
          return {ClipFeatures{}, e.what()};
        }
      },
      [&](size_t i, std::pair<ClipFeatures, std::string> r) {
        progress.advance();
        if (!r.second.empty()) {
          ++failed;
          progress.message("genre: error: " + r.second);
          return;
        }
        const ClipFeatures& f = r.first;
        if (o.per_window) {
          for (size_t w = 0; w < f.count; ++w) rows.push_back({files[i].path, f.starts[w], std::vector<float>(f.chunk(w), f.chunk(w) + dim)});
        } else {
          Row mean{files[i].path, -1, std::vector<float>(dim, 0.f)};
          for (size_t w = 0; w < f.count; ++w)
            for (size_t k = 0; k < dim; ++k) mean.v[k] += f.chunk(w)[k] / float(f.count);
          rows.push_back(std::move(mean));
        }
      });
  progress.finish();
  if (ends_with(o.out, ".npy")) {
    std::vector<float> data;
    for (const auto& r : rows) data.insert(data.end(), r.v.begin(), r.v.end());
    write_npy(o.out, data, rows.size(), dim);
    AtomicFile names_file(o.out.substr(0, o.out.size() - 4) + ".names.txt");
    for (const auto& r : rows) names_file.stream() << r.file << (o.per_window ? "\t" + std::to_string(r.start) : "") << "\n";
    names_file.commit();
  } else {
    AtomicFile file(o.out);
    std::ofstream& out = file.stream();
    if (ends_with(o.out, ".csv")) {
      out << "file" << (o.per_window ? ",start" : "");
      for (size_t k = 0; k < dim; ++k) out << ",e" << k;
      out << "\n";
    }
    for (const auto& r : rows) {
      if (ends_with(o.out, ".csv")) {
        out << csv_cell(r.file);
        if (o.per_window) out << "," << r.start;
        for (float v : r.v) out << "," << v;
        out << "\n";
      } else {
        nlohmann::json j = {{"file", r.file}, {"embedding", r.v}};
        if (o.per_window) j["start"] = r.start;
        out << json_text(j) << "\n";
      }
    }
    file.commit();
  }
  std::printf("wrote %s: %zu rows x %zu (%s, %s)\n", o.out.c_str(), rows.size(), dim, o.model.c_str(),
              o.per_window ? "per window" : "mean over each file's windows");
  if (failed) exit_status = 1;
}

}  // namespace

void register_pretrained(CLI::App& app) {
  auto o = std::make_shared<EmbedOptions>();
  auto* cmd = app.add_subcommand("embed", "Write pretrained embeddings (the penultimate layer) of audio files");
  cmd->add_option("inputs", o->inputs, "Audio files or folders (walked recursively)")->required();
  cmd->add_option("-m,--model", o->model,
                  "Tagger NAME (msd-fcn, msd-crnn, jamendo-musicnn, ...; $GENRE_WEIGHTS_DIR), model file, or a comma list "
                  "(embeddings concatenated)")
      ->capture_default_str();
  cmd->add_option("-o,--out", o->out, "Output: .npy (with OUT.names.txt), .csv or .jsonl")->required();
  cmd->add_flag("--per-window", o->per_window, "One row per 29 s window instead of the mean per file");
  cmd->add_option("--hop", o->hop, "Seconds between the MIT taggers' 29 s windows (default 14.5; Essentia's taggers step by their own 1.488 s)");
  cmd->add_option("-j,--jobs", o->jobs, "Files in parallel")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--cache", o->cache, "Embedding cache folder, shared with genre train --backbone ('none' to disable; default ~/.cache/genre)");
  cmd->callback([o] { run_embed(*o); });

  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* imp = app.add_subcommand("import-tagger", "Convert a pretrained tagger folder to a genre model file");
  imp->add_option("dir", *dir, "Folder with weights.safetensors and tags.txt, or a NAME under $GENRE_WEIGHTS_DIR")->required();
  imp->add_option("-o,--out", *out, "Model file to write")->required();
  imp->callback([dir, out] {
    std::string d = *dir;
    if (!std::ifstream(d + "/weights.safetensors")) d = find_pretrained(*dir);
    if (d.empty()) throw std::runtime_error(*dir + ": no such pretrained tagger");
    const LoadedModel m = load_pretrained(d);
    save_model(*out, *m.net, m.meta);
    std::printf("wrote %s (%s, %zu tags)\n", out->c_str(), m.config.arch.c_str(), m.labels.size());
    const std::string licence = m.meta["pretrained"]["licence"];
    if (licence != "MIT") std::fprintf(stderr, "genre: note: %s holds %s weights: %s\n", out->c_str(), d.c_str(), licence.c_str());
  });
}

}  // namespace genre::cli
