// Google Benchmark timings of the front end on one real 30 s GTZAN clip (single thread).
// bench/compare.py runs this binary and the Python references in the same run.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "genre/audio.h"
#include "genre/gtzan_features.h"
#include "genre/mel.h"
#include "genre/runtime.h"

namespace {
std::string clip_path() {
  if (const char* p = std::getenv("GENRE_BENCH_CLIP")) return p;
  return std::string(GENRE_SOURCE_DIR) + "/tests/data/gtzan/jazz/jazz.00001.flac";
}
const genre::Audio& clip() {
  static genre::Audio a = genre::load_audio(clip_path(), 22050);
  return a;
}
}  // namespace

static void BM_Decode30s(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(genre::load_audio(clip_path(), 22050));
}
BENCHMARK(BM_Decode30s)->Unit(benchmark::kMillisecond);

static void BM_LogMel30s(benchmark::State& state) {
  const auto& y = clip().samples;
  const genre::LogMelSpectrogram logmel;  // n_fft 2048, hop 512, 128 Slaney mels, top_db 80; built once,
                                          // as the torchaudio modules it is compared with
  for (auto _ : state) benchmark::DoNotOptimize(logmel(y).data.data());
}
BENCHMARK(BM_LogMel30s)->Unit(benchmark::kMillisecond);

static void BM_FeatureRow30s(benchmark::State& state) {
  const auto& y = clip().samples;
  for (auto _ : state) benchmark::DoNotOptimize(genre::gtzan_features(y, 22050));
}
BENCHMARK(BM_FeatureRow30s)->Unit(benchmark::kMillisecond);

// The allocator set up as the genre CLI sets it (see genre/runtime.h).
int main(int argc, char** argv) {
  genre::configure_memory(genre::MemoryUse::Batch);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
