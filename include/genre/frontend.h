// Front ends: what a model sees. Audio is cut into chunks (default 4 s every 2 s) and each chunk
// becomes a C x H x W array (frequency as H, time as W, like an image):
//   mel   1 x n_mels x frames          log-mel (dB, top_db 80), Slaney, n_fft 2048, hop 512
//   stft  1 x (1 + stft_n_fft/2) x frames  log-power linear-frequency spectrogram
//   mfcc  1 x n_mfcc x frames          MFCCs of the log-mel
//   dual  2 x n_mels x frames          log-mel and a log-power STFT with n_mels bins (the DenseNet reference's pair)
//   image 3 x H x W                    a Kaggle spectrogram PNG (RGB in [0, 1], downsampled by image_scale)
//   table 57 x 1 x 1                   a row of GTZAN's feature table (features_30_sec.csv), read
//                                      from the table, or computed from audio windows (use
//                                      --chunk 30 --chunk-hop 15 for the 30 s rows)
// No torch here: plain float arrays, shared by training, evaluation, prediction and the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "genre/audio.h"

namespace genre {

enum class InputKind { Mel, Stft, Mfcc, Dual, Image, Table };
const char* input_name(InputKind k);
InputKind parse_input(const std::string& name);  // throws on unknown names

struct FrontEndParams {
  InputKind input = InputKind::Mel;
  int sample_rate = 22050;
  size_t n_fft = 2048;
  size_t hop_length = 512;
  size_t n_mels = 128;
  size_t n_mfcc = 20;
  size_t stft_n_fft = 510;  // the stft input: 256 bins
  double top_db = 80.0;
  double chunk_seconds = 4.0;
  double chunk_hop = 2.0;
  bool trim_silence = false;  // trim leading/trailing silence (top_db 60) before chunking
  int image_scale = 2;        // image input: downsampling factor of the 432 x 288 PNG
  // The mel filter bank: librosa's default (Slaney scale, Slaney area normalisation), or the HTK
  // scale without normalisation of torchaudio's MelSpectrogram (the pretrained taggers' front end).
  bool mel_htk = false;
  bool mel_slaney_norm = true;
  // A clip shorter than one chunk: zero-padded (false) or looped until it fills the chunk (true;
  // the pretrained taggers, whose windows are 29 s, see a 3 s excerpt repeated, not 26 s of silence).
  bool loop_short = false;
  // The STFT window and padding and the log of the mel power: librosa's and torchaudio's (periodic
  // Hann, reflect padding, dB), or Essentia's TensorflowInputMusiCNN (symmetric Hann, centred frames
  // padded with zeros, log10(1 + 10000 x)), the input of the noncommercial Essentia taggers
  // (genre/pretrained.h: essentia_frontend).
  bool window_symmetric = false;
  bool pad_zeros = false;
  double log_scale = 0;  // > 0: log10(1 + log_scale x) of the mel power; 0: dB (top_db)
  // Training copies only (never in a model file): the audio is first band-limited to this many Hz
  // (band_limit in genre/audio.h), as a recording at twice that rate would be. 0: off.
  double bandlimit_hz = 0;
  // Training copies only (never in a model file): the clip is first cut to this many seconds,
  // starting crop_at of the way through what is left after the crop (0: the start, 1: the end), so
  // that a model also learns from inputs as short as the 2-3 s excerpts. A clip shorter than twice
  // the crop gives no chunks (it is short already). 0: off.
  double crop_seconds = 0;
  double crop_at = 0.5;

  std::string key() const;  // every field, for cache keys and model files
};

// The declared range of every front-end parameter (Essentia-style: name, range, default in
// FrontEndParams above). Throws std::invalid_argument naming the first parameter out of range, so
// that a damaged model file or a bad option is one clear error, not a crash in the STFT.
//   sample_rate 4000..192000 Hz   n_fft, stft_n_fft 16..16384   hop_length 1..n_fft
//   n_mels 2..512 (and <= n_fft/2+1)   n_mfcc 1..n_mels   top_db 0..200 (0: no floor)
//   chunk_seconds 0.1..600 and chunk_hop 0.1..600 s   image_scale 1..16   log_scale 0, or 1..1e9
void validate_frontend(const FrontEndParams& p);

struct Shape {
  int64_t c = 0, h = 0, w = 0;
  int64_t size() const { return c * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};

// The chunks of one clip, each shape.size() floats, stored back to back.
struct ClipFeatures {
  Shape shape;
  size_t count = 0;
  std::vector<float> data;
  std::vector<double> starts;  // chunk start times (s)
  const float* chunk(size_t i) const { return data.data() + i * size_t(shape.size()); }
};

// A learned transform applied to each chunk's features, e.g. a pretrained network's penultimate
// layer (genre/pretrained.h): n chunks of `input` shape in, n vectors of `size()` floats out. The
// front end then yields those vectors (size x 1 x 1), and the feature cache keys them by key().
struct Embedder {
  virtual ~Embedder() = default;
  virtual int64_t size() const = 0;
  virtual std::string key() const = 0;
  virtual void embed(const float* x, int64_t n, float* out) const = 0;
};

// Computes features with its transforms (mel filter bank, DCT) built once. Thread-safe: const
// methods only.
class FrontEnd {
 public:
  explicit FrontEnd(const FrontEndParams& p = {}, std::shared_ptr<const Embedder> embedder = nullptr);
  // The cache key: the parameters, and the embedder's key when there is one.
  std::string key() const;
  // The shape of one chunk of the front end itself, before any embedder.
  Shape feature_shape() const;
  const FrontEndParams& params() const { return p_; }
  // The shape of one chunk.
  Shape shape() const;
  size_t chunk_samples() const;
  // Features of one chunk of audio (already at the sample rate; chunk_samples() long) into out.
  // valid: how many of its first samples are audio, the rest being a short clip's padding or loop.
  // A table row describes only those samples; the other front ends take the whole window. The
  // training (clip()) and prediction (genre/predict.h) paths both go through this rule.
  void chunk(const std::vector<float>& samples, float* out, size_t valid = SIZE_MAX) const;
  // All chunks of a decoded signal (at the sample rate), with ChunkParams' rule.
  ClipFeatures clip(const std::vector<float>& samples) const;
  // Decodes a file and computes its chunks; throws AudioError naming the file.
  ClipFeatures file(const std::string& path) const;
  // The same for a file already decoded at sample_rate (several front ends, one decode). A training
  // copy without chunks (a crop or band-limited copy: crop_seconds or bandlimit_hz set) is not an
  // error, only absent: the file's own front end says whether the file is readable.
  ClipFeatures decoded(const std::string& path, const std::vector<float>& samples) const;
  // A Kaggle spectrogram PNG as one 3 x H x W chunk; throws std::runtime_error naming the file.
  ClipFeatures image(const std::string& path) const;

 private:
  void features_of(const std::vector<float>& samples, float* out) const;  // before the embedder
  void window_features(const std::vector<float>& window, size_t valid, float* out) const;  // chunk()'s rule
  FrontEndParams p_;
  std::shared_ptr<const Embedder> embedder_;
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// librosa.effects.trim: the [start, end) sample range whose frame RMS is within top_db of the peak.
std::pair<size_t, size_t> trim_range(const std::vector<float>& y, double top_db = 60.0, size_t frame_length = 2048,
                                     size_t hop_length = 512);

}  // namespace genre
