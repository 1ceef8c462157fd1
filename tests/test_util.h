// Helpers shared by the tests: synthesized signals, files written through libsndfile, temp folders.
#pragma once

#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace genre::test {

inline std::string source_dir() { return GENRE_SOURCE_DIR; }
inline std::string data_dir() { return source_dir() + "/tests/data"; }

// A fresh folder under the system temp dir, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("genre-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::vector<float> sine(double freq, double sr, size_t n, double amp = 0.5, double phase = 0.0) {
  std::vector<float> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = float(amp * std::sin(2 * M_PI * freq * double(i) / sr + phase));
  return y;
}

inline std::vector<float> noise(size_t n, double amp, unsigned seed = 1) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.f, float(amp));
  std::vector<float> y(n);
  for (auto& v : y) v = d(g);
  return y;
}

// Writes interleaved float samples with libsndfile in the given format; returns the path.
inline std::string write_audio(const std::string& path, const std::vector<float>& interleaved, int sr, int channels,
                               int format) {
  SF_INFO info{};
  info.samplerate = sr;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("test: cannot write " + path + ": " + sf_strerror(nullptr));
  sf_writef_float(f, interleaved.data(), sf_count_t(interleaved.size() / size_t(channels)));
  sf_close(f);
  return path;
}

// A folder-per-genre collection of three "genres" that any model tells apart: low tones, high
// tones and noise, `songs` of each, `seconds` long, 16-bit WAV at 22050 Hz, named like GTZAN
// (<label>/<label>.0000N.wav). Returns the folder.
inline std::string write_tone_collection(const std::string& root, int songs, int seconds) {
  const char* labels[] = {"low", "high", "noisy"};
  for (int l = 0; l < 3; ++l) {
    std::filesystem::create_directories(root + "/" + labels[l]);
    for (int s = 0; s < songs; ++s) {
      const size_t n = size_t(22050 * seconds);
      const std::vector<float> y = l == 0 ? sine(110.0 + 20 * s, 22050, n, 0.4)
                                   : l == 1 ? sine(2500.0 + 200 * s, 22050, n, 0.4)
                                            : noise(n, 0.2, unsigned(s + 1));
      char name[64];
      std::snprintf(name, sizeof name, "/%s/%s.%05d.wav", labels[l], labels[l], s);
      write_audio(root + name, y, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    }
  }
  return root;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, size_t from = 0, size_t to = 0) {
  if (to == 0) to = std::min(a.size(), b.size());
  double m = 0;
  for (size_t i = from; i < to; ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace genre::test
