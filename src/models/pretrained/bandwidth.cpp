// bandwidth: a narrowband detector on the taggers' log-mel window, used as one more "backbone" of a
// transfer model. Its 1-d embedding is 1 for a window that holds nothing above about 4.3 kHz (an
// 8 kHz recording, or a copy band-limited to 4 kHz), else 0. A band-routed head (band_routed.cpp)
// reads it to pick the head trained for that bandwidth. No weights.
//
// Parameters (declared, with their ranges, in genre/pretrained.h: BandwidthParams):
//   from_hz     the lowest band counted as "high": the first mel band whose lower edge is at least
//               this (default 4300 Hz: band 76 of the taggers' 96 HTK bands, 4.34-4.60-4.87 kHz);
//   below_db    narrowband when, in the median frame, the high bands' mean power is this far below
//               the mean power of all bands (default -50 dB).
// The median over frames, not the whole window's power: a short clip is looped to fill its window,
// and each seam is a click with power above 4 kHz even in a band-limited clip (with the window's
// power, 146 of 371 band-limited excerpts passed for full-band). Measured per file on the
// development audio, resampled to 16 kHz by libsoxr as genre does (README, "Band-routed heads"):
// 22,050 Hz clips and excerpts -43.7 dB at the lowest (median -15 to -19 dB); 4 kHz copies of them
// and real 8 kHz recordings -97 dB at the highest, at the dB floor. Digital silence (every band at
// the floor) counts as full-band.
#include <cmath>

#include "../zoo.h"
#include "blocks.h"
#include "genre/mel.h"
#include "genre/pretrained.h"

namespace genre {

int64_t first_band_from(double hz, int64_t n_mels, double f_max) {
  // HTK mel points: n_mels + 2 equally spaced from 0 to mel(f_max); band k's lower edge is point k.
  const double step = hz_to_mel(f_max, /*htk=*/true) / double(n_mels + 1);
  return std::min<int64_t>(n_mels - 1, int64_t(std::ceil(hz_to_mel(hz, /*htk=*/true) / step - 1e-9)));
}

struct BandwidthImpl : ClassifierImpl {
  explicit BandwidthImpl(const ModelConfig& c, BandwidthParams p = {}) : ClassifierImpl(c), params(p) {
    pretrained::check_input("bandwidth", c.input, 0);
    if (!(p.from_hz >= 1000 && p.from_hz <= 7500)) throw std::invalid_argument("bandwidth: from_hz must be in [1000, 7500]");
    if (!(p.below_db >= -90 && p.below_db <= -10)) throw std::invalid_argument("bandwidth: below_db must be in [-90, -10]");
    first_high = first_band_from(p.from_hz, c.input.h, tagger_frontend().sample_rate / 2.0);
  }
  int64_t embedding_size() const override { return 1; }
  // N x 1 x bands x frames (dB) -> N x 1: 1 where the window is narrowband.
  torch::Tensor embed(torch::Tensor x) override {
    const torch::Tensor power = torch::pow(10.0, x.to(torch::kFloat64) / 10.0);  // N x 1 x bands x T
    const torch::Tensor all = power.mean({1, 2});                                  // N x T
    const torch::Tensor high = power.narrow(2, first_high, x.size(2) - first_high).mean({1, 2});
    const torch::Tensor ratio_db = std::get<0>((10.0 * torch::log10(high / all)).median(1));
    return (ratio_db < params.below_db).to(torch::kFloat32).unsqueeze(1);
  }
  torch::Tensor forward_standardised(torch::Tensor) override {
    throw std::logic_error("bandwidth: a detector, not a classifier");
  }

  BandwidthParams params;
  int64_t first_high = 0;
};
TORCH_MODULE(Bandwidth);

Classifier make_bandwidth(const ModelConfig& c) { return Bandwidth(c).ptr(); }

}  // namespace genre
