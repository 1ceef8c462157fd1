#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "fft.h"
#include "genre/spectrum.h"

namespace genre {

Matrix transpose(const Matrix& m) {
  Matrix t(m.cols, m.rows);
  constexpr size_t B = 32;  // cache blocks
  for (size_t r0 = 0; r0 < m.rows; r0 += B)
    for (size_t c0 = 0; c0 < m.cols; c0 += B)
      for (size_t r = r0; r < std::min(r0 + B, m.rows); ++r)
        for (size_t c = c0; c < std::min(c0 + B, m.cols); ++c) t(c, r) = m(r, c);
  return t;
}

namespace {

// Index of padded position i (relative to x[0], may be negative or >= n) in numpy.pad's modes.
long pad_index(long i, long n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::Edge:
      return i < 0 ? 0 : n - 1;
    case PadMode::Reflect: {
      if (n == 1) return 0;
      long period = 2 * (n - 1);
      long m = ((i % period) + period) % period;
      return m >= n ? period - m : m;
    }
    case PadMode::Symmetric: {
      long period = 2 * n;
      long m = ((i % period) + period) % period;
      return m >= n ? period - 1 - m : m;
    }
    case PadMode::Constant:
      break;
  }
  return -1;
}

}  // namespace

std::vector<float> pad(const std::vector<float>& x, size_t left, size_t right, PadMode mode) {
  const long n = long(x.size());
  std::vector<float> out(x.size() + left + right, 0.f);
  std::copy(x.begin(), x.end(), out.begin() + long(left));
  if (n == 0) return out;
  for (size_t j = 0; j < left; ++j) {
    long src = pad_index(long(j) - long(left), n, mode);
    out[j] = src < 0 ? 0.f : x[size_t(src)];
  }
  for (size_t j = 0; j < right; ++j) {
    long src = pad_index(n + long(j), n, mode);
    out[left + size_t(n) + j] = src < 0 ? 0.f : x[size_t(src)];
  }
  return out;
}

std::vector<double> hann_window(size_t n, bool symmetric) {
  std::vector<double> w(n);
  const double period = symmetric ? double(n > 1 ? n - 1 : 1) : double(n);
  for (size_t i = 0; i < n; ++i) w[i] = 0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / period);
  return w;
}

std::vector<double> fft_frequencies(double sr, size_t n_fft) {
  const size_t bins = 1 + n_fft / 2;
  std::vector<double> f(bins);
  // numpy.linspace(0, sr/2, bins): i * step, with the last value set to the end point exactly.
  const double step = (sr / 2) / double(bins - 1);
  for (size_t i = 0; i < bins; ++i) f[i] = double(i) * step;
  f[bins - 1] = sr / 2;
  return f;
}

size_t stft_frames(size_t n_samples, const StftParams& p) {
  size_t len = p.center ? n_samples + 2 * (p.n_fft / 2) : n_samples;
  if (len < p.n_fft) return 0;
  return 1 + (len - p.n_fft) / p.hop_length;
}

// The framing and conversion loops are memory-bound float<->double conversions: AVX2 clones double
// their width where the CPU has it (chosen at load time), the default keeps baseline x86-64.
#if defined(__x86_64__) && defined(__GNUC__)
#define GENRE_HOT_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define GENRE_HOT_LOOP
#endif

namespace {
GENRE_HOT_LOOP void window_frame(const float* x, const double* window, size_t n, double* out) {
  for (size_t i = 0; i < n; ++i) out[i] = double(x[i]) * window[i];
}
GENRE_HOT_LOOP void to_complex64(const std::complex<double>* spec, size_t n, std::complex<float>* out) {
  const double* in = reinterpret_cast<const double*>(spec);
  float* o = reinterpret_cast<float*>(out);
  for (size_t i = 0; i < 2 * n; ++i) o[i] = float(in[i]);
}
}  // namespace

void stft_foreach(const std::vector<float>& y, const StftParams& p,
                  const std::function<void(size_t, const std::complex<float>*)>& fn) {
  if (p.n_fft < 2 || p.hop_length == 0) throw std::invalid_argument("stft: n_fft must be >= 2 and hop_length > 0");
  const size_t half = p.n_fft / 2;
  const std::vector<float> padded = p.center ? pad(y, half, half, p.pad_mode) : y;
  if (padded.size() < p.n_fft)
    throw std::invalid_argument("stft: signal of " + std::to_string(y.size()) + " samples is shorter than n_fft");
  const size_t frames = 1 + (padded.size() - p.n_fft) / p.hop_length;
  if (p.window && p.window->size() != p.n_fft) throw std::invalid_argument("stft: the window has not n_fft values");
  const std::vector<double> hann = p.window ? std::vector<double>() : hann_window(p.n_fft);
  const std::vector<double>& window = p.window ? *p.window : hann;
  detail::RealFft fft(p.n_fft);
  std::vector<std::complex<float>> row(fft.bins());
  for (size_t t = 0; t < frames; ++t) {
    window_frame(padded.data() + t * p.hop_length, window.data(), p.n_fft, fft.real());
    fft.forward();
    to_complex64(fft.spectrum(), row.size(), row.data());
    fn(t, row.data());
  }
}

ComplexMatrix stft(const std::vector<float>& y, const StftParams& p) {
  ComplexMatrix S(stft_frames(y.size(), p), p.n_fft / 2 + 1);
  stft_foreach(y, p, [&](size_t t, const std::complex<float>* spec) { std::copy_n(spec, S.cols, S.row(t)); });
  return S;
}

struct InverseStft::Impl {
  size_t n_fft, hop, frames;
  bool center;
  std::vector<double> window;
  std::vector<float> y, wss;
  detail::RealFft fft;
  Impl(size_t bins, size_t n_frames, const StftParams& p)
      : n_fft(2 * (bins - 1)), hop(p.hop_length), frames(n_frames), center(p.center), window(hann_window(n_fft)),
        y(n_frames == 0 ? 0 : n_fft + hop * (n_frames - 1), 0.f), wss(y.size(), 0.f), fft(n_fft) {}
};

InverseStft::InverseStft(size_t n_bins, size_t n_frames, const StftParams& p) {
  if (n_bins < 2) throw std::invalid_argument("istft: need at least 2 frequency bins");
  impl_ = std::make_unique<Impl>(n_bins, n_frames, p);
}

InverseStft::~InverseStft() = default;

void InverseStft::add(size_t t, const std::complex<float>* row) {
  Impl& m = *impl_;
  std::complex<double>* spec = m.fft.spectrum();
  for (size_t k = 0; k < m.fft.bins(); ++k) spec[k] = std::complex<double>(row[k].real(), row[k].imag());
  m.fft.inverse();
  const double* frame = m.fft.real();
  float* dst = m.y.data() + t * m.hop;
  float* wdst = m.wss.data() + t * m.hop;
  for (size_t i = 0; i < m.n_fft; ++i) {
    // float32 buffer, float64 frame: numpy computes in double and stores float32.
    dst[i] = float(double(dst[i]) + m.window[i] * frame[i]);
    wdst[i] = float(double(wdst[i]) + m.window[i] * m.window[i]);
  }
}

std::vector<float> InverseStft::finish(size_t length) {
  Impl& m = *impl_;
  std::vector<float> y = std::move(m.y);
  const float tiny = std::numeric_limits<float>::min();
  for (size_t i = 0; i < y.size(); ++i)
    if (m.wss[i] > tiny) y[i] /= m.wss[i];
  if (m.center) {
    const size_t half = m.n_fft / 2;
    if (y.size() > 2 * half) {
      y.erase(y.end() - long(half), y.end());
      y.erase(y.begin(), y.begin() + long(half));
    } else {
      y.clear();
    }
  }
  if (length > 0) y.resize(length, 0.f);
  return y;
}

std::vector<float> istft(const ComplexMatrix& S, const StftParams& p, size_t length) {
  InverseStft inv(S.cols, S.rows, p);
  for (size_t t = 0; t < S.rows; ++t) inv.add(t, S.row(t));
  return inv.finish(length);
}

GENRE_HOT_LOOP void abs_power(const std::complex<float>* z, size_t n, double power, float* out) {
  const float* ri = reinterpret_cast<const float*>(z);  // interleaved re, im
  auto mag = [ri](size_t i) {
    const double re = ri[2 * i], im = ri[2 * i + 1];
    return float(std::sqrt(re * re + im * im));
  };
  if (power == 2.0) {
    for (size_t i = 0; i < n; ++i) {
      const float m = mag(i);
      out[i] = m * m;
    }
  } else if (power == 1.0) {
    for (size_t i = 0; i < n; ++i) out[i] = mag(i);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = float(std::pow(double(mag(i)), power));
  }
}

Matrix spectrogram(const ComplexMatrix& S, double power) {
  Matrix out(S.rows, S.cols);
  abs_power(S.data.data(), S.size(), power, out.data.data());
  return out;
}

Matrix squared(const Matrix& m) {
  Matrix out(m.rows, m.cols);
  for (size_t i = 0; i < m.size(); ++i) out.data[i] = m.data[i] * m.data[i];
  return out;
}

Matrix spectrogram(const std::vector<float>& y, const StftParams& p, double power) {
  Matrix out(stft_frames(y.size(), p), p.n_fft / 2 + 1);
  stft_foreach(y, p, [&](size_t t, const std::complex<float>* spec) {
    abs_power(spec, out.cols, power, out.row(t));
  });
  return out;
}

}  // namespace genre
