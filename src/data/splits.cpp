#include "genre/splits.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace genre {
namespace detail {
extern const std::pair<const char*, const char*> kFaultFilteredLists[3];
}

const char* part_name(Part p) {
  switch (p) {
    case Part::Train: return "train";
    case Part::Valid: return "valid";
    case Part::Test: return "test";
    case Part::None: break;
  }
  return "none";
}

Part parse_part(const std::string& name) {
  if (name == "train") return Part::Train;
  if (name == "valid" || name == "validation" || name == "val") return Part::Valid;
  if (name == "test") return Part::Test;
  throw std::invalid_argument("unknown split part '" + name + "' (train, valid or test)");
}

namespace {

// "blues/blues.00012.wav" -> "blues/blues.00012"
std::string list_song(std::string entry) {
  while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' ')) entry.pop_back();
  auto slash = entry.find('/');
  auto dot = entry.find_last_of('.');
  if (dot != std::string::npos && slash != std::string::npos && dot > slash) {
    std::string ext = entry.substr(dot);
    if (ext.size() <= 5 && ext.find_first_of("0123456789") == std::string::npos) entry = entry.substr(0, dot);
  }
  return entry;
}

void add_list(std::map<std::string, Part>& out, Part part, std::istream& in, const std::string& source) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string song = list_song(line);
    if (song.find('/') == std::string::npos)
      throw std::runtime_error(source + ": '" + line + "' is not a <label>/<name> entry");
    out[song] = part;
  }
}

std::map<std::string, Part> read_lists(const std::string& path) {
  std::map<std::string, Part> out;
  if (fs::is_directory(path)) {
    bool any = false;
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      for (Part p : {Part::Train, Part::Valid, Part::Test}) {
        if (name.rfind(part_name(p), 0) == 0 && e.path().extension() == ".txt") {
          std::ifstream f(e.path());
          add_list(out, p, f, e.path().string());
          any = true;
        }
      }
    }
    if (!any) throw std::runtime_error(path + ": no train*.txt, valid*.txt or test*.txt lists");
    return out;
  }
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open the split file");
  std::string line;
  size_t n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string part, entry;
    if (!(ss >> part >> entry))
      throw std::runtime_error(path + ":" + std::to_string(n) + ": expected '<train|valid|test> <label>/<name>'");
    out[list_song(entry)] = parse_part(part);
  }
  return out;
}

std::vector<double> parse_fractions(const std::string& s, const std::string& whole) {
  std::vector<double> v;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, '/');) v.push_back(std::stod(x));
  if (v.size() < 2 || v.size() > 3) throw std::invalid_argument("split '" + whole + "': expected train/valid[/test]");
  if (v.size() == 2) v.push_back(0);
  double sum = v[0] + v[1] + v[2];
  if (sum <= 0) throw std::invalid_argument("split '" + whole + "': fractions must be positive");
  for (double& x : v) x /= sum;
  return v;
}

// Songs grouped by label (a song's label is that of its items), each group sorted.
std::map<std::string, std::vector<std::string>> songs_by_label(const Dataset& ds) {
  std::map<std::string, std::vector<std::string>> g;
  for (const auto& it : ds.items) {
    auto& v = g[it.label];
    if (v.empty() || v.back() != it.song) v.push_back(it.song);
  }
  for (auto& [label, v] : g) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  return g;
}

}  // namespace

const std::vector<std::pair<Part, std::string>>& fault_filtered_songs() {
  static const std::vector<std::pair<Part, std::string>> songs = [] {
    std::vector<std::pair<Part, std::string>> v;
    for (const auto& [part, text] : detail::kFaultFilteredLists) {
      std::istringstream in(text);
      std::map<std::string, Part> m;
      add_list(m, parse_part(part), in, "fault-filtered");
      for (auto& [song, p] : m) v.emplace_back(p, song);
    }
    return v;
  }();
  return songs;
}

SplitSpec parse_split(const std::string& text, uint64_t seed) {
  SplitSpec s;
  s.seed = seed;
  s.text = text;
  if (text.rfind("stratified", 0) == 0) {
    s.kind = SplitSpec::Kind::Stratified;
    if (text.size() > 10) {
      if (text[10] != ':') throw std::invalid_argument("split '" + text + "': use stratified:80/10/10");
      auto f = parse_fractions(text.substr(11), text);
      s.train = f[0], s.valid = f[1], s.test = f[2];
    }
  } else if (text.rfind("kfold:", 0) == 0) {
    s.kind = SplitSpec::Kind::KFold;
    std::stringstream ss(text.substr(6));
    std::string k, f;
    std::getline(ss, k, ':');
    std::getline(ss, f, ':');
    s.folds = std::stoi(k);
    s.fold = f.empty() ? 0 : std::stoi(f);
    if (s.folds < 3) throw std::invalid_argument("split '" + text + "': kfold needs K >= 3 (test, valid and train folds)");
    if (s.fold < 0 || s.fold >= s.folds) throw std::invalid_argument("split '" + text + "': fold must be in [0, K)");
  } else if (text == "fault-filtered") {
    s.kind = SplitSpec::Kind::Lists;
    s.path = "fault-filtered";
  } else if (fs::exists(text)) {
    s.kind = SplitSpec::Kind::Lists;
    s.path = text;
  } else {
    throw std::invalid_argument("unknown split '" + text +
                                "' (stratified:80/10/10, fault-filtered, kfold:5[:F], or a list file/folder)");
  }
  return s;
}

std::vector<Part> assign_parts(const Dataset& ds, const SplitSpec& spec) {
  std::map<std::string, Part> by_song;
  if (spec.kind == SplitSpec::Kind::Lists) {
    if (spec.path == "fault-filtered") {
      for (const auto& [p, song] : fault_filtered_songs()) by_song[song] = p;
    } else {
      by_song = read_lists(spec.path);
    }
  } else {
    std::mt19937_64 rng(spec.seed);
    size_t deal = 0;  // k-fold: each label continues dealing where the previous one stopped
    for (auto [label, songs] : songs_by_label(ds)) {
      std::shuffle(songs.begin(), songs.end(), rng);
      const size_t n = songs.size();
      if (spec.kind == SplitSpec::Kind::Stratified) {
        // Round the valid and test counts; train takes the rest (at least one song when possible).
        size_t n_test = size_t(std::lround(spec.test * double(n)));
        size_t n_valid = size_t(std::lround(spec.valid * double(n)));
        while (n_test + n_valid >= n && n_test + n_valid > 0 && n > 1) (n_test > n_valid ? n_test : n_valid)--;
        for (size_t i = 0; i < n; ++i)
          by_song[songs[i]] = i < n_test ? Part::Test : i < n_test + n_valid ? Part::Valid : Part::Train;
      } else {
        // Deal the shuffled songs of each label round-robin into folds.
        for (size_t i = 0; i < n; ++i) {
          const int fold = int((deal + i) % size_t(spec.folds));
          by_song[songs[i]] = fold == spec.fold                      ? Part::Test
                              : fold == (spec.fold + 1) % spec.folds ? Part::Valid
                                                                    : Part::Train;
        }
        deal += n;
      }
    }
  }
  std::vector<Part> parts(ds.items.size(), Part::None);
  for (size_t i = 0; i < ds.items.size(); ++i) {
    auto it = by_song.find(ds.items[i].song);
    if (it != by_song.end()) parts[i] = it->second;
  }
  return parts;
}

}  // namespace genre
