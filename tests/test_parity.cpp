// Parity with the reference implementations:
//  - librosa, through GTZAN's Kaggle features_30_sec.csv (computed by librosa on the original clips):
//    a committed two-clip fixture that always runs, and all 20 lossless clips of ../shared when present;
//  - torchaudio's log-mel front end, through committed fixtures (tools/make_torchaudio_fixtures.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "genre/audio.h"
#include "genre/files.h"
#include "genre/gtzan_features.h"
#include "genre/mel.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;
namespace fs = std::filesystem;

namespace {

using CsvTable = std::vector<std::map<std::string, std::string>>;

CsvTable read_csv(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) out.push_back(cell);
    return out;
  };
  std::string line;
  std::getline(f, line);
  const auto header = split(line);
  CsvTable rows;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    auto cells = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

std::string stem(const std::string& filename) { return filename.substr(0, filename.find_last_of('.')); }

std::map<std::string, double> column_std() {
  std::map<std::string, double> sd;
  for (auto& r : read_csv(data_dir() + "/gtzan/features_30_sec_column_std.csv")) sd[r["column"]] = std::stod(r["std"]);
  return sd;
}

struct ParityReport {
  std::map<std::string, std::vector<double>> scaled_errors;  // per column, |ours - librosa| / std
  size_t tempo_within_1bpm = 0, clips = 0;
};

// Computes our features for `files` and compares them with the reference rows (matched by stem).
ParityReport compare(const std::vector<LabeledFile>& files, const CsvTable& reference) {
  std::map<std::string, std::map<std::string, std::string>> by_stem;
  for (auto& r : reference) by_stem[stem(r.at("filename"))] = r;
  const auto sd = column_std();
  const auto& names = gtzan_feature_names();
  ParityReport rep;
  for (const auto& f : files) {
    auto it = by_stem.find(stem(file_name(f.path)));
    if (it == by_stem.end()) throw std::runtime_error("no reference row for " + f.path);
    Audio a = load_audio(f.path, 22050);
    EXPECT_EQ(std::to_string(a.samples.size()), it->second.at("length")) << f.path;
    auto ours = gtzan_features(a.samples, a.sample_rate);
    for (size_t i = 0; i < names.size(); ++i) {
      const double theirs = std::stod(it->second.at(names[i]));
      rep.scaled_errors[names[i]].push_back(std::abs(ours[i] - theirs) / sd.at(names[i]));
      if (names[i] == "tempo" && std::abs(ours[i] - theirs) <= 1.0) rep.tempo_within_1bpm++;
    }
    rep.clips++;
  }
  return rep;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string shared_gtzan_dir() {
  if (const char* env = std::getenv("GENRE_GTZAN_DIR")) return env;
  return source_dir() + "/../shared/data/gtzan";
}

}  // namespace

TEST(LibrosaParity, CommittedFixture) {
  auto files = find_audio_files({data_dir() + "/gtzan"});
  ASSERT_EQ(files.size(), 2u);
  auto rep = compare(files, read_csv(data_dir() + "/gtzan/features_30_sec_expected.csv"));
  for (const auto& [column, errs] : rep.scaled_errors)
    for (double e : errs) EXPECT_LE(e, 0.01) << column;
  EXPECT_EQ(rep.tempo_within_1bpm, 2u);
}

TEST(LibrosaParity, AllLosslessClipsOfSharedGtzan) {
  const std::string dir = shared_gtzan_dir();
  if (!fs::exists(dir + "/audio-lossless") || !fs::exists(dir + "/features_30_sec.csv"))
    GTEST_SKIP() << "SKIPPED: " << dir << " is not present; the 20-clip librosa parity check needs "
                 << "../shared/data/gtzan (or GENRE_GTZAN_DIR). The committed fixture test still ran.";
  auto files = find_audio_files({dir + "/audio-lossless"});
  ASSERT_EQ(files.size(), 20u);
  auto rep = compare(files, read_csv(dir + "/features_30_sec.csv"));
  ASSERT_EQ(rep.clips, 20u);
  double worst = 0;
  for (const auto& [column, errs] : rep.scaled_errors) {
    EXPECT_LE(median(errs), 0.01) << column;
    if (column != "tempo") EXPECT_LE(*std::max_element(errs.begin(), errs.end()), 0.05) << column;
    if (column != "tempo") worst = std::max(worst, *std::max_element(errs.begin(), errs.end()));
  }
  EXPECT_GE(rep.tempo_within_1bpm, 18u);
  std::printf("librosa parity over 20 clips: worst |diff|/std outside tempo = %.2e; tempo within 1 BPM: %zu/20\n",
              worst, rep.tempo_within_1bpm);
}

TEST(TorchaudioParity, LogMelFixtures) {
  const std::string dir = data_dir() + "/torchaudio";
  auto manifest = nlohmann::json::parse(read_bytes(dir + "/manifest.json"));
  ASSERT_GE(manifest.size(), 3u);
  auto read_f32 = [](const std::string& path) {
    std::string b = read_bytes(path);
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
  };
  for (const auto& c : manifest) {
    const std::string name = c["name"];
    auto y = read_f32(dir + "/" + name + ".signal.f32");
    auto expected = read_f32(dir + "/" + name + ".logmel.f32");  // (n_mels, frames)
    ASSERT_EQ(y.size(), c["samples"].get<size_t>());
    StftParams sp;
    sp.n_fft = c["n_fft"];
    sp.hop_length = c["hop_length"];
    MelParams mp;
    mp.n_mels = c["n_mels"];
    mp.fmin = c["f_min"];
    mp.fmax = c["f_max"].is_null() ? -1.0 : c["f_max"].get<double>();
    Matrix ours = melspectrogram(y, c["sr"].get<double>(), sp, mp);
    power_to_db(ours);  // ref 1, amin 1e-10, top_db 80: AmplitudeToDB('power', top_db=80)
    const size_t frames = c["n_frames"];
    ASSERT_EQ(ours.rows, frames) << name;
    ASSERT_EQ(ours.cols, mp.n_mels) << name;
    const float peak = *std::max_element(expected.begin(), expected.end());
    double worst = 0;
    size_t compared = 0;
    for (size_t m = 0; m < mp.n_mels; ++m)
      for (size_t t = 0; t < frames; ++t) {
        const float ref = expected[m * frames + t];
        if (ref <= peak - 80.f + 1e-3f) continue;  // bins within 80 dB of the maximum (not the top_db floor)
        worst = std::max(worst, std::abs(double(ours(t, m)) - ref));
        ++compared;
      }
    EXPECT_LE(worst, 0.01) << name;
    EXPECT_GT(compared, frames * mp.n_mels / 4) << name;  // most bins carry signal above the floor
    std::printf("torchaudio parity %s: max |diff| %.5f dB over %zu bins\n", name.c_str(), worst, compared);
  }
}
