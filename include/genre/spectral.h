// Frame-wise descriptors, librosa.feature.* with librosa 0.7/0.8 defaults.
// Inputs S are frames x bins matrices from genre::spectrogram (power 1 = magnitude).
#pragma once

#include <vector>

#include "genre/matrix.h"
#include "genre/spectrum.h"

namespace genre {

// librosa.feature.rms: sqrt(mean(x^2)) over un-windowed frames, reflect-padded when centred.
std::vector<float> rms(const std::vector<float>& y, size_t frame_length = 2048, size_t hop_length = 512,
                       bool center = true, PadMode pad_mode = PadMode::Reflect);

// librosa.feature.zero_crossing_rate: sign-bit changes per frame / frame_length; edge padding when
// centred; |y| <= threshold counts as +0.
std::vector<double> zero_crossing_rate(const std::vector<float>& y, size_t frame_length = 2048,
                                       size_t hop_length = 512, bool center = true, double threshold = 1e-10);

// librosa.feature.spectral_centroid on a magnitude spectrogram.
std::vector<double> spectral_centroid(const Matrix& S, double sr);
// librosa.feature.spectral_bandwidth (p = 2, norm = True) on a magnitude spectrogram.
std::vector<double> spectral_bandwidth(const Matrix& S, double sr, const std::vector<double>& centroid, double p = 2.0);
// librosa.feature.spectral_rolloff: lowest bin frequency holding roll_percent of the frame's sum.
std::vector<double> spectral_rolloff(const Matrix& S, double sr, double roll_percent = 0.85);

}  // namespace genre
