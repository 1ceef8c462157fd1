// write_wav: mono 16-bit PCM WAV through libsndfile (genre gan sample's output).
#include <sndfile.h>

#include <algorithm>
#include <stdexcept>

#include "genre/audio.h"

namespace genre {

void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error(path + ": cannot write (" + sf_strerror(nullptr) + ")");
  std::vector<float> clipped(samples.size());
  std::transform(samples.begin(), samples.end(), clipped.begin(), [](float v) { return std::clamp(v, -1.f, 1.f); });
  const sf_count_t n = sf_writef_float(f, clipped.data(), sf_count_t(clipped.size()));
  sf_close(f);
  if (n != sf_count_t(clipped.size())) throw std::runtime_error(path + ": write failed (disk full?)");
}

}  // namespace genre
