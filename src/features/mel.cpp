#include "genre/mel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace genre {

namespace {
constexpr double kFSp = 200.0 / 3;     // Slaney: Hz per mel below 1 kHz
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = kMinLogHz / kFSp;
const double kLogStep = std::log(6.4) / 27.0;
}  // namespace

double hz_to_mel(double hz, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz >= kMinLogHz) return kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
  return hz / kFSp;
}

double mel_to_hz(double mel, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kMinLogMel) return kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
  return kFSp * mel;
}

std::vector<double> mel_frequencies(size_t n_mels, double fmin, double fmax, bool htk) {
  const double lo = hz_to_mel(fmin, htk), hi = hz_to_mel(fmax, htk);
  std::vector<double> f(n_mels);
  const double step = n_mels > 1 ? (hi - lo) / double(n_mels - 1) : 0.0;
  for (size_t i = 0; i < n_mels; ++i) f[i] = mel_to_hz(i + 1 == n_mels ? hi : lo + double(i) * step, htk);
  return f;
}

MelFilterBank::MelFilterBank(double sr, size_t n_fft, const MelParams& p) : n_bins_(1 + n_fft / 2) {
  if (p.n_mels == 0) throw std::invalid_argument("mel filter bank: n_mels must be > 0");
  const double fmax = p.fmax > 0 ? p.fmax : sr / 2;
  if (p.fmin < 0 || p.fmin >= fmax) throw std::invalid_argument("mel filter bank: need 0 <= fmin < fmax");
  const auto fft_f = fft_frequencies(sr, n_fft);
  const auto mel_f = mel_frequencies(p.n_mels + 2, p.fmin, fmax, p.htk);
  start_.resize(p.n_mels);
  weights_.resize(p.n_mels);
  for (size_t i = 0; i < p.n_mels; ++i) {
    const double lower_d = mel_f[i + 1] - mel_f[i], upper_d = mel_f[i + 2] - mel_f[i + 1];
    const double enorm = p.norm == MelNorm::Slaney ? 2.0 / (mel_f[i + 2] - mel_f[i]) : 1.0;
    std::vector<float> row(n_bins_);
    for (size_t k = 0; k < n_bins_; ++k) {
      const double lower = -(mel_f[i] - fft_f[k]) / lower_d;
      const double upper = (mel_f[i + 2] - fft_f[k]) / upper_d;
      // librosa stores the triangle as float32, then scales it by enorm (computed in double).
      const float w = float(std::max(0.0, std::min(lower, upper)));
      row[k] = p.norm == MelNorm::Slaney ? float(double(w) * enorm) : w;
    }
    set_band(i, row.data());
  }
}

MelFilterBank::MelFilterBank(const Matrix& dense) : n_bins_(dense.cols) {
  if (dense.rows == 0 || dense.cols == 0) throw std::invalid_argument("mel filter bank: empty");
  start_.resize(dense.rows);
  weights_.resize(dense.rows);
  for (size_t i = 0; i < dense.rows; ++i) set_band(i, dense.row(i));
}

void MelFilterBank::set_band(size_t i, const float* row) {
  size_t a = 0, b = n_bins_;
  while (a < b && row[a] == 0.f) ++a;
  while (b > a && row[b - 1] == 0.f) --b;
  start_[i] = a;
  weights_[i].assign(row + a, row + b);
}

Matrix MelFilterBank::dense() const {
  Matrix m(n_mels(), n_bins_);
  for (size_t i = 0; i < n_mels(); ++i)
    std::copy(weights_[i].begin(), weights_[i].end(), m.row(i) + start_[i]);
  return m;
}

Matrix MelFilterBank::apply(const Matrix& S) const {
  if (S.cols != n_bins_)
    throw std::invalid_argument("mel filter bank: spectrogram has " + std::to_string(S.cols) + " bins, expected " +
                                std::to_string(n_bins_));
  Matrix out(S.rows, n_mels());
  for (size_t t = 0; t < S.rows; ++t) apply(S.row(t), out.row(t));
  return out;
}

void MelFilterBank::apply(const float* s, float* o) const {
  for (size_t i = 0; i < n_mels(); ++i) {
    const float* w = weights_[i].data();
    const float* x = s + start_[i];
    float acc = 0.f;
    for (size_t k = 0, n = weights_[i].size(); k < n; ++k) acc += w[k] * x[k];
    o[i] = acc;
  }
}

Matrix melspectrogram(const std::vector<float>& y, double sr, const StftParams& stft, const MelParams& mel,
                      double power) {
  return melspectrogram(y, MelFilterBank(sr, stft.n_fft, mel), stft, power);
}

Matrix melspectrogram(const std::vector<float>& y, const MelFilterBank& fb, const StftParams& stft, double power) {
  if (fb.n_bins() != stft.n_fft / 2 + 1) throw std::invalid_argument("melspectrogram: filter bank does not match n_fft");
  // Frame by frame: FFT -> |X|^power -> mel bands, never holding the full spectrogram.
  Matrix out(stft_frames(y.size(), stft), fb.n_mels());
  std::vector<float> frame(fb.n_bins());
  stft_foreach(y, stft, [&](size_t t, const std::complex<float>* spec) {
    abs_power(spec, frame.size(), power, frame.data());
    fb.apply(frame.data(), out.row(t));
  });
  return out;
}

bool has_tagger_shape(const LogMelParams& p) {
  return p.sample_rate == 16000 && p.stft.n_fft == 512 && p.mel.n_mels == 96 && p.mel.htk && p.mel.norm == MelNorm::None &&
         p.mel.fmin == 0 && (p.mel.fmax <= 0 || p.mel.fmax == 8000);
}

namespace {
LogMelParams with_buffers(LogMelParams p) {
  if (!p.tagger_buffers) return p;
  if (!has_tagger_shape(p))
    throw std::invalid_argument("log-mel: the taggers' buffers are for 16 kHz, n_fft 512, 96 HTK bands without norm");
  p.stft.window = tagger_window();
  return p;
}
}  // namespace

LogMelSpectrogram::LogMelSpectrogram(const LogMelParams& p)
    : p_(with_buffers(p)), fb_(p.tagger_buffers ? tagger_mel_bank() : MelFilterBank(p.sample_rate, p.stft.n_fft, p.mel)) {}

Matrix LogMelSpectrogram::operator()(const std::vector<float>& y) const {
  Matrix m = melspectrogram(y, fb_, p_.stft);
  if (p_.log_scale > 0) {
    for (float& v : m.data) v = float(std::log10(1.0 + p_.log_scale * double(v)));
    return m;
  }
  power_to_db(m, 1.0, 1e-10, p_.top_db);
  return m;
}

void power_to_db(Matrix& S, double ref, double amin, double top_db) {
  if (amin <= 0) throw std::invalid_argument("power_to_db: amin must be strictly positive");
  if (S.empty()) return;
  const float famin = float(amin);
  double ref_value = ref;
  if (ref <= 0) ref_value = *std::max_element(S.data.begin(), S.data.end());
  const float offset = 10.0f * std::log10(std::max(famin, float(std::abs(ref_value))));
  float peak = -std::numeric_limits<float>::infinity();
  for (float& v : S.data) {
    v = 10.0f * std::log10(std::max(famin, std::abs(v))) - offset;
    peak = std::max(peak, v);
  }
  if (top_db > 0) {
    const float floor = peak - float(top_db);
    for (float& v : S.data) v = std::max(v, floor);
  }
}

Matrix dct_ortho(const Matrix& X, size_t n_out) {
  const size_t n = X.cols;
  n_out = std::min(n_out, n);
  // Basis: c_k = s_k * sum_j x_j cos(pi k (2j + 1) / (2n)), s_0 = sqrt(1/n), s_k = sqrt(2/n).
  std::vector<double> basis(n_out * n);
  for (size_t k = 0; k < n_out; ++k) {
    const double s = std::sqrt((k == 0 ? 1.0 : 2.0) / double(n));
    for (size_t j = 0; j < n; ++j) basis[k * n + j] = s * std::cos(M_PI * double(k) * double(2 * j + 1) / double(2 * n));
  }
  Matrix out(X.rows, n_out);
  for (size_t t = 0; t < X.rows; ++t) {
    const float* x = X.row(t);
    for (size_t k = 0; k < n_out; ++k) {
      const double* b = &basis[k * n];
      double acc = 0.0;
      for (size_t j = 0; j < n; ++j) acc += b[j] * x[j];
      out(t, k) = float(acc);
    }
  }
  return out;
}

Matrix mfcc_from_db(const Matrix& mel_db, size_t n_mfcc) { return dct_ortho(mel_db, n_mfcc); }

Matrix mfcc(const std::vector<float>& y, double sr, size_t n_mfcc, const StftParams& stft, const MelParams& mel) {
  Matrix S = melspectrogram(y, sr, stft, mel);
  power_to_db(S);
  return mfcc_from_db(S, n_mfcc);
}

}  // namespace genre
