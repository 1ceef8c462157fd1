// bandwidth: a narrowband detector on the taggers' log-mel window, used as one more "backbone" of a
// transfer model. Its 1-d embedding is 1 for a window that holds nothing above about 4.3 kHz (an
// 8 kHz recording, or a copy band-limited to 4 kHz), else 0. A band-routed head (band_routed.cpp)
// reads it to pick the head trained for that bandwidth. No weights.
//
// Its constants (genre/pretrained.h: BandwidthParams):
//   from_hz     the lowest band counted as "high": the first mel band whose lower edge is at least
//               this (4300 Hz: band 76 of the taggers' 96 HTK bands, 4.34-4.60-4.87 kHz);
//   below_db    narrowband when, in the median frame, the high bands' mean power is this far below
//               the mean power of all bands (-50 dB).
// The median over frames, not the whole window's power: a short clip is looped to fill its window,
// and each seam is a click with power above 4 kHz even in a band-limited clip (with the window's
// power and a -45 dB line, a first version, 146 of 371 band-limited excerpts passed for
// full-band). The measure per file on the development audio (bench/bandwidth_levels.py): 22,050 Hz
// clips and excerpts -43.7 dB at the lowest (medians -18.5 and -14.8 dB); their 8 kHz copies
// -77.2 dB at the highest (medians -103 and -106 dB). Digital silence (every band at the dB floor)
// counts as full-band.
#include <algorithm>
#include <vector>

#include "../zoo.h"
#include "blocks.h"
#include "genre/mel.h"
#include "genre/pretrained.h"

namespace genre {

namespace {
// The first HTK mel band (of n_mels over 0..f_max) whose lower edge is at least hz: band k's lower
// edge is the k-th of the n_mels + 2 mel points.
int64_t first_band_from(double hz, int64_t n_mels, double f_max) {
  const std::vector<double> edges = mel_frequencies(size_t(n_mels) + 2, 0.0, f_max, /*htk=*/true);
  const auto first = std::lower_bound(edges.begin(), edges.end(), hz);
  return std::min<int64_t>(n_mels - 1, int64_t(first - edges.begin()));
}
}  // namespace

struct BandwidthImpl : ClassifierImpl {
  explicit BandwidthImpl(const ModelConfig& c) : ClassifierImpl(c) {
    pretrained::check_input("bandwidth", c.input, 0);
    first_high = first_band_from(BandwidthParams::from_hz, c.input.h, tagger_frontend().sample_rate / 2.0);
  }
  int64_t embedding_size() const override { return 1; }
  // N x 1 x bands x frames (dB) -> N x 1: 1 where the window is narrowband.
  torch::Tensor embed(torch::Tensor x) override {
    const torch::Tensor power = torch::pow(10.0, x.to(torch::kFloat64) / 10.0);  // N x 1 x bands x T
    const torch::Tensor all = power.mean({1, 2});                                  // N x T
    const torch::Tensor high = power.narrow(2, first_high, x.size(2) - first_high).mean({1, 2});
    const torch::Tensor ratio_db = std::get<0>((10.0 * torch::log10(high / all)).median(1));
    return (ratio_db < BandwidthParams::below_db).to(torch::kFloat32).unsqueeze(1);
  }
  torch::Tensor forward_standardised(torch::Tensor) override {
    throw std::logic_error("bandwidth: a detector, not a classifier");
  }

  int64_t first_high = 0;  // band 76 for the taggers' front end
};
TORCH_MODULE(Bandwidth);

Classifier make_bandwidth(const ModelConfig& c) { return Bandwidth(c).ptr(); }

}  // namespace genre
