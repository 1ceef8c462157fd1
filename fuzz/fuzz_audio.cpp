// libFuzzer harness: any bytes as an uploaded file, decoded through the chunk reader exactly as
// genre predict and genre serve do (libsndfile, the container checks, soxr to 22050 Hz, windows).
// Expected outcomes: windows, or an AudioError. Anything else (a crash, a sanitizer report, an
// escaping exception, a timeout or memory beyond -rss_limit_mb) is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "genre/audio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  genre::AudioLimits limits;
  limits.max_seconds = 120;  // the server's bound keeps one input's work finite
  try {
    auto stream = std::make_unique<genre::AudioStream>(data, size, genre::kDefaultSampleRate, "fuzz", limits);
    genre::ChunkReader reader(std::move(stream), genre::ChunkParams{4.0, 2.0, 1.0, false});
    std::vector<float> chunk;
    size_t valid = 0;
    while (reader.next(chunk, nullptr, &valid)) {
    }
  } catch (const genre::AudioError&) {
  }
  return 0;
}
