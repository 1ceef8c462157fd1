// On-the-fly augmentation of training examples, in the feature domain (fast enough to run on every
// batch; chunks are never decoded again):
//   specaugment  2 frequency masks (up to H/8 rows) and 2 time masks (up to W/8 columns), filled
//                with the channel's training mean (Park et al. 2019)
//   pitch        shift along the frequency axis by up to 3 bins (mel, stft, dual; about a
//                semitone per mel band above 1 kHz)
//   stretch      resample the time axis by a factor in [0.8, 1.25] (linear interpolation; the
//                chunk keeps its width)
//   noise        white noise added in the power domain at a signal-to-noise ratio of 10-30 dB
//                (dB inputs), or Gaussian noise of 2% of the channel spread (others)
//   gain         a level change of up to +-6 dB (dB inputs; the 0th MFCC for mfcc)
//   mixup        batch-level: pairs of examples and their labels blended with Beta(0.2, 0.2)
//                weights (Zhang et al. 2018); applied by the trainer
// Only the training part is ever augmented.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "genre/frontend.h"

namespace genre {

enum class Augment { SpecAugment, Pitch, Stretch, Noise, Gain, Mixup };
const char* augment_name(Augment a);
std::vector<Augment> parse_augments(const std::string& comma_list);  // "" -> none; throws on unknown names

struct AugmentContext {
  InputKind input = InputKind::Mel;
  Shape shape;
  std::vector<float> channel_mean, channel_std;  // training statistics, per channel
  size_t n_mels = 128;                           // mfcc inputs: the mel bands behind the DCT
};

// Applies one example-level augmentation in place (Mixup is batch-level: a no-op here).
void augment_example(Augment a, float* x, const AugmentContext& ctx, std::mt19937_64& rng);

}  // namespace genre
