// band_limit (genre/audio.h): a signal as a lower-rate recording of it would sound.
#include <soxr.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "genre/audio.h"

namespace genre {

namespace {

std::vector<float> resample(const std::vector<float>& y, double from, double to) {
  std::vector<float> out(size_t(std::ceil(double(y.size()) * to / from)) + 16);
  size_t done = 0;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_error_t err = soxr_oneshot(from, to, 1, y.data(), y.size(), nullptr, out.data(), out.size(), &done, &io, &q, nullptr);
  if (err) throw std::runtime_error(std::string("band_limit: libsoxr: ") + err);
  out.resize(done);
  return out;
}

}  // namespace

std::vector<float> band_limit(const std::vector<float>& y, int sample_rate, double max_hz) {
  if (!(max_hz > 0) || 2 * max_hz >= sample_rate || y.empty()) return y;
  std::vector<float> back = resample(resample(y, sample_rate, 2 * max_hz), 2 * max_hz, sample_rate);
  back.resize(y.size(), 0.f);
  return back;
}

}  // namespace genre
