#include "genre/hpss.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
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

// Floats as int32 keys with the same order (IEEE-754 sign-magnitude made two's complement), so
// the window scans below are exact integer reductions the compiler vectorises without fast-math.
inline int32_t float_key(float f) {
  int32_t i;
  std::memcpy(&i, &f, 4);
  return i ^ ((i >> 31) & 0x7FFFFFFF);
}
inline float key_float(int32_t k) {
  const int32_t i = k ^ ((k >> 31) & 0x7FFFFFFF);
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

// The window as an unsorted array of keys padded with INT32_MAX (a NaN pattern, never a real key),
// which is never below, equal to or chosen as the nearest value above a real key.
constexpr int32_t kPadKey = INT32_MAX;

#if defined(__x86_64__) && defined(__GNUC__)
#define GENRE_HOT_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define GENRE_HOT_LOOP
#endif

inline int count_less(const int32_t* w, size_t n, int32_t v) {
  int c = 0;
  for (size_t i = 0; i < n; ++i) c += w[i] < v;
  return c;
}
inline int count_equal(const int32_t* w, size_t n, int32_t v) {
  int c = 0;
  for (size_t i = 0; i < n; ++i) c += w[i] == v;
  return c;
}
// The selections are written as bit-mask blends: GCC vectorises that form, not a ?: select.
inline int32_t max_below(const int32_t* w, size_t n, int32_t v) {
  int32_t best = INT32_MIN;
  for (size_t i = 0; i < n; ++i) {
    const int32_t keep = -int32_t(w[i] < v);
    best = std::max(best, (w[i] & keep) | (INT32_MIN & ~keep));
  }
  return best;
}
inline int32_t min_above(const int32_t* w, size_t n, int32_t v) {
  int32_t best = INT32_MAX;
  for (size_t i = 0; i < n; ++i) {
    const int32_t keep = -int32_t(w[i] > v);
    best = std::min(best, (w[i] & keep) | (INT32_MAX & ~keep));
  }
  return best;
}

// Running median of odd `size` over one contiguous line into out, scipy 'reflect' edges.
// The window is an unsorted ring buffer; `less` and `equal` count its elements below and equal to
// the current median m (rank `half`). Replacing one element moves the median by at most one rank,
// so the counts are updated in O(1) and the window is scanned only when the median moves.
// Cloned for AVX2 (chosen at load time) with the scans above inlined into each clone.
GENRE_HOT_LOOP void median_line(const float* x, size_t n, size_t size, float* out, std::vector<float>& ext,
                                std::vector<int32_t>& win) {
  const int half = int(size / 2);
  symmetric_extend(x, n, size_t(half), ext);
  const size_t padded = (size + 7) / 8 * 8;
  win.assign(padded, kPadKey);
  for (size_t j = 0; j < size; ++j) win[j] = float_key(ext[j]);
  std::vector<int32_t> tmp(win.begin(), win.begin() + long(size));
  std::nth_element(tmp.begin(), tmp.begin() + half, tmp.end());
  int32_t m = tmp[size_t(half)];
  const int32_t* w = win.data();
  int less = count_less(w, padded, m), equal = count_equal(w, padded, m);
  out[0] = key_float(m);
  size_t slot = 0;  // ext[j] lives in win[j % size]
  for (size_t i = 1; i < n; ++i) {
    const int32_t old_v = win[slot], new_v = float_key(ext[i - 1 + size]);
    win[slot] = new_v;
    slot = slot + 1 == size ? 0 : slot + 1;
    less += int(new_v < m) - int(old_v < m);
    equal += int(new_v == m) - int(old_v == m);
    if (less > half) {  // the median is the next value down
      m = max_below(w, padded, m);
      equal = count_equal(w, padded, m);
      less -= equal;
    } else if (less + equal <= half) {  // ... or the next value up
      less += equal;
      m = min_above(w, padded, m);
      equal = count_equal(w, padded, m);
    }
    out[i] = key_float(m);
  }
}

// Running median down each column of a rows x cols matrix, 16 columns (one cache line of each
// row) at a time: gathered into contiguous lines, filtered, scattered back. No full transposes.
Matrix median_filter_columns(const Matrix& m, size_t size) {
  constexpr size_t B = 16;
  Matrix out(m.rows, m.cols);
  std::vector<float> lines(B * m.rows), filtered(m.rows), ext;
  std::vector<int32_t> win;
  for (size_t c0 = 0; c0 < m.cols; c0 += B) {
    const size_t nb = std::min(B, m.cols - c0);
    for (size_t r = 0; r < m.rows; ++r) {
      const float* src = m.row(r) + c0;
      for (size_t j = 0; j < nb; ++j) lines[j * m.rows + r] = src[j];
    }
    for (size_t j = 0; j < nb; ++j) {
      median_line(&lines[j * m.rows], m.rows, size, filtered.data(), ext, win);
      std::copy(filtered.begin(), filtered.end(), lines.begin() + long(j * m.rows));
    }
    for (size_t r = 0; r < m.rows; ++r) {
      float* dst = out.row(r) + c0;
      for (size_t j = 0; j < nb; ++j) dst[j] = lines[j * m.rows + r];
    }
  }
  return out;
}

// Running median along each row of a rows x cols matrix.
Matrix median_filter_rows(const Matrix& m, size_t size) {
  Matrix out(m.rows, m.cols);
  std::vector<float> ext;
  std::vector<int32_t> win;
  for (size_t r = 0; r < m.rows; ++r) median_line(m.row(r), m.cols, size, out.row(r), ext, win);
  return out;
}

}  // namespace

std::vector<float> median_filter(const std::vector<float>& x, size_t size) {
  if (size % 2 == 0) throw std::invalid_argument("median_filter: size must be odd");
  std::vector<float> out(x.size()), ext;
  std::vector<int32_t> win;
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
  // Both masks at once. With margin 1 they share z and the two ratios, and a + b == b + a, so this
  // equals the two separate softmask calls bit for bit at half the divisions.
  void both(float h, float p, float& mh, float& mp) const {
    if (margin != 1.f) {
      mh = harmonic(h, p);
      mp = percussive(h, p);
      return;
    }
    const float z = std::max(h, p);
    if (z < std::numeric_limits<float>::min()) {
      mh = mp = split_zeros ? 0.5f : 0.f;
      return;
    }
    const float hr = h / z, pr = p / z;
    const float a = squared ? hr * hr : std::pow(hr, power), b = squared ? pr * pr : std::pow(pr, power);
    mh = a / (a + b);
    mp = b / (b + a);
  }
};

// Median-filtered spectrograms: harmonic along time, percussive along frequency.
std::pair<Matrix, Matrix> median_spectrograms(const Matrix& S, const HpssParams& p) {
  if (p.kernel_size % 2 == 0) throw std::invalid_argument("hpss: kernel_size must be odd");
  return {median_filter_columns(S, p.kernel_size), median_filter_rows(S, p.kernel_size)};
}

}  // namespace

HpssMasks hpss_masks(const Matrix& S, const HpssParams& p) {
  const auto [harm, perc] = median_spectrograms(S, p);
  const SoftMask mask(p);
  HpssMasks masks{Matrix(S.rows, S.cols), Matrix(S.rows, S.cols)};
  for (size_t i = 0; i < S.size(); ++i) mask.both(harm.data[i], perc.data[i], masks.harmonic.data[i], masks.percussive.data[i]);
  return masks;
}

HpssSignals hpss(const ComplexMatrix& D, size_t n_samples, const HpssParams& p, const StftParams& stft) {
  return hpss(D, spectrogram(D, 1.0), n_samples, p, stft);
}

HpssSignals hpss(const ComplexMatrix& D, const Matrix& S, size_t n_samples, const HpssParams& p,
                 const StftParams& stft) {
  if (S.rows != D.rows || S.cols != D.cols) throw std::invalid_argument("hpss: |D| does not match D");
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
      float mh, mp;
      mask.both(harm.data[i], perc.data[i], mh, mp);
      h[k] = (mag * mh) * phase;
      q[k] = (mag * mp) * phase;
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
