#include <cmath>
#include <limits>
#include <stdexcept>

#include "fft.h"
#include "genre/spectrum.h"

namespace genre {

Matrix transpose(const Matrix& m) {
  Matrix t(m.cols, m.rows);
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) t(c, r) = m(r, c);
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

std::vector<double> hann_window(size_t n) {
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = 0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n));
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

ComplexMatrix stft(const std::vector<float>& y, const StftParams& p) {
  if (p.n_fft < 2 || p.hop_length == 0) throw std::invalid_argument("stft: n_fft must be >= 2 and hop_length > 0");
  const size_t half = p.n_fft / 2;
  const std::vector<float> padded = p.center ? pad(y, half, half, p.pad_mode) : y;
  if (padded.size() < p.n_fft)
    throw std::invalid_argument("stft: signal of " + std::to_string(y.size()) + " samples is shorter than n_fft");
  const size_t frames = 1 + (padded.size() - p.n_fft) / p.hop_length;
  const auto window = hann_window(p.n_fft);
  detail::RealFft fft(p.n_fft);
  ComplexMatrix S(frames, fft.bins());
  for (size_t t = 0; t < frames; ++t) {
    const float* x = padded.data() + t * p.hop_length;
    double* in = fft.real();
    for (size_t i = 0; i < p.n_fft; ++i) in[i] = double(x[i]) * window[i];
    fft.forward();
    const std::complex<double>* spec = fft.spectrum();
    std::complex<float>* out = S.row(t);
    for (size_t k = 0; k < S.cols; ++k) out[k] = std::complex<float>(float(spec[k].real()), float(spec[k].imag()));
  }
  return S;
}

std::vector<float> istft(const ComplexMatrix& S, const StftParams& p, size_t length) {
  if (S.cols < 2) throw std::invalid_argument("istft: need at least 2 frequency bins");
  const size_t n_fft = 2 * (S.cols - 1);
  const size_t hop = p.hop_length;
  const size_t frames = S.rows;
  const size_t expected = frames == 0 ? 0 : n_fft + hop * (frames - 1);
  const auto window = hann_window(n_fft);
  std::vector<float> y(expected, 0.f), wss(expected, 0.f);
  detail::RealFft fft(n_fft);
  for (size_t t = 0; t < frames; ++t) {
    const std::complex<float>* row = S.row(t);
    std::complex<double>* spec = fft.spectrum();
    for (size_t k = 0; k < S.cols; ++k) spec[k] = std::complex<double>(row[k].real(), row[k].imag());
    fft.inverse();
    const double* frame = fft.real();
    float* dst = y.data() + t * hop;
    float* wdst = wss.data() + t * hop;
    for (size_t i = 0; i < n_fft; ++i) {
      // float32 buffer, float64 frame: numpy computes in double and stores float32.
      dst[i] = float(double(dst[i]) + window[i] * frame[i]);
      wdst[i] = float(double(wdst[i]) + window[i] * window[i]);
    }
  }
  const float tiny = std::numeric_limits<float>::min();
  for (size_t i = 0; i < expected; ++i)
    if (wss[i] > tiny) y[i] /= wss[i];
  if (p.center) {
    const size_t half = n_fft / 2;
    if (y.size() > 2 * half)
      y = std::vector<float>(y.begin() + long(half), y.end() - long(half));
    else
      y.clear();
  }
  if (length > 0) y.resize(length, 0.f);
  return y;
}

Matrix spectrogram(const ComplexMatrix& S, double power) {
  Matrix out(S.rows, S.cols);
  const bool squared = power == 2.0;
  for (size_t i = 0; i < S.size(); ++i) {
    const double re = S.data[i].real(), im = S.data[i].imag();
    const float mag = float(std::sqrt(re * re + im * im));  // correctly rounded |z| in float32
    out.data[i] = squared ? mag * mag : power == 1.0 ? mag : float(std::pow(double(mag), power));
  }
  return out;
}

Matrix spectrogram(const std::vector<float>& y, const StftParams& p, double power) {
  return spectrogram(stft(y, p), power);
}

}  // namespace genre
