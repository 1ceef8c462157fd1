// Chroma features: librosa.feature.chroma_stft with automatic tuning estimation
// (librosa.piptrack -> librosa.estimate_tuning -> librosa.pitch_tuning).
#pragma once

#include <limits>
#include <vector>

#include "genre/matrix.h"

namespace genre {

struct Pitches {
  Matrix pitch;      // frames x bins: interpolated frequency (Hz) at spectral peaks, else 0
  Matrix magnitude;  // frames x bins: interpolated magnitude at those peaks, else 0
};

// librosa.piptrack on a (power or magnitude) spectrogram S, frames x bins.
Pitches piptrack(const Matrix& S, double sr, double fmin = 150.0, double fmax = 4000.0, double threshold = 0.1);

// librosa.pitch_tuning: the most common deviation (in fractions of a bin) of the given pitches from
// the equal-tempered grid, histogram resolution `resolution`; 0 when no pitch is positive.
double pitch_tuning(const std::vector<float>& frequencies, double resolution = 0.01, int bins_per_octave = 12);

// librosa.estimate_tuning(S=S): piptrack, keep peaks at or above the median peak magnitude.
double estimate_tuning(const Matrix& S, double sr, double resolution = 0.01, int bins_per_octave = 12);

struct ChromaParams {
  int n_chroma = 12;
  double tuning = 0.0;  // in fractions of a chroma bin
  double ctroct = 5.0;
  double octwidth = 2.0;  // <= 0: no octave weighting
  bool base_c = true;
};

// librosa.filters.chroma: n_chroma x (1 + n_fft/2) float32 weights.
Matrix chroma_filters(double sr, size_t n_fft, const ChromaParams& p = {});

// librosa.feature.chroma_stft from a power spectrogram (frames x bins), each frame scaled to max 1.
// `tuning` NaN estimates it from S, as librosa's tuning=None.
Matrix chroma_stft(const Matrix& S_power, double sr, double tuning = std::numeric_limits<double>::quiet_NaN(),
                   int n_chroma = 12);

}  // namespace genre
