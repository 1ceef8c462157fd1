// genre features: the GTZAN feature table (features_30_sec.csv / features_3_sec.csv columns).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "commands.h"
#include "genre/runtime.h"
#include "genre/atomic_file.h"
#include "genre/audio.h"
#include "genre/files.h"
#include "genre/gtzan_features.h"
#include "genre/parallel.h"
#include "progress.h"

namespace genre::cli {
namespace {

struct FeaturesOptions {
  std::vector<std::string> inputs;
  std::string out;
  double segment = 0.0;
  int sample_rate = kDefaultSampleRate;
  size_t jobs = cores();
  std::string format = "auto";
  double max_duration = 480;  // whole-file rows: the first this many seconds
};

struct FileResult {
  std::vector<FeatureRow> rows;
  std::string error, note;
};

// Memory stays bounded whatever the file's length. Segment rows are computed as the decoder
// streams (one segment in memory at a time); a whole-file row covers at most max_duration
// seconds, and the note says when a file was longer.
FileResult file_rows(const LabeledFile& file, const FeaturesOptions& o) {
  FileResult r;
  const std::string name = file_name(file.path);
  auto stream = std::make_unique<AudioStream>(file.path, o.sample_rate);
  if (o.segment > 0) {
    ChunkParams cp;
    cp.chunk_seconds = cp.hop_seconds = o.segment;
    ChunkReader reader(std::move(stream), cp);
    std::vector<float> chunk;
    size_t valid = 0;
    for (size_t i = 0; reader.next(chunk, nullptr, &valid) && valid == chunk.size(); ++i)
      r.rows.push_back({segment_name(name, i), chunk.size(), gtzan_features(chunk, o.sample_rate), file.label});
    if (r.rows.empty()) r.error = file.path + ": shorter than one segment";
    return r;
  }
  const size_t cap = size_t(o.max_duration * o.sample_rate);
  std::vector<float> y;
  while (y.size() < cap && stream->read(y, std::min<size_t>(1 << 16, cap - y.size())) > 0) {
  }
  std::vector<float> more;
  if (stream->read(more, 1) > 0) {
    char b[200];
    std::snprintf(b, sizeof b, "%s: longer than %.0f s: its row describes the first %.0f s (--max-duration)",
                  file.path.c_str(), o.max_duration, o.max_duration);
    r.note = b;
  }
  r.rows.push_back({name, y.size(), gtzan_features(y, o.sample_rate), file.label});
  return r;
}

// The human-readable summary: a few columns of the table.
void print_table_header() {
  std::printf("%-28s %-10s %7s %8s %9s %9s %7s %7s %9s\n", "file", "label", "seconds", "tempo", "centroid",
              "rolloff", "zcr", "rms", "mfcc1");
}
void print_table_row(const FeatureRow& r, double sr) {
  const auto& v = r.values;  // indices follow gtzan_feature_names()
  std::printf("%-28s %-10s %7.2f %8.2f %9.1f %9.1f %7.4f %7.4f %9.2f\n", r.filename.c_str(), r.label.c_str(),
              double(r.length) / sr, v[16], v[4], v[8], v[10], v[2], v[17]);
}

void run(const FeaturesOptions& o) {
  std::vector<std::string> missing;
  const auto files = find_audio_files(o.inputs, &missing);
  for (const auto& m : missing) std::fprintf(stderr, "genre: error: %s: no such file or directory\n", m.c_str());
  if (!missing.empty()) exit_status = 1;
  if (files.empty()) {
    std::fprintf(stderr, "genre: error: no audio files found in the given inputs\n");
    exit_status = 1;
    return;
  }
  const bool csv = o.format == "csv" || (o.format == "auto" && !o.out.empty());
  std::unique_ptr<AtomicFile> file;  // the table appears under its name once complete
  if (!o.out.empty()) file = std::make_unique<AtomicFile>(o.out);
  auto write_line = [&](const std::string& line) {
    if (file) file->stream() << line << '\n';
    else std::printf("%s\n", line.c_str());
  };
  if (csv) {
    std::string header;
    for (const auto& h : gtzan_csv_header()) header += (header.empty() ? "" : ",") + h;
    write_line(header);
  } else if (!file) {
    print_table_header();
  }

  Progress progress(files.size(), "files");
  size_t failed = 0, rows = 0;
  parallel_ordered(
      files.size(), o.jobs,
      [&](size_t i) {
        try {
          return file_rows(files[i], o);
        } catch (const std::exception& e) {
          FileResult r;
          r.error = error_naming(files[i].path, e);
          return r;
        }
      },
      [&](size_t, FileResult r) {
        if (!r.error.empty()) {
          ++failed;
          progress.message("genre: error: " + printable_name(r.error));
        }
        if (!r.note.empty()) progress.message("genre: note: " + printable_name(r.note));
        for (const auto& row : r.rows) {
          if (csv) write_line(to_csv_line(row));
          else print_table_row(row, o.sample_rate);
          ++rows;
        }
        progress.advance();
      });
  progress.finish();
  if (file) {
    file->commit();
    std::fprintf(stderr, "wrote %zu rows to %s\n", rows, o.out.c_str());
  }
  if (failed) {
    std::fprintf(stderr, "genre: %zu of %zu files failed\n", failed, files.size());
    exit_status = 1;
  }
}

}  // namespace

void register_features(CLI::App& app) {
  auto o = std::make_shared<FeaturesOptions>();
  auto* cmd = app.add_subcommand("features", "Compute GTZAN's 57 librosa features (Kaggle features_30_sec.csv columns)");
  cmd->add_option("inputs", o->inputs, "Audio files or folders (walked recursively; label = parent folder)")
      ->required();
  cmd->add_option("-o,--out", o->out, "Write the CSV table to this file (default: print to stdout)");
  cmd->add_option("--segment", o->segment,
                  "One row per segment of this many seconds (3 gives features_3_sec.csv); 0 = whole file")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--sr", o->sample_rate, "Sample rate to resample to before analysis")
      ->check(CLI::Range(1000, 192000))
      ->capture_default_str();
  cmd->add_option("--max-duration", o->max_duration,
                  "Whole-file rows describe at most the first this many seconds (memory stays bounded)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "Files processed in parallel")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--format", o->format, "Output: csv, table (a few columns), or auto (csv with --out, else table)")
      ->check(CLI::IsMember({"auto", "csv", "table"}))
      ->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace genre::cli
