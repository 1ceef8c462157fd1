// Short-time Fourier analysis with librosa's names, defaults and numerics (librosa 0.7/0.8,
// the versions that produced GTZAN's Kaggle feature tables): periodic Hann window, centred
// frames with reflect padding, FFT in double precision, spectra stored as complex64.
#pragma once

#include <complex>
#include <functional>
#include <memory>
#include <vector>

#include "genre/matrix.h"

namespace genre {

enum class PadMode {
  Reflect,    // numpy 'reflect': d c b | a b c d | c b a  (librosa 0.7/0.8 stft default)
  Constant,   // zeros (librosa >= 0.9 default)
  Edge,       // a a a | a b c d | d d d  (zero_crossing_rate)
  Symmetric,  // c b a | a b c d | d c b  (scipy.ndimage 'reflect')
};

// Pads x with `left` and `right` samples, numpy.pad semantics (repeated reflection included).
std::vector<float> pad(const std::vector<float>& x, size_t left, size_t right, PadMode mode);

// scipy.signal.get_window('hann', n, fftbins=True): 0.5 - 0.5 cos(2 pi i / n); symmetric
// (fftbins=False, Essentia's Windowing): 0.5 - 0.5 cos(2 pi i / (n - 1)).
std::vector<double> hann_window(size_t n, bool symmetric = false);

// librosa.fft_frequencies: linspace(0, sr/2, 1 + n_fft/2).
std::vector<double> fft_frequencies(double sr, size_t n_fft);

struct StftParams {
  size_t n_fft = 2048;
  size_t hop_length = 512;
  bool center = true;
  PadMode pad_mode = PadMode::Reflect;
  std::shared_ptr<const std::vector<double>> window;  // n_fft values; null: hann_window(n_fft)
};

// Number of frames stft() produces for n samples.
size_t stft_frames(size_t n_samples, const StftParams& p = {});

// librosa.stft: rows are frames, columns the 1 + n_fft/2 bins. Uncentred input shorter than
// n_fft throws std::invalid_argument.
ComplexMatrix stft(const std::vector<float>& y, const StftParams& p = {});

// The STFT one frame at a time: fn(t, spectrum) gets frame t's 1 + n_fft/2 bins (complex64, as
// stft()). stft(), the one-call spectrogram() and melspectrogram() are built on it, so that
// consumers of single frames never hold the whole complex matrix.
void stft_foreach(const std::vector<float>& y, const StftParams& p,
                  const std::function<void(size_t t, const std::complex<float>* spectrum)>& fn);

// The inverse STFT one frame at a time (frames added in order), the building block of istft().
class InverseStft {
 public:
  InverseStft(size_t n_bins, size_t n_frames, const StftParams& p = {});
  ~InverseStft();
  InverseStft(const InverseStft&) = delete;
  InverseStft& operator=(const InverseStft&) = delete;
  void add(size_t t, const std::complex<float>* spectrum);  // n_bins values
  std::vector<float> finish(size_t length = 0);             // see istft()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// librosa.istft (window-sum-square normalised overlap-add). With center, n_fft/2 samples are cut
// from each end. `length` > 0 zero-pads or trims the result (librosa.util.fix_length).
std::vector<float> istft(const ComplexMatrix& S, const StftParams& p = {}, size_t length = 0);

// out[i] = |z[i]|^power as numpy computes np.abs(z)**power on complex64 (|z| correctly rounded to
// float32 first), with vectorisable loops for power 1 and 2.
void abs_power(const std::complex<float>* z, size_t n, double power, float* out);

// |S|^power element-wise in float32 (power 1: magnitude, 2: power), as np.abs(S)**power.
Matrix spectrogram(const ComplexMatrix& S, double power = 2.0);
// The power spectrogram from a magnitude one: element-wise square in float32 (np.abs(S)**2).
Matrix squared(const Matrix& magnitude);

// One-call power spectrogram of a signal: spectrogram(stft(y, p), power).
Matrix spectrogram(const std::vector<float>& y, const StftParams& p = {}, double power = 2.0);

}  // namespace genre
