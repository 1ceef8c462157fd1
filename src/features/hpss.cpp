#include "genre/hpss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace genre {

std::vector<float> median_filter(const std::vector<float>& x, size_t size) {
  if (size % 2 == 0) throw std::invalid_argument("median_filter: size must be odd");
  const size_t n = x.size(), half = size / 2;
  std::vector<float> out(n);
  if (n == 0) return out;
  const std::vector<float> ext = pad(x, half, half, PadMode::Symmetric);
  // A sorted copy of the current window, updated by one removal and one insertion per step.
  std::vector<float> win(ext.begin(), ext.begin() + long(size));
  std::sort(win.begin(), win.end());
  float* w = win.data();
  out[0] = w[half];
  for (size_t i = 1; i < n; ++i) {
    const float old_v = ext[i - 1], new_v = ext[i - 1 + size];
    size_t p = size_t(std::lower_bound(w, w + size, old_v) - w);  // an element equal to old_v
    if (new_v >= old_v) {
      size_t q = p;
      while (q + 1 < size && w[q + 1] < new_v) { w[q] = w[q + 1]; ++q; }
      w[q] = new_v;
    } else {
      size_t q = p;
      while (q > 0 && w[q - 1] > new_v) { w[q] = w[q - 1]; --q; }
      w[q] = new_v;
    }
    out[i] = w[half];
  }
  return out;
}

HpssMasks hpss_masks(const Matrix& S, const HpssParams& p) {
  const size_t T = S.rows, K = S.cols;
  // Harmonic: median over time for each bin; percussive: median over bins for each frame.
  Matrix harm(T, K), perc(T, K);
  std::vector<float> line(T);
  for (size_t k = 0; k < K; ++k) {
    for (size_t t = 0; t < T; ++t) line[t] = S(t, k);
    const auto m = median_filter(line, p.kernel_size);
    for (size_t t = 0; t < T; ++t) harm(t, k) = m[t];
  }
  std::vector<float> frame(K);
  for (size_t t = 0; t < T; ++t) {
    std::copy_n(S.row(t), K, frame.begin());
    const auto m = median_filter(frame, p.kernel_size);
    std::copy(m.begin(), m.end(), perc.row(t));
  }
  // librosa.util.softmask(X, X_ref * margin, power), split_zeros when both margins are 1.
  const bool split_zeros = p.margin == 1.0;
  const float tiny = std::numeric_limits<float>::min();
  auto softmask = [&](float x, float ref) -> float {
    const float z = std::max(x, ref);
    if (z < tiny) return split_zeros ? 0.5f : 0.f;
    const float a = std::pow(x / z, float(p.power)), b = std::pow(ref / z, float(p.power));
    return a / (a + b);
  };
  HpssMasks masks{Matrix(T, K), Matrix(T, K)};
  const float margin = float(p.margin);
  for (size_t i = 0; i < S.size(); ++i) {
    masks.harmonic.data[i] = softmask(harm.data[i], perc.data[i] * margin);
    masks.percussive.data[i] = softmask(perc.data[i], harm.data[i] * margin);
  }
  return masks;
}

HpssSignals hpss(const ComplexMatrix& D, size_t n_samples, const HpssParams& p, const StftParams& stft) {
  const Matrix S = spectrogram(D, 1.0);
  const HpssMasks m = hpss_masks(S, p);
  ComplexMatrix H(D.rows, D.cols), P(D.rows, D.cols);
  for (size_t i = 0; i < D.size(); ++i) {
    // S * mask * exp(i angle(D)); the phase factor is D / |D| (1 where D = 0).
    const std::complex<float> d = D.data[i];
    const float mag = S.data[i];
    const std::complex<float> phase = mag > 0 ? d / mag : std::complex<float>(1.f, 0.f);
    H.data[i] = (mag * m.harmonic.data[i]) * phase;
    P.data[i] = (mag * m.percussive.data[i]) * phase;
  }
  return {istft(H, stft, n_samples), istft(P, stft, n_samples)};
}

HpssSignals hpss(const std::vector<float>& y, const HpssParams& p, const StftParams& stft) {
  return hpss(genre::stft(y, stft), y.size(), p, stft);
}

}  // namespace genre
