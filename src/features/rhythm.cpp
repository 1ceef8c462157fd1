#include "genre/rhythm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "fft.h"
#include "genre/spectrum.h"

namespace genre {

std::vector<float> onset_strength(const Matrix& S, Aggregate aggregate, size_t lag, size_t n_fft,
                                  size_t hop_length) {
  const size_t T = S.rows, B = S.cols;
  std::vector<float> env(T, 0.f);
  const size_t shift = lag + n_fft / (2 * hop_length);
  std::vector<float> flux(B);
  for (size_t j = 0; j + lag < T; ++j) {
    if (j + shift >= T) break;
    const float* cur = S.row(j + lag);
    const float* ref = S.row(j);
    for (size_t b = 0; b < B; ++b) flux[b] = std::max(0.f, cur[b] - ref[b]);
    if (aggregate == Aggregate::Mean) {
      float acc = 0.f;  // numpy sums float32 rows one after another for a mean over axis 0
      for (size_t b = 0; b < B; ++b) acc += flux[b];
      env[j + shift] = acc / float(B);
    } else {
      // numpy.median: the middle value, or the mean of the two middle values for an even count.
      const size_t mid = B / 2;
      std::nth_element(flux.begin(), flux.begin() + long(mid), flux.end());
      const float hi = flux[mid];
      env[j + shift] = B % 2 ? hi : (*std::max_element(flux.begin(), flux.begin() + long(mid)) + hi) / 2.f;
    }
  }
  return env;
}

Array2D<double> tempogram(const std::vector<float>& env, size_t win_length) {
  const size_t n = env.size();
  if (win_length == 0) throw std::invalid_argument("tempogram: win_length must be > 0");
  // numpy.pad(env, win_length // 2, mode='linear_ramp', end_values=0).
  const size_t half = win_length / 2;
  std::vector<float> padded(n + 2 * half, 0.f);
  std::copy(env.begin(), env.end(), padded.begin() + long(half));
  if (n > 0) {
    const double first = env.front(), last = env.back();
    for (size_t j = 0; j < half; ++j) {
      padded[j] = float(first * double(j) / double(half));
      padded[half + n + j] = float(last * double(half - 1 - j) / double(half));
    }
  }
  const auto window = hann_window(win_length);
  size_t fft_n = 1;
  while (fft_n < 2 * win_length - 1) fft_n <<= 1;  // any length >= 2L-1 gives the linear autocorrelation
  detail::RealFft fft(fft_n);
  Array2D<double> tg(n, win_length);
  for (size_t t = 0; t < n; ++t) {
    double* in = fft.real();
    for (size_t i = 0; i < win_length; ++i) in[i] = double(padded[t + i]) * window[i];
    std::fill(in + win_length, in + fft_n, 0.0);
    fft.forward();
    std::complex<double>* spec = fft.spectrum();
    for (size_t k = 0; k < fft.bins(); ++k) spec[k] = std::norm(spec[k]);
    fft.inverse();
    const double* ac = fft.real();
    double peak = 0.0;
    for (size_t i = 0; i < win_length; ++i) peak = std::max(peak, std::abs(ac[i]));
    if (peak < std::numeric_limits<double>::min()) peak = 1.0;
    double* row = tg.row(t);
    for (size_t i = 0; i < win_length; ++i) row[i] = ac[i] / peak;
  }
  return tg;
}

double tempo(const std::vector<float>& env, double sr, const TempoParams& p) {
  const size_t win = size_t(std::floor(p.ac_size * sr / double(p.hop_length)));
  if (env.empty() || win < 2) return p.start_bpm;
  const Array2D<double> tg = tempogram(env, win);
  std::vector<double> mean_tg(win, 0.0);
  for (size_t t = 0; t < tg.rows; ++t)
    for (size_t i = 0; i < win; ++i) mean_tg[i] += tg(t, i);
  for (double& v : mean_tg) v /= double(tg.rows);
  // bpm_k = 60 sr / (hop k); log-normal prior; lags faster than max_tempo excluded.
  const double bpm_scale = 60.0 * sr / double(p.hop_length);
  size_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (size_t k = 1; k < win; ++k) {
    const double bpm = bpm_scale / double(k);
    if (bpm >= p.max_tempo) continue;
    const double z = (std::log2(bpm) - std::log2(p.start_bpm)) / p.std_bpm;
    const double score = std::log1p(1e6 * mean_tg[k]) - 0.5 * z * z;
    if (score > best_score) { best_score = score; best = k; }
  }
  return best == 0 ? p.start_bpm : bpm_scale / double(best);
}

}  // namespace genre
