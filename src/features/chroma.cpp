#include "genre/chroma.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "genre/spectrum.h"

namespace genre {

namespace {

// Walks the spectral peaks that librosa.piptrack keeps: local maxima along frequency of the frame
// thresholded at `threshold` x its maximum, within [fmin, fmax), each refined by parabolic
// interpolation. Calls fn(frame, bin, pitch_hz, magnitude) for each.
template <class Fn>
void for_each_pitch_peak(const Matrix& S, double sr, double fmin, double fmax, double threshold, Fn fn) {
  const size_t K = S.cols;
  const size_t n_fft = 2 * (K - 1);
  fmin = std::max(fmin, 0.0);
  fmax = std::min(fmax, sr / 2);
  const auto freqs = fft_frequencies(sr, n_fft);
  // Bins inside [fmin, fmax); bin 0 is never a peak (edge padding) and K-1 has no upper neighbour.
  size_t k_lo = 0, k_hi = K;
  while (k_lo < K && !(freqs[k_lo] >= fmin)) ++k_lo;
  while (k_hi > k_lo && !(freqs[k_hi - 1] < fmax)) --k_hi;
  const float tiny = std::numeric_limits<float>::min();
  std::vector<float> x(K);
  for (size_t t = 0; t < S.rows; ++t) {
    const float* s = S.row(t);
    const float ref = float(threshold) * *std::max_element(s, s + K);
    for (size_t k = 0; k < K; ++k) x[k] = s[k] > ref ? s[k] : 0.f;
    for (size_t k = std::max<size_t>(k_lo, 1); k < k_hi; ++k) {
      // util.localmax along frequency (edge padding): x[k] > x[k-1] and x[k] >= x[k+1].
      const float up = k + 1 < K ? x[k + 1] : x[k];
      if (!(x[k] > x[k - 1] && x[k] >= up)) continue;
      if (k + 1 == K) {  // librosa pads avg and shift with zeros at the edges
        fn(t, k, float(double(k) * sr / double(n_fft)), s[k]);
        continue;
      }
      const float avg = 0.5f * (s[k + 1] - s[k - 1]);
      float shift = 2.f * s[k] - s[k + 1] - s[k - 1];
      shift = avg / (shift + (std::abs(shift) < tiny ? 1.f : 0.f));
      fn(t, k, float((double(k) + double(shift)) * sr / double(n_fft)), s[k] + 0.5f * avg * shift);
    }
  }
}

}  // namespace

Pitches piptrack(const Matrix& S, double sr, double fmin, double fmax, double threshold) {
  Pitches out{Matrix(S.rows, S.cols), Matrix(S.rows, S.cols)};
  for_each_pitch_peak(S, sr, fmin, fmax, threshold, [&](size_t t, size_t k, float pitch, float mag) {
    out.pitch(t, k) = pitch;
    out.magnitude(t, k) = mag;
  });
  return out;
}

double pitch_tuning(const std::vector<float>& frequencies, double resolution, int bins_per_octave) {
  std::vector<float> residual;
  for (float f : frequencies) {
    if (!(f > 0)) continue;
    // hz_to_octs in float32: log2(f / (440 / 16)), times bins_per_octave, mod 1.
    float octs = std::log2(f / float(440.0 / 16));
    float r = float(bins_per_octave) * octs;
    r = r - std::floor(r);  // numpy.mod with a positive divisor
    if (r >= 0.5f) r -= 1.0f;
    residual.push_back(r);
  }
  if (residual.empty()) return 0.0;
  // numpy.histogram over edges linspace(-0.5, 0.5, ceil(1/resolution) + 1).
  const size_t n_bins = size_t(std::ceil(1.0 / resolution));
  std::vector<double> edges(n_bins + 1);
  const double step = 1.0 / double(n_bins);
  for (size_t i = 0; i <= n_bins; ++i) edges[i] = double(i) * step - 0.5;
  edges[n_bins] = 0.5;
  std::vector<size_t> counts(n_bins, 0);
  const double norm = double(n_bins) / (edges[n_bins] - edges[0]);
  for (float rf : residual) {
    const double r = rf;
    if (r < edges[0] || r > edges[n_bins]) continue;
    long idx = long((r - edges[0]) * norm);
    if (idx == long(n_bins)) idx -= 1;
    if (r < edges[size_t(idx)]) idx -= 1;
    else if (idx + 1 < long(n_bins) && r >= edges[size_t(idx) + 1]) idx += 1;
    counts[size_t(idx)]++;
  }
  size_t best = size_t(std::max_element(counts.begin(), counts.end()) - counts.begin());
  return edges[best];
}

double estimate_tuning(const Matrix& S, double sr, double resolution, int bins_per_octave) {
  std::vector<float> pitches, mags;
  for_each_pitch_peak(S, sr, 150.0, 4000.0, 0.1, [&](size_t, size_t, float pitch, float mag) {
    if (pitch > 0) {
      pitches.push_back(pitch);
      mags.push_back(mag);
    }
  });
  double threshold = 0.0;
  if (!mags.empty()) {
    // numpy.median: the mean of the two middle values for an even count (float32 arithmetic).
    std::vector<float> sorted = mags;
    const size_t mid = sorted.size() / 2;
    std::nth_element(sorted.begin(), sorted.begin() + long(mid), sorted.end());
    const float hi = sorted[mid];
    threshold = sorted.size() % 2 ? hi : (*std::max_element(sorted.begin(), sorted.begin() + long(mid)) + hi) / 2.f;
  }
  std::vector<float> kept;
  for (size_t i = 0; i < pitches.size(); ++i)
    if (mags[i] >= threshold) kept.push_back(pitches[i]);
  return pitch_tuning(kept, resolution, bins_per_octave);
}

Matrix chroma_filters(double sr, size_t n_fft, const ChromaParams& p) {
  const int nc = p.n_chroma;
  const double a440 = 440.0 * std::pow(2.0, p.tuning / double(nc));
  // frqbins over the full FFT range (bins 1..n_fft-1), bin 0 placed 1.5 octaves below bin 1.
  std::vector<double> frqbins(n_fft);
  for (size_t k = 1; k < n_fft; ++k) {
    const double f = double(k) * (sr / double(n_fft));
    frqbins[k] = double(nc) * std::log2(f / (a440 / 16.0));
  }
  frqbins[0] = frqbins[1] - 1.5 * double(nc);
  std::vector<double> width(n_fft, 1.0);
  for (size_t k = 0; k + 1 < n_fft; ++k) width[k] = std::max(frqbins[k + 1] - frqbins[k], 1.0);
  const double half = std::round(double(nc) / 2.0);
  Array2D<double> wts(size_t(nc), n_fft);
  for (size_t k = 0; k < n_fft; ++k) {
    double norm = 0.0;
    for (int c = 0; c < nc; ++c) {
      double d = frqbins[k] - double(c);
      d = std::fmod(d + half + 10.0 * nc, double(nc));
      if (d < 0) d += nc;
      d -= half;
      const double w = std::exp(-0.5 * std::pow(2.0 * d / width[k], 2.0));
      wts(size_t(c), k) = w;
      norm += w * w;
    }
    norm = std::sqrt(norm);
    if (norm < std::numeric_limits<double>::min()) norm = 1.0;
    const double octave_weight =
        p.octwidth > 0 ? std::exp(-0.5 * std::pow((frqbins[k] / nc - p.ctroct) / p.octwidth, 2.0)) : 1.0;
    for (int c = 0; c < nc; ++c) wts(size_t(c), k) = wts(size_t(c), k) / norm * octave_weight;
  }
  const size_t bins = 1 + n_fft / 2;
  Matrix out(size_t(nc), bins);
  for (int c = 0; c < nc; ++c) {
    const int src = p.base_c ? (c + 3) % nc : c;  // np.roll(wts, -3, axis=0)
    for (size_t k = 0; k < bins; ++k) out(size_t(c), k) = float(wts(size_t(src), k));
  }
  return out;
}

Matrix chroma_stft(const Matrix& S, double sr, double tuning, int n_chroma) {
  if (std::isnan(tuning)) tuning = estimate_tuning(S, sr, 0.01, n_chroma);
  ChromaParams cp;
  cp.n_chroma = n_chroma;
  cp.tuning = tuning;
  // Bins x chroma layout, so that the inner loop runs over the chroma accumulators (vectorised)
  // rather than being one serial float sum per chroma.
  const Matrix fb = transpose(chroma_filters(sr, 2 * (S.cols - 1), cp));
  const size_t nc = size_t(n_chroma);
  Matrix out(S.rows, nc, 0.f);
  const float tiny = std::numeric_limits<float>::min();
  for (size_t t = 0; t < S.rows; ++t) {
    const float* s = S.row(t);
    float* o = out.row(t);
    for (size_t k = 0; k < S.cols; ++k) {
      const float* w = fb.row(k);
      const float sk = s[k];
      for (size_t c = 0; c < nc; ++c) o[c] += w[c] * sk;
    }
    float peak = 0.f;
    for (size_t c = 0; c < nc; ++c) peak = std::max(peak, std::abs(o[c]));
    if (peak >= tiny)
      for (size_t c = 0; c < nc; ++c) o[c] /= peak;  // norm = inf
  }
  return out;
}

}  // namespace genre
