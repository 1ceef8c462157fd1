#include "genre/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "genre/audio.h"
#include "genre/files.h"

namespace fs = std::filesystem;

namespace genre {

int Dataset::label_index(const std::string& label) const {
  auto it = std::lower_bound(labels.begin(), labels.end(), label);
  return it != labels.end() && *it == label ? int(it - labels.begin()) : -1;
}

std::vector<std::string> Dataset::songs() const {
  std::set<std::string> s;
  for (const auto& it : items) s.insert(it.song);
  return {s.begin(), s.end()};
}

std::string song_id(const std::string& label, const std::string& file_name) {
  std::string stem = file_name;
  // Drop a known extension (keep dots inside GTZAN names such as blues.00012).
  auto dot = stem.find_last_of('.');
  if (dot != std::string::npos) {
    std::string ext = stem.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".png" || ext == ".csv" || has_audio_extension(stem)) stem = stem.substr(0, dot);
  }
  // Kaggle image names have no dot: blues00012 -> blues.00012.
  size_t digits = stem.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(stem[digits - 1]))) --digits;
  if (digits > 0 && digits < stem.size() && stem.size() - digits == 5 && stem[digits - 1] != '.' &&
      std::isalpha(static_cast<unsigned char>(stem[digits - 1])))
    stem = stem.substr(0, digits) + "." + stem.substr(digits);
  return label + "/" + stem;
}

namespace {

std::string resolve_root(const std::string& path, SourceKind kind) {
  const std::vector<std::string> inner = kind == SourceKind::Image ? std::vector<std::string>{"images_original"}
                                                                   : std::vector<std::string>{"genres_original", "genres", "audio"};
  for (const auto& sub : inner)
    if (fs::is_directory(fs::path(path) / sub)) return (fs::path(path) / sub).string();
  return path;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cell += '"'; ++i; }
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  out.push_back(cell);
  return out;
}

// features_3_sec rows name segments: "blues/blues.00000.3" belongs to song "blues/blues.00000".
std::string segment_song(const std::string& song) {
  auto last = song.find_last_of('.');
  if (last == std::string::npos || last + 1 >= song.size() || song.size() - last - 1 > 2) return song;
  for (size_t i = last + 1; i < song.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(song[i]))) return song;
  auto prev = song.find_last_of('.', last - 1);
  if (prev == std::string::npos || last - prev - 1 != 5) return song;
  for (size_t i = prev + 1; i < last; ++i)
    if (!std::isdigit(static_cast<unsigned char>(song[i]))) return song;
  return song.substr(0, last);
}

Dataset load_table(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open the features table");
  Dataset ds;
  ds.kind = SourceKind::Table;
  ds.root = path;
  ds.sources = {path};
  std::string line;
  if (!std::getline(f, line)) throw std::runtime_error(path + ": empty features table");
  const auto header = split_csv_line(line);
  int file_col = -1, label_col = -1;
  std::vector<int> feature_cols;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "filename") file_col = int(i);
    else if (header[i] == "label") label_col = int(i);
    else if (header[i] != "length") {
      feature_cols.push_back(int(i));
      ds.columns.push_back(header[i]);
    }
  }
  if (file_col < 0 || label_col < 0) throw std::runtime_error(path + ": the table needs 'filename' and 'label' columns");
  std::set<std::string> labels;
  size_t line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto cells = split_csv_line(line);
    if (cells.size() != header.size())
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": expected " + std::to_string(header.size()) +
                               " cells, found " + std::to_string(cells.size()));
    std::vector<float> values;
    for (int c : feature_cols) {
      try {
        size_t used = 0;
        const float v = std::stof(cells[size_t(c)], &used);
        if (used != cells[size_t(c)].size() || !std::isfinite(v)) throw std::invalid_argument("not finite");
        values.push_back(v);
      } catch (const std::exception&) {
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": not a finite number in column " +
                                 header[size_t(c)] + " ('" + cells[size_t(c)].substr(0, 40) + "')");
      }
    }
    Item it;
    it.path = path;
    it.label = cells[size_t(label_col)];
    it.song = segment_song(song_id(it.label, cells[size_t(file_col)]));
    it.row = ds.table.size();
    ds.table.push_back(std::move(values));
    ds.items.push_back(it);
    labels.insert(it.label);
  }
  ds.labels.assign(labels.begin(), labels.end());
  return ds;
}

}  // namespace

Dataset load_dataset(const std::string& path, SourceKind kind) {
  if (path.find(',') != std::string::npos && !fs::exists(path)) {
    // Several collections (e.g. whole clips, low-rate clips and excerpts): one dataset, songs
    // still identified by label and id, so a song's files from every folder share a split part.
    Dataset all;
    std::set<std::string> labels;
    for (size_t a = 0; a <= path.size();) {
      size_t b = path.find(',', a);
      if (b == std::string::npos) b = path.size();
      if (b > a) {
        Dataset one = load_dataset(path.substr(a, b - a), kind);
        if (one.kind == SourceKind::Table) throw std::runtime_error(path + ": a features table cannot be combined with other data");
        all.kind = one.kind;
        all.root = all.root.empty() ? one.root : all.root + "," + one.root;
        labels.insert(one.labels.begin(), one.labels.end());
        for (auto& it : one.items) it.source = all.sources.size();
        all.items.insert(all.items.end(), one.items.begin(), one.items.end());
        all.sources.push_back(path.substr(a, b - a));
      }
      a = b + 1;
    }
    std::sort(all.items.begin(), all.items.end(),
              [](const Item& x, const Item& y) { return x.song != y.song ? x.song < y.song : x.path < y.path; });
    all.labels.assign(labels.begin(), labels.end());
    return all;
  }
  if (kind == SourceKind::Table || (fs::is_regular_file(path) && fs::path(path).extension() == ".csv"))
    return load_table(path);
  const std::string root = resolve_root(path, kind);
  if (!fs::is_directory(root)) throw std::runtime_error(path + ": not a folder of label sub-folders");
  Dataset ds;
  ds.kind = kind;
  ds.root = root;
  ds.sources = {path};
  std::set<std::string> labels;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const std::string label = entry.path().filename().string();
    auto wanted = [kind](const std::string& p) {
      return kind == SourceKind::Image ? fs::path(p).extension() == ".png" : has_audio_extension(p);
    };
    for (const auto& p : walk_files(entry.path().string(), wanted)) {
      ds.items.push_back({p, label, song_id(label, fs::path(p).filename().string()), 0});
      labels.insert(label);
    }
  }
  if (ds.items.empty())
    throw std::runtime_error(path + ": no " + (kind == SourceKind::Image ? "images" : "audio files") +
                             " found in label sub-folders");
  std::sort(ds.items.begin(), ds.items.end(),
            [](const Item& a, const Item& b) { return a.song != b.song ? a.song < b.song : a.path < b.path; });
  ds.labels.assign(labels.begin(), labels.end());
  return ds;
}

}  // namespace genre
