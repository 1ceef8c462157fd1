#include "genre/augment.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace genre {

const char* augment_name(Augment a) {
  switch (a) {
    case Augment::SpecAugment: return "specaugment";
    case Augment::Pitch: return "pitch";
    case Augment::Stretch: return "stretch";
    case Augment::Noise: return "noise";
    case Augment::Gain: return "gain";
    case Augment::Mixup: return "mixup";
  }
  return "?";
}

std::vector<Augment> parse_augments(const std::string& list) {
  std::vector<Augment> out;
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    if (name.empty() || name == "none") continue;
    bool found = false;
    for (Augment a : {Augment::SpecAugment, Augment::Pitch, Augment::Stretch, Augment::Noise, Augment::Gain, Augment::Mixup})
      if (name == augment_name(a)) {
        out.push_back(a);
        found = true;
      }
    if (!found)
      throw std::invalid_argument("unknown augmentation '" + name + "' (specaugment, pitch, stretch, noise, gain, mixup)");
  }
  return out;
}

namespace {

bool is_db(InputKind k) { return k == InputKind::Mel || k == InputKind::Stft || k == InputKind::Dual; }

int uniform_int(std::mt19937_64& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

void spec_augment(float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  const int64_t C = ctx.shape.c, H = ctx.shape.h, W = ctx.shape.w;
  for (int m = 0; m < 2; ++m) {
    const int f = uniform_int(rng, 0, int(std::max<int64_t>(1, H / 8)));
    const int f0 = uniform_int(rng, 0, int(std::max<int64_t>(0, H - f)));
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = f0; h < std::min<int64_t>(H, f0 + f); ++h) std::fill_n(x + (c * H + h) * W, W, ctx.channel_mean[size_t(c)]);
  }
  for (int m = 0; m < 2; ++m) {
    const int t = uniform_int(rng, 0, int(std::max<int64_t>(1, W / 8)));
    const int t0 = uniform_int(rng, 0, int(std::max<int64_t>(0, W - t)));
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h) std::fill_n(x + (c * H + h) * W + t0, std::min<int64_t>(t, W - t0), ctx.channel_mean[size_t(c)]);
  }
}

void pitch_shift(float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  if (!is_db(ctx.input)) return;
  const int64_t C = ctx.shape.c, H = ctx.shape.h, W = ctx.shape.w;
  const int k = uniform_int(rng, -3, 3);
  if (k == 0) return;
  std::vector<float> tmp(size_t(H * W));
  for (int64_t c = 0; c < C; ++c) {
    float* ch = x + c * H * W;
    std::copy(ch, ch + H * W, tmp.begin());
    for (int64_t h = 0; h < H; ++h) {
      const int64_t src = std::clamp<int64_t>(h - k, 0, H - 1);  // edge rows repeat
      std::copy_n(tmp.begin() + src * W, W, ch + h * W);
    }
  }
}

void time_stretch(float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  const int64_t C = ctx.shape.c, H = ctx.shape.h, W = ctx.shape.w;
  if (ctx.input == InputKind::Image || ctx.input == InputKind::Table || W < 2) return;
  const double rate = std::exp(uniform(rng, std::log(0.8), std::log(1.25)));
  std::vector<float> row(static_cast<size_t>(W));
  for (int64_t r = 0; r < C * H; ++r) {
    float* p = x + r * W;
    std::copy(p, p + W, row.begin());
    for (int64_t w = 0; w < W; ++w) {
      const double s = std::min(double(W - 1), double(w) * rate);  // past the end: the last frame
      const int64_t i = int64_t(s);
      const double f = s - double(i);
      p[w] = float((1 - f) * row[size_t(i)] + f * row[size_t(std::min(i + 1, W - 1))]);
    }
  }
}

void add_noise(float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  const int64_t C = ctx.shape.c, n = ctx.shape.h * ctx.shape.w;
  if (is_db(ctx.input)) {
    // White noise at a signal-to-noise ratio of 10-30 dB: its power per bin is the chunk's mean
    // power per bin, lowered by the SNR, and powers add.
    for (int64_t c = 0; c < C; ++c) {
      float* ch = x + c * n;
      double mean_power = 0;
      for (int64_t i = 0; i < n; ++i) mean_power += std::pow(10.0, ch[i] / 10.0) / double(n);
      const double noise_power = mean_power * std::pow(10.0, -uniform(rng, 10.0, 30.0) / 10.0);
      for (int64_t i = 0; i < n; ++i) ch[i] = float(10.0 * std::log10(std::pow(10.0, ch[i] / 10.0) + noise_power));
    }
    return;
  }
  std::normal_distribution<float> g(0.f, 1.f);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < n; ++i) x[c * n + i] += 0.02f * ctx.channel_std[size_t(c)] * g(rng);
}

void gain(float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  const double g = uniform(rng, -6.0, 6.0);
  const int64_t n = ctx.shape.h * ctx.shape.w;
  if (is_db(ctx.input)) {
    for (int64_t i = 0; i < ctx.shape.c * n; ++i) x[i] += float(g);
  } else if (ctx.input == InputKind::Mfcc) {
    // A constant dB offset on every mel band moves only the 0th DCT coefficient, by g * sqrt(n_mels).
    for (int64_t w = 0; w < ctx.shape.w; ++w) x[w] += float(g * std::sqrt(double(ctx.n_mels)));
  }
}

}  // namespace

void augment_example(Augment a, float* x, const AugmentContext& ctx, std::mt19937_64& rng) {
  switch (a) {
    case Augment::SpecAugment: return spec_augment(x, ctx, rng);
    case Augment::Pitch: return pitch_shift(x, ctx, rng);
    case Augment::Stretch: return time_stretch(x, ctx, rng);
    case Augment::Noise: return add_noise(x, ctx, rng);
    case Augment::Gain: return gain(x, ctx, rng);
    case Augment::Mixup: return;
  }
}

}  // namespace genre
