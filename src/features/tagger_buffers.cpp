// The pretrained taggers' stored front-end buffers (genre/mel.h: tagger_window, tagger_mel_bank).
#include "genre/mel.h"

namespace genre {
namespace {
struct TaggerBankEntry {
  int bin, mel;
  float weight;
};
#include "tagger_buffers.inc"
}  // namespace

const std::shared_ptr<const std::vector<double>>& tagger_window() {
  static const auto w = std::make_shared<const std::vector<double>>(std::begin(kTaggerWindow), std::end(kTaggerWindow));
  return w;
}

const MelFilterBank& tagger_mel_bank() {
  static const MelFilterBank bank = [] {
    Matrix dense(96, 257);
    for (const auto& e : kTaggerBank) dense(size_t(e.mel), size_t(e.bin)) = e.weight;
    return MelFilterBank(dense);
  }();
  return bank;
}

}  // namespace genre
