// Onset strength, tempogram and global tempo (librosa.onset.onset_strength,
// librosa.feature.tempogram, librosa.beat.tempo) with librosa 0.7/0.8 defaults.
#pragma once

#include <vector>

#include "genre/matrix.h"

namespace genre {

// Spectral flux of a dB mel spectrogram (frames x bands): mean over bands of the positive
// difference between consecutive frames (lag 1), shifted right by lag + n_fft / (2 hop) frames so
// that it is centred like the frames (librosa's center=True), and trimmed to the frame count.
// aggregate: how bands are combined, Mean (librosa.onset.onset_strength default) or Median
// (what librosa.beat.beat_track asks for).
enum class Aggregate { Mean, Median };
std::vector<float> onset_strength(const Matrix& mel_db, Aggregate aggregate = Aggregate::Mean, size_t lag = 1,
                                  size_t n_fft = 2048, size_t hop_length = 512);

// librosa.feature.tempogram: windowed autocorrelation of the onset envelope, frames x win_length
// lags, each frame scaled to max 1 (double precision, as librosa's float64 tempogram).
Array2D<double> tempogram(const std::vector<float>& onset_envelope, size_t win_length = 384);

struct TempoParams {
  double start_bpm = 120.0;
  double std_bpm = 1.0;
  double ac_size = 8.0;  // seconds of autocorrelation window
  double max_tempo = 320.0;
  size_t hop_length = 512;
};

// librosa.beat.tempo(onset_envelope=..., aggregate=np.mean): the BPM maximising the mean
// tempogram weighted by a log-normal prior around start_bpm.
double tempo(const std::vector<float>& onset_envelope, double sr, const TempoParams& p = {});

}  // namespace genre
