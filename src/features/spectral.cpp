#include "genre/spectral.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "sums.h"

namespace genre {

namespace {
// Frame starts of a (possibly centred) signal, as librosa.util.frame after padding.
size_t frame_count(size_t padded_len, size_t frame_length, size_t hop_length) {
  return padded_len < frame_length ? 0 : 1 + (padded_len - frame_length) / hop_length;
}

// librosa.util.normalize(S, norm=1, axis=frame): the norm in double, the result stored as float32;
// frames whose norm is below float32's smallest normal are left as they are.
void l1_normalized_frame(const float* s, size_t n, std::vector<float>& out) {
  double norm = detail::sum_of(n, [s](size_t k) { return std::abs(double(s[k])); });
  if (norm < double(std::numeric_limits<float>::min())) norm = 1.0;
  out.resize(n);
  for (size_t k = 0; k < n; ++k) out[k] = float(double(s[k]) / norm);
}
}  // namespace

std::vector<float> rms(const std::vector<float>& y, size_t frame_length, size_t hop_length, bool center,
                       PadMode pad_mode) {
  const std::vector<float> x = center ? pad(y, frame_length / 2, frame_length / 2, pad_mode) : y;
  const size_t frames = frame_count(x.size(), frame_length, hop_length);
  std::vector<float> out(frames);
  for (size_t t = 0; t < frames; ++t) {
    const float* f = x.data() + t * hop_length;
    const double acc = detail::sum_of(frame_length, [f](size_t i) { return double(f[i] * f[i]); });  // |x|^2: float32
    out[t] = std::sqrt(float(acc / double(frame_length)));
  }
  return out;
}

std::vector<double> zero_crossing_rate(const std::vector<float>& y, size_t frame_length, size_t hop_length,
                                       bool center, double threshold) {
  const std::vector<float> x = center ? pad(y, frame_length / 2, frame_length / 2, PadMode::Edge) : y;
  // Sign bit of each sample after snapping |x| <= threshold to +0.
  std::vector<unsigned char> neg(x.size());
  for (size_t i = 0; i < x.size(); ++i) neg[i] = std::abs(double(x[i])) <= threshold ? 0 : std::signbit(x[i]);
  const size_t frames = frame_count(x.size(), frame_length, hop_length);
  std::vector<double> out(frames);
  for (size_t t = 0; t < frames; ++t) {
    const unsigned char* s = neg.data() + t * hop_length;
    size_t count = 0;
    for (size_t i = 1; i < frame_length; ++i) count += s[i] != s[i - 1];
    out[t] = double(count) / double(frame_length);
  }
  return out;
}

std::vector<double> spectral_centroid(const Matrix& S, double sr) {
  const auto freq = fft_frequencies(sr, 2 * (S.cols - 1));
  std::vector<double> out(S.rows);
  std::vector<float> norm;
  for (size_t t = 0; t < S.rows; ++t) {
    l1_normalized_frame(S.row(t), S.cols, norm);
    out[t] = detail::sum_of(S.cols, [&](size_t k) { return freq[k] * double(norm[k]); });
  }
  return out;
}

std::vector<double> spectral_bandwidth(const Matrix& S, double sr, const std::vector<double>& centroid, double p) {
  if (centroid.size() != S.rows) throw std::invalid_argument("spectral_bandwidth: centroid length != frames");
  const auto freq = fft_frequencies(sr, 2 * (S.cols - 1));
  std::vector<double> out(S.rows);
  std::vector<float> norm;
  for (size_t t = 0; t < S.rows; ++t) {
    l1_normalized_frame(S.row(t), S.cols, norm);
    const double c = centroid[t];
    const double acc = p == 2.0 ? detail::sum_of(S.cols, [&](size_t k) { return double(norm[k]) * (freq[k] - c) * (freq[k] - c); })
                                : detail::sum_of(S.cols, [&](size_t k) { return double(norm[k]) * std::pow(std::abs(freq[k] - c), p); });
    out[t] = p == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
  }
  return out;
}

std::vector<double> spectral_rolloff(const Matrix& S, double sr, double roll_percent) {
  const auto freq = fft_frequencies(sr, 2 * (S.cols - 1));
  std::vector<double> out(S.rows);
  std::vector<float> cumsum(S.cols);
  for (size_t t = 0; t < S.rows; ++t) {
    const float* s = S.row(t);
    float acc = 0.f;  // numpy.cumsum of float32 is a sequential float32 sum
    for (size_t k = 0; k < S.cols; ++k) cumsum[k] = acc += s[k];
    const float threshold = float(roll_percent) * cumsum[S.cols - 1];
    size_t k = 0;
    while (k < S.cols && cumsum[k] < threshold) ++k;
    out[t] = k < S.cols ? freq[k] : freq[S.cols - 1];
  }
  return out;
}

}  // namespace genre
