#include "genre/hpss.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>
#include <stdexcept>

namespace genre {

namespace {

// x padded by `half` on each side with scipy 'reflect' (half-sample symmetric) edges.
void symmetric_extend(const float* x, size_t n, size_t half, std::vector<float>& ext) {
  ext.resize(n + 2 * half);
  std::memcpy(ext.data() + half, x, n * sizeof(float));
  const long period = 2 * long(n);
  auto at = [&](long i) {
    long m = ((i % period) + period) % period;
    return x[m >= long(n) ? period - 1 - m : m];
  };
  for (size_t j = 0; j < half; ++j) {
    ext[half - 1 - j] = at(-1 - long(j));
    ext[half + n + j] = at(long(n + j));
  }
}

// Scans over the window, padded to a multiple of 4 with NaN (which fails every comparison):
// SSE2 on x86-64 (its baseline), plain loops elsewhere.
struct Window {
  const float* w;
  size_t padded;  // multiple of 4
#if defined(__SSE2__)
  template <class Cmp>
  int count(float value, Cmp cmp) const {
    const __m128 v = _mm_set1_ps(value);
    __m128i acc = _mm_setzero_si128();
    for (size_t i = 0; i < padded; i += 4) acc = _mm_sub_epi32(acc, _mm_castps_si128(cmp(_mm_loadu_ps(w + i), v)));
    alignas(16) int lanes[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
  }
  int count_less(float v) const { return count(v, [](__m128 a, __m128 b) { return _mm_cmplt_ps(a, b); }); }
  int count_equal(float v) const { return count(v, [](__m128 a, __m128 b) { return _mm_cmpeq_ps(a, b); }); }
  template <class Qualifies, class Pick>
  float best(float value, float fill_value, Qualifies qualifies, Pick pick) const {
    const __m128 v = _mm_set1_ps(value), fill = _mm_set1_ps(fill_value);
    __m128 b = fill;
    for (size_t i = 0; i < padded; i += 4) {
      const __m128 x = _mm_loadu_ps(w + i), keep = qualifies(x, v);
      b = pick(b, _mm_or_ps(_mm_and_ps(keep, x), _mm_andnot_ps(keep, fill)));
    }
    b = pick(b, _mm_shuffle_ps(b, b, _MM_SHUFFLE(2, 3, 0, 1)));
    b = pick(b, _mm_shuffle_ps(b, b, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(b);
  }
  float max_below(float value) const {
    return best(value, -std::numeric_limits<float>::infinity(), [](__m128 x, __m128 v) { return _mm_cmplt_ps(x, v); },
                [](__m128 a, __m128 b) { return _mm_max_ps(a, b); });
  }
  float min_above(float value) const {
    return best(value, std::numeric_limits<float>::infinity(), [](__m128 x, __m128 v) { return _mm_cmpgt_ps(x, v); },
                [](__m128 a, __m128 b) { return _mm_min_ps(a, b); });
  }
#else
  int count_less(float v) const {
    int c = 0;
    for (size_t i = 0; i < padded; ++i) c += w[i] < v;
    return c;
  }
  int count_equal(float v) const {
    int c = 0;
    for (size_t i = 0; i < padded; ++i) c += w[i] == v;
    return c;
  }
  float max_below(float v) const {
    float best = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < padded; ++i)
      if (w[i] < v && w[i] > best) best = w[i];
    return best;
  }
  float min_above(float v) const {
    float best = std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < padded; ++i)
      if (w[i] > v && w[i] < best) best = w[i];
    return best;
  }
#endif
};

// Running median of odd `size` over one contiguous line into out, scipy 'reflect' edges.
// The window is an unsorted ring buffer; `less` and `equal` count its elements below and equal to
// the current median m (rank `half`). Replacing one element moves the median by at most one rank,
// so the counts are updated in O(1) and the window is scanned only when the median moves.
void median_line(const float* x, size_t n, size_t size, float* out, std::vector<float>& ext, std::vector<float>& win) {
  const int half = int(size / 2);
  symmetric_extend(x, n, size_t(half), ext);
  const size_t padded = (size + 3) / 4 * 4;
  win.assign(padded, std::numeric_limits<float>::quiet_NaN());
  std::copy_n(ext.begin(), size, win.begin());
  const Window view{win.data(), padded};
  std::vector<float> tmp(ext.begin(), ext.begin() + long(size));
  std::nth_element(tmp.begin(), tmp.begin() + half, tmp.end());
  float m = tmp[size_t(half)];
  int less = view.count_less(m), equal = view.count_equal(m);
  out[0] = m;
  size_t slot = 0;  // ext[j] lives in win[j % size]
  for (size_t i = 1; i < n; ++i) {
    const float old_v = ext[i - 1], new_v = ext[i - 1 + size];
    win[slot] = new_v;
    slot = slot + 1 == size ? 0 : slot + 1;
    less += int(new_v < m) - int(old_v < m);
    equal += int(new_v == m) - int(old_v == m);
    if (less > half) {  // the median is the next value down
      m = view.max_below(m);
      equal = view.count_equal(m);
      less -= equal;
    } else if (less + equal <= half) {  // ... or the next value up
      less += equal;
      m = view.min_above(m);
      equal = view.count_equal(m);
    }
    out[i] = m;
  }
}

// Running median along each row of a rows x cols matrix.
Matrix median_filter_rows(const Matrix& m, size_t size) {
  Matrix out(m.rows, m.cols);
  std::vector<float> ext, win;
  for (size_t r = 0; r < m.rows; ++r) median_line(m.row(r), m.cols, size, out.row(r), ext, win);
  return out;
}

}  // namespace

std::vector<float> median_filter(const std::vector<float>& x, size_t size) {
  if (size % 2 == 0) throw std::invalid_argument("median_filter: size must be odd");
  std::vector<float> out(x.size()), ext, win;
  if (!x.empty()) median_line(x.data(), x.size(), size, out.data(), ext, win);
  return out;
}

namespace {

// librosa.util.softmask(X, X_ref * margin, power) for the harmonic (first) and percussive (second)
// masks at once; split_zeros (both 0.5 where both are ~0) when the margin is 1.
struct SoftMask {
  float margin, power;
  bool squared, split_zeros;
  explicit SoftMask(const HpssParams& p)
      : margin(float(p.margin)), power(float(p.power)), squared(p.power == 2.0), split_zeros(p.margin == 1.0) {}
  float one(float x, float ref) const {
    const float z = std::max(x, ref);
    if (z < std::numeric_limits<float>::min()) return split_zeros ? 0.5f : 0.f;
    const float xr = x / z, rr = ref / z;
    const float a = squared ? xr * xr : std::pow(xr, power);
    const float b = squared ? rr * rr : std::pow(rr, power);
    return a / (a + b);
  }
  float harmonic(float h, float p) const { return one(h, p * margin); }
  float percussive(float h, float p) const { return one(p, h * margin); }
};

// Median-filtered spectrograms: harmonic along time, percussive along frequency.
std::pair<Matrix, Matrix> median_spectrograms(const Matrix& S, const HpssParams& p) {
  if (p.kernel_size % 2 == 0) throw std::invalid_argument("hpss: kernel_size must be odd");
  return {transpose(median_filter_rows(transpose(S), p.kernel_size)), median_filter_rows(S, p.kernel_size)};
}

}  // namespace

HpssMasks hpss_masks(const Matrix& S, const HpssParams& p) {
  const auto [harm, perc] = median_spectrograms(S, p);
  const SoftMask mask(p);
  HpssMasks masks{Matrix(S.rows, S.cols), Matrix(S.rows, S.cols)};
  for (size_t i = 0; i < S.size(); ++i) {
    masks.harmonic.data[i] = mask.harmonic(harm.data[i], perc.data[i]);
    masks.percussive.data[i] = mask.percussive(harm.data[i], perc.data[i]);
  }
  return masks;
}

HpssSignals hpss(const ComplexMatrix& D, size_t n_samples, const HpssParams& p, const StftParams& stft) {
  const Matrix S = spectrogram(D, 1.0);
  const auto [harm, perc] = median_spectrograms(S, p);
  const SoftMask mask(p);
  // Each frame of the masked spectra goes straight into its inverse STFT.
  InverseStft inv_h(D.cols, D.rows, stft), inv_p(D.cols, D.rows, stft);
  std::vector<std::complex<float>> h(D.cols), q(D.cols);
  for (size_t t = 0; t < D.rows; ++t) {
    for (size_t k = 0; k < D.cols; ++k) {
      // S * mask * exp(i angle(D)), with the phase factor D / |D| (1 where D = 0).
      const size_t i = t * D.cols + k;
      const float mag = S.data[i];
      const std::complex<float> phase = mag > 0 ? D.data[i] * (1.f / mag) : std::complex<float>(1.f, 0.f);
      h[k] = (mag * mask.harmonic(harm.data[i], perc.data[i])) * phase;
      q[k] = (mag * mask.percussive(harm.data[i], perc.data[i])) * phase;
    }
    inv_h.add(t, h.data());
    inv_p.add(t, q.data());
  }
  return {inv_h.finish(n_samples), inv_p.finish(n_samples)};
}

HpssSignals hpss(const std::vector<float>& y, const HpssParams& p, const StftParams& stft) {
  return hpss(genre::stft(y, stft), y.size(), p, stft);
}

}  // namespace genre
