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
