// Harmonic/percussive source separation by median filtering (librosa.decompose.hpss and
// librosa.effects.hpss, Fitzgerald 2010), with scipy.ndimage.median_filter semantics.
#pragma once

#include <vector>

#include "genre/matrix.h"
#include "genre/spectrum.h"

namespace genre {

// Centred running median of odd `size` over x, with scipy 'reflect' (half-sample symmetric) edges.
std::vector<float> median_filter(const std::vector<float>& x, size_t size);

struct HpssParams {
  size_t kernel_size = 31;  // frames (harmonic) and bins (percussive)
  double power = 2.0;
  double margin = 1.0;
};

struct HpssMasks {
  Matrix harmonic, percussive;  // frames x bins soft masks
};
// Soft masks from a magnitude spectrogram (librosa.decompose.hpss(S, mask=True)).
HpssMasks hpss_masks(const Matrix& S_mag, const HpssParams& p = {});

struct HpssSignals {
  std::vector<float> harmonic, percussive;
};
// librosa.effects.hpss(y): masks applied to the STFT D of y, inverted, fixed to y's length.
HpssSignals hpss(const ComplexMatrix& D, size_t n_samples, const HpssParams& p = {}, const StftParams& stft = {});
// The same when |D| (spectrogram(D, 1)) is already at hand.
HpssSignals hpss(const ComplexMatrix& D, const Matrix& D_magnitude, size_t n_samples, const HpssParams& p = {},
                 const StftParams& stft = {});
HpssSignals hpss(const std::vector<float>& y, const HpssParams& p = {}, const StftParams& stft = {});

}  // namespace genre
