#include "genre/frontend.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "genre/gtzan_features.h"
#include "genre/mel.h"
#include "genre/png.h"
#include "genre/spectral.h"
#include "genre/spectrum.h"

namespace genre {

const char* input_name(InputKind k) {
  switch (k) {
    case InputKind::Mel: return "mel";
    case InputKind::Stft: return "stft";
    case InputKind::Mfcc: return "mfcc";
    case InputKind::Dual: return "dual";
    case InputKind::Image: return "image";
    case InputKind::Table: return "table";
  }
  return "?";
}

InputKind parse_input(const std::string& name) {
  for (InputKind k : {InputKind::Mel, InputKind::Stft, InputKind::Mfcc, InputKind::Dual, InputKind::Image, InputKind::Table})
    if (name == input_name(k)) return k;
  throw std::invalid_argument("unknown input '" + name + "' (mel, stft, mfcc, dual, image, table)");
}

void validate_frontend(const FrontEndParams& p) {
  auto check = [](bool ok, const char* name, double value, const std::string& range) {
    if (ok) return;
    std::ostringstream s;
    s << "front end: " << name << " = " << value << " is out of range (" << range << ")";
    throw std::invalid_argument(s.str());
  };
  check(p.sample_rate >= 4000 && p.sample_rate <= 192000, "sample_rate", p.sample_rate, "4000 to 192000 Hz");
  check(p.n_fft >= 16 && p.n_fft <= 16384, "n_fft", double(p.n_fft), "16 to 16384");
  check(p.stft_n_fft >= 16 && p.stft_n_fft <= 16384, "stft_n_fft", double(p.stft_n_fft), "16 to 16384");
  check(p.hop_length >= 1 && p.hop_length <= p.n_fft, "hop_length", double(p.hop_length), "1 to n_fft");
  check(p.n_mels >= 2 && p.n_mels <= 512 && p.n_mels <= p.n_fft / 2 + 1, "n_mels", double(p.n_mels),
        "2 to 512, at most n_fft/2+1");
  check(p.n_mfcc >= 1 && p.n_mfcc <= p.n_mels, "n_mfcc", double(p.n_mfcc), "1 to n_mels");
  check(p.top_db >= 0 && p.top_db <= 200, "top_db", p.top_db, "0 to 200 dB");
  check(p.chunk_seconds >= 0.1 && p.chunk_seconds <= 600, "chunk_seconds", p.chunk_seconds, "0.1 to 600 s");
  check(p.chunk_hop >= 0.1 && p.chunk_hop <= 600, "chunk_hop", p.chunk_hop, "0.1 to 600 s");
  check(p.image_scale >= 1 && p.image_scale <= 16, "image_scale", p.image_scale, "1 to 16");
  check(p.log_scale == 0 || (p.log_scale >= 1 && p.log_scale <= 1e9), "log_scale", p.log_scale, "0 (dB), or 1 to 1e9");
  check(p.crop_seconds == 0 || (p.crop_seconds >= 0.5 && p.crop_seconds <= 600), "crop_seconds", p.crop_seconds, "0, or 0.5 to 600 s");
  check(p.crop_at >= 0 && p.crop_at <= 1, "crop_at", p.crop_at, "0 to 1");
  check(p.bandlimit_hz == 0 || (p.bandlimit_hz >= 500 && 2 * p.bandlimit_hz < p.sample_rate), "bandlimit_hz", p.bandlimit_hz,
        "0, or 500 Hz to half the sample rate");
}

namespace {
// The log-mel transform of a front end. One of the taggers' shape (pretrained.h: tagger_frontend)
// runs on their stored window and filter bank (genre/mel.h), not on computed ones.
LogMelParams logmel_params(const FrontEndParams& p) {
  LogMelParams lp;
  lp.sample_rate = p.sample_rate;
  lp.stft.n_fft = p.n_fft;
  lp.stft.hop_length = p.hop_length;
  lp.mel.n_mels = p.n_mels;
  lp.mel.htk = p.mel_htk;
  lp.mel.norm = p.mel_slaney_norm ? MelNorm::Slaney : MelNorm::None;
  lp.top_db = p.top_db;
  lp.log_scale = p.log_scale;
  if (p.pad_zeros) lp.stft.pad_mode = PadMode::Constant;
  if (p.window_symmetric) lp.stft.window = std::make_shared<const std::vector<double>>(hann_window(p.n_fft, true));
  lp.tagger_buffers = has_tagger_shape(lp) && !p.window_symmetric;
  return lp;
}
}  // namespace

std::string FrontEndParams::key() const {
  std::ostringstream s;
  s << input_name(input) << " sr=" << sample_rate << " n_fft=" << n_fft << " hop=" << hop_length << " n_mels=" << n_mels
    << " n_mfcc=" << n_mfcc << " stft_n_fft=" << stft_n_fft << " top_db=" << top_db << " chunk=" << chunk_seconds
    << " chunk_hop=" << chunk_hop << " trim=" << trim_silence << " image_scale=" << image_scale;
  if (mel_htk || !mel_slaney_norm || loop_short)
    s << " htk=" << mel_htk << " slaney_norm=" << mel_slaney_norm << " loop_short=" << loop_short;
  if (logmel_params(*this).tagger_buffers) s << " buffers=tagger";  // cached before: a computed bank and window
  if (window_symmetric || pad_zeros || log_scale > 0)  // Essentia's patches (keys of the other front ends unchanged)
    s << " window_symmetric=" << window_symmetric << " pad_zeros=" << pad_zeros << " log_scale=" << log_scale;
  if (bandlimit_hz > 0) s << " bandlimit=" << bandlimit_hz;
  if (crop_seconds > 0) s << " crop=" << crop_seconds << "@" << crop_at;
  // Table rows of a clip shorter than a window come from its samples, not the zero padding (as in
  // genre predict); rows cached before that rule were of the padded window.
  if (input == InputKind::Table) s << " rows=real";
  return s.str();
}

std::pair<size_t, size_t> trim_range(const std::vector<float>& y, double top_db, size_t frame_length, size_t hop_length) {
  if (y.empty()) return {0, 0};
  const auto r = rms(y, frame_length, hop_length);
  // power_to_db(rms^2, ref=max): frames within top_db of the loudest are not silent.
  float peak = 0.f;
  for (float v : r) peak = std::max(peak, v * v);
  if (peak <= 0.f) return {0, 0};
  const double floor = double(peak) * std::pow(10.0, -top_db / 10.0);
  size_t first = r.size(), last = 0;
  for (size_t t = 0; t < r.size(); ++t)
    if (double(r[t]) * r[t] > floor) {
      first = std::min(first, t);
      last = t;
    }
  if (first == r.size()) return {0, 0};
  return {first * hop_length, std::min(y.size(), (last + 1) * hop_length)};
}

struct FrontEnd::Impl {
  LogMelSpectrogram logmel;
  StftParams stft;     // the mel/mfcc STFT
  StftParams lin;      // the stft input / dual's second channel
  Impl(const FrontEndParams& p) : logmel(logmel_params(p)) {
    stft.n_fft = p.n_fft;
    stft.hop_length = p.hop_length;
    lin.n_fft = p.input == InputKind::Dual ? 2 * (p.n_mels - 1) : p.stft_n_fft;
    lin.hop_length = p.hop_length;
  }
};

FrontEnd::FrontEnd(const FrontEndParams& p, std::shared_ptr<const Embedder> embedder)
    : p_(p), embedder_(std::move(embedder)), impl_((validate_frontend(p), std::make_shared<Impl>(p))) {}

std::string FrontEnd::key() const { return embedder_ ? p_.key() + " embed=" + embedder_->key() : p_.key(); }


size_t FrontEnd::chunk_samples() const { return size_t(std::llround(p_.chunk_seconds * p_.sample_rate)); }

Shape FrontEnd::shape() const {
  if (embedder_) return {embedder_->size(), 1, 1};
  return feature_shape();
}

Shape FrontEnd::feature_shape() const {
  const int64_t frames = int64_t(stft_frames(chunk_samples(), impl_->stft));
  switch (p_.input) {
    case InputKind::Mel: return {1, int64_t(p_.n_mels), frames};
    case InputKind::Stft: return {1, int64_t(p_.stft_n_fft / 2 + 1), frames};
    case InputKind::Mfcc: return {1, int64_t(p_.n_mfcc), frames};
    case InputKind::Dual: return {2, int64_t(p_.n_mels), frames};
    case InputKind::Image: return {3, 288 / p_.image_scale, 432 / p_.image_scale};
    case InputKind::Table: return {int64_t(kGtzanFeatureCount), 1, 1};
  }
  return {};
}

namespace {
// frames x bins matrix -> bins x frames rows of a C x H x W chunk (H = frequency, W = time).
void put_channel(const Matrix& m, float* out) {
  for (size_t t = 0; t < m.rows; ++t)
    for (size_t k = 0; k < m.cols; ++k) out[k * m.rows + t] = m(t, k);
}
}  // namespace

void FrontEnd::chunk(const std::vector<float>& y, float* out, size_t valid) const {
  if (embedder_) {
    std::vector<float> features(size_t(feature_shape().size()));
    window_features(y, valid, features.data());
    embedder_->embed(features.data(), 1, out);
    return;
  }
  window_features(y, valid, out);
}

void FrontEnd::window_features(const std::vector<float>& window, size_t valid, float* out) const {
  if (p_.input == InputKind::Table && valid < window.size()) {
    // Feature rows describe real audio: a short clip's row comes from its samples, not the padding.
    features_of(std::vector<float>(window.begin(), window.begin() + long(valid)), out);
    return;
  }
  features_of(window, out);
}

void FrontEnd::features_of(const std::vector<float>& y, float* out) const {
  const Impl& m = *impl_;
  switch (p_.input) {
    case InputKind::Mel:
      put_channel(m.logmel(y), out);
      return;
    case InputKind::Mfcc:
      put_channel(mfcc_from_db(m.logmel(y), p_.n_mfcc), out);
      return;
    case InputKind::Stft:
    case InputKind::Dual: {
      size_t offset = 0;
      if (p_.input == InputKind::Dual) {
        const Matrix mel = m.logmel(y);
        put_channel(mel, out);
        offset = mel.size();
      }
      Matrix lin = spectrogram(y, m.lin, 2.0);
      power_to_db(lin, 1.0, 1e-10, p_.top_db);
      put_channel(lin, out + offset);
      return;
    }
    case InputKind::Table: {
      // The GTZAN row of the window: a model trained on features_30_sec.csv applied to audio.
      const auto row = gtzan_features(y, p_.sample_rate);
      std::copy(row.begin(), row.end(), out);
      return;
    }
    case InputKind::Image:
      break;
  }
  throw std::logic_error(std::string("front end '") + input_name(p_.input) + "' does not take audio");
}

ClipFeatures FrontEnd::clip(const std::vector<float>& samples) const {
  std::vector<float> trimmed, limited, cropped;
  const std::vector<float>* y = &samples;
  if (p_.crop_seconds > 0) {
    const size_t n = size_t(p_.crop_seconds * p_.sample_rate);
    if (samples.size() < 2 * n) {  // short already: no crop copy
      ClipFeatures none;
      none.shape = shape();
      return none;
    }
    const size_t start = size_t(p_.crop_at * double(samples.size() - n));
    cropped.assign(samples.begin() + long(start), samples.begin() + long(start + n));
    y = &cropped;
  }
  if (p_.bandlimit_hz > 0) {
    limited = band_limit(*y, p_.sample_rate, p_.bandlimit_hz);
    y = &limited;
  }
  if (p_.trim_silence) {
    auto [a, b] = trim_range(*y);
    trimmed.assign(y->begin() + long(a), y->begin() + long(b));
    y = &trimmed;
  }
  ChunkParams cp;
  cp.chunk_seconds = p_.chunk_seconds;
  cp.hop_seconds = p_.chunk_hop;
  cp.loop_short = p_.loop_short;
  const auto windows = chunk_audio(*y, p_.sample_rate, cp);
  ClipFeatures f;
  f.shape = feature_shape();
  f.count = windows.size();
  f.data.resize(f.count * size_t(f.shape.size()));
  const size_t hop = size_t(std::llround(p_.chunk_hop * p_.sample_rate));  // chunk_audio's
  for (size_t i = 0; i < windows.size(); ++i) {
    // Only a clip shorter than a window has padding (chunk_audio keeps whole windows after the first).
    const size_t valid = std::min(windows[i].size(), y->size() - i * hop);
    window_features(windows[i], valid, f.data.data() + i * size_t(f.shape.size()));
    f.starts.push_back(double(i) * p_.chunk_hop);
  }
  if (embedder_ && f.count > 0) {
    // The learned transform, a few chunks at a time (bounded memory for long files).
    ClipFeatures e;
    e.shape = shape();
    e.count = f.count;
    e.starts = f.starts;
    e.data.resize(e.count * size_t(e.shape.size()));
    for (size_t i = 0; i < f.count; i += 4)
      embedder_->embed(f.chunk(i), int64_t(std::min<size_t>(4, f.count - i)), e.data.data() + i * size_t(e.shape.size()));
    return e;
  }
  return f;
}

ClipFeatures FrontEnd::file(const std::string& path) const {
  if (p_.input == InputKind::Image) return image(path);
  return decoded(path, load_audio(path, p_.sample_rate).samples);
}

ClipFeatures FrontEnd::decoded(const std::string& path, const std::vector<float>& samples) const {
  ClipFeatures f = clip(samples);
  // A training copy may have no chunks: a crop of a clip that is short already, or a band-limited
  // copy that silence trimming leaves empty (a copy that is silence). That is the copy's absence,
  // not a fault of the file, whose own front end decides whether it is readable.
  const bool copy = p_.crop_seconds > 0 || p_.bandlimit_hz > 0;
  if (f.count == 0 && !copy) throw AudioError(path, p_.trim_silence ? "only silence" : "no audio");
  return f;
}

ClipFeatures FrontEnd::image(const std::string& path) const {
  const Image img = read_png(path);
  const int s = std::max(1, p_.image_scale);
  const Shape sh = shape();
  if (img.width < sh.w * s || img.height < sh.h * s)
    throw std::runtime_error(path + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                             ", expected at least " + std::to_string(sh.w * s) + "x" + std::to_string(sh.h * s));
  ClipFeatures f;
  f.shape = sh;
  f.count = 1;
  f.starts = {0.0};
  f.data.assign(size_t(sh.size()), 0.f);
  // Average s x s blocks of the RGB channels, scaled to [0, 1].
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < sh.h; ++y)
      for (int64_t x = 0; x < sh.w; ++x) {
        int sum = 0;
        for (int dy = 0; dy < s; ++dy)
          for (int dx = 0; dx < s; ++dx) sum += img.at(int(x) * s + dx, int(y) * s + dy)[c];
        f.data[size_t((c * sh.h + y) * sh.w + x)] = float(sum) / float(255 * s * s);
      }
  return f;
}

}  // namespace genre
