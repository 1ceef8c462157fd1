// Decoding long files in blocks: the only full-length buffer is the output at the target rate.
// This binary replaces global operator new/delete to track live and peak heap bytes.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "genre/audio.h"
#include "test_util.h"

namespace {
std::atomic<long long> g_live{0}, g_peak{0};
}

void* operator new(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  long long live = g_live += (long long)n;
  long long peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  g_live -= (long long)*reinterpret_cast<std::size_t*>(base);
  std::free(base);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

using namespace genre;
using namespace genre::test;

namespace {
// 8 minutes of stereo 16-bit 44.1 kHz audio (85 MB of WAV), written block by block.
std::string write_long_file(const TempDir& dir) {
  const std::string path = dir.file("long.wav");
  SF_INFO info{};
  info.samplerate = 44100;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  std::vector<float> block(2 * 44100);
  for (int s = 0; s < 8 * 60; ++s) {
    for (size_t i = 0; i < 44100; ++i) block[2 * i] = block[2 * i + 1] = 0.3f * float(std::sin(0.05 * double(i + s)));
    sf_writef_float(f, block.data(), 44100);
  }
  sf_close(f);
  return path;
}
}  // namespace

TEST(AudioMemory, LongFileHoldsOnlyTheTargetRateOutput) {
  TempDir dir;
  const std::string path = write_long_file(dir);
  const long long frames = 8LL * 60 * 44100;
  const long long output_bytes = (frames / 2) * (long long)sizeof(float);        // mono, 22050 Hz
  const long long full_rate_copy = frames * 2 * (long long)sizeof(float);         // what we must not hold

  g_peak = g_live.load();
  const long long before = g_live.load();
  Audio a = load_audio(path, 22050);
  const long long peak = g_peak.load() - before;
  EXPECT_EQ((long long)a.samples.size(), frames / 2);
  EXPECT_LT(peak, output_bytes + 2 * 1024 * 1024) << "peak " << peak << " output " << output_bytes;
  EXPECT_LT(peak, full_rate_copy / 3);
  std::printf("load_audio of 8 min stereo 44.1 kHz: peak heap %.1f MB for %.1f MB of output\n", peak / 1e6,
              output_bytes / 1e6);
}

TEST(AudioMemory, ChunkReaderHoldsAboutOneWindow) {
  TempDir dir;
  const std::string path = write_long_file(dir);
  g_peak = g_live.load();
  const long long before = g_live.load();
  ChunkReader reader(path, {}, 22050);
  std::vector<float> chunk;
  size_t windows = 0;
  while (reader.next(chunk)) ++windows;
  const long long peak = g_peak.load() - before;
  EXPECT_EQ(windows, size_t((8 * 60 - 4) / 2 + 1));
  EXPECT_LT(peak, 4 * 1024 * 1024) << "peak " << peak;  // a 4 s window is 353 KB
}
