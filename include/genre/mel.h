// Mel filter banks, mel spectrograms, decibels and MFCCs (librosa.filters.mel,
// librosa.feature.melspectrogram, librosa.power_to_db, librosa.feature.mfcc).
#pragma once

#include <memory>
#include <vector>

#include "genre/matrix.h"
#include "genre/spectrum.h"

namespace genre {

double hz_to_mel(double hz, bool htk = false);
double mel_to_hz(double mel, bool htk = false);
// n mel-spaced frequencies (Hz) from fmin to fmax, librosa.mel_frequencies.
std::vector<double> mel_frequencies(size_t n_mels, double fmin, double fmax, bool htk = false);

enum class MelNorm { None, Slaney };

struct MelParams {
  size_t n_mels = 128;
  double fmin = 0.0;
  double fmax = -1.0;  // <= 0: sr / 2
  bool htk = false;    // false: Slaney's scale (librosa default)
  MelNorm norm = MelNorm::Slaney;
};

// A mel filter bank, n_mels x (1 + n_fft/2) float32 weights, stored sparsely: each triangle is
// non-zero on a short run of bins, so applying it costs O(bins) per frame instead of O(n_mels*bins).
class MelFilterBank {
 public:
  MelFilterBank(double sr, size_t n_fft, const MelParams& p = {});
  // A given bank: n_mels x n_bins weights (zeros outside each band's run of bins).
  explicit MelFilterBank(const Matrix& dense);
  size_t n_mels() const { return start_.size(); }
  size_t n_bins() const { return n_bins_; }
  Matrix dense() const;  // n_mels x n_bins, librosa.filters.mel
  // Frames x bins (power or magnitude) -> frames x n_mels.
  Matrix apply(const Matrix& S) const;
  // One frame: n_bins values in, n_mels values out.
  void apply(const float* spectrum, float* mel) const;

 private:
  size_t n_bins_ = 0;
  std::vector<size_t> start_;        // first non-zero bin of each filter
  std::vector<std::vector<float>> weights_;
  void set_band(size_t i, const float* row);  // keeps row's run of non-zero bins
};

// librosa.feature.melspectrogram(y, sr, n_fft, hop_length, power=2, n_mels, fmin, fmax, htk, norm).
Matrix melspectrogram(const std::vector<float>& y, const MelFilterBank& fb, const StftParams& stft = {},
                      double power = 2.0);
Matrix melspectrogram(const std::vector<float>& y, double sr, const StftParams& stft = {},
                      const MelParams& mel = {}, double power = 2.0);

// A reusable log-mel front end (the transform models are trained on): melspectrogram then
// power_to_db(ref 1, amin 1e-10, top_db), with the filter bank built once, like torchaudio's
// MelSpectrogram + AmplitudeToDB modules. Output: frames x n_mels.
struct LogMelParams {
  double sample_rate = 22050;
  StftParams stft;
  MelParams mel;
  double top_db = 80.0;
  // > 0: log10(1 + log_scale x) of the mel power instead of dB (Essentia's TensorflowInputMusiCNN:
  // 10000); top_db is then unused.
  double log_scale = 0;
  // The taggers' stored window and filter bank (tagger_window(), tagger_mel_bank()) instead of
  // computed ones: needs the taggers' shape (has_tagger_shape).
  bool tagger_buffers = false;
};

// 16 kHz, n_fft 512, 96 HTK bands over the full band without normalisation: the taggers' log-mel,
// whose window and filter bank the taggers store.
bool has_tagger_shape(const LogMelParams& p);

// The front-end buffers stored (float32) in the weights of the pretrained taggers
// (minzwon/sota-music-tagging-models, MIT; src/features/tagger_buffers.inc): torchaudio's 512-point
// periodic Hann window and 96-band HTK mel filter bank at 16 kHz, as the taggers were trained with
// and their reference outputs computed. The stored bank differs from the exact HTK bank that
// MelFilterBank computes by up to 1.5e-5 (the window by 2e-7), which moved one 29 s msd-fcn
// embedding of the development clips (pop.00007) by 7e-5.
const std::shared_ptr<const std::vector<double>>& tagger_window();
const MelFilterBank& tagger_mel_bank();
class LogMelSpectrogram {
 public:
  explicit LogMelSpectrogram(const LogMelParams& p = {});
  Matrix operator()(const std::vector<float>& y) const;
  const LogMelParams& params() const { return p_; }
  size_t n_frames(size_t n_samples) const { return stft_frames(n_samples, p_.stft); }

 private:
  LogMelParams p_;
  MelFilterBank fb_;
};

// librosa.power_to_db: 10 log10(max(amin, S)) - 10 log10(max(amin, ref)), then clamped below at
// (max - top_db) when top_db > 0. ref <= 0 means "ref = max(S)" (librosa's ref=np.max). In place.
void power_to_db(Matrix& S, double ref = 1.0, double amin = 1e-10, double top_db = 80.0);

// Orthonormal DCT-II along each row (scipy.fftpack.dct(type=2, norm='ortho')), first n_out outputs.
Matrix dct_ortho(const Matrix& X, size_t n_out);

// librosa.feature.mfcc: frames x n_mfcc, from the dB mel spectrogram (power_to_db with ref 1, top_db 80).
Matrix mfcc(const std::vector<float>& y, double sr, size_t n_mfcc = 20, const StftParams& stft = {},
            const MelParams& mel = {});
Matrix mfcc_from_db(const Matrix& mel_db, size_t n_mfcc = 20);

}  // namespace genre
