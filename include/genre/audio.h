// Audio decoding: any format libsndfile reads (wav, au, flac, ogg/vorbis, opus, mp3, ...),
// downmixed to mono and resampled with libsoxr, as librosa.load(path, sr=22050, mono=True).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace genre {

// Every decoding failure: the message names the file (or "<memory>") and the reason.
// Unreadable: nothing could be decoded (missing, empty, not audio); Invalid: an audio file that
// cannot be used (absurd header, truncated, corrupt data, no samples).
class AudioError : public std::runtime_error {
 public:
  enum class Kind { Unreadable, Invalid };
  AudioError(const std::string& source, const std::string& reason, Kind kind = Kind::Invalid);
  const std::string& source() const { return source_; }
  const std::string& reason() const { return reason_; }
  Kind kind() const { return kind_; }

 private:
  std::string source_;
  std::string reason_;
  Kind kind_;
};

// What the container says about a file, before any decoding.
struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;  // as declared by the header; may be an estimate for mp3
  std::string format;  // e.g. "WAV (Microsoft)", "FLAC (Free Lossless Audio Codec)"
  double duration() const { return sample_rate > 0 ? double(frames) / sample_rate : 0.0; }
};

// What genre accepts as audio, checked when a file is opened and while it is decoded. A file
// outside these bounds is an AudioError naming the bound, before any memory is spent on it.
struct AudioLimits {
  int min_sample_rate = 1000;      // Hz: below this a header is corrupt (1 Hz would resample 22050x)
  int max_sample_rate = 768000;    // Hz: the highest rate of real converters
  int max_channels = 64;
  double max_seconds = 0;          // decoded duration; 0: no bound (genre serve sets --max-duration)
  float max_abs_sample = 1e6f;     // float files: NaN, Inf or beyond +-1e6 is corrupt data, not audio
};

struct Audio {
  std::vector<float> samples;  // mono, in [-1, 1]
  int sample_rate = 0;
  double duration() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

constexpr int kDefaultSampleRate = 22050;

// Decodes a whole file to mono at target_sr (0 keeps the native rate). Reads in blocks:
// the only full-length buffer is the output at the target rate.
Audio load_audio(const std::string& path, int target_sr = kDefaultSampleRate, const AudioLimits& limits = {});

// The same, from an encoded file held in memory (an upload). `name` is used in error messages.
Audio load_audio_from_memory(const void* data, size_t size, int target_sr = kDefaultSampleRate,
                             const std::string& name = "<memory>", const AudioLimits& limits = {});

AudioInfo audio_info(const std::string& path);

// Writes mono samples (clipped to [-1, 1]) as a 16-bit PCM WAV file; throws std::runtime_error
// naming the file when it cannot be written.
void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate);

// File extensions (lower case, with the dot) that the decoder is asked to open when walking folders.
const std::vector<std::string>& audio_extensions();
bool has_audio_extension(const std::string& path);

// Pull-based decoder: yields mono samples at the target rate in blocks, holding only a block
// at a time. The building block of load_audio and ChunkReader.
class AudioStream {
 public:
  explicit AudioStream(const std::string& path, int target_sr = kDefaultSampleRate, const AudioLimits& limits = {});
  AudioStream(const void* data, size_t size, int target_sr, const std::string& name, const AudioLimits& limits = {});
  ~AudioStream();
  AudioStream(const AudioStream&) = delete;
  AudioStream& operator=(const AudioStream&) = delete;

  // Appends up to max_samples output samples to out; returns how many were appended.
  // Returns 0 only at the end of the stream. Throws AudioError on decode errors.
  size_t read(std::vector<float>& out, size_t max_samples);

  const AudioInfo& info() const;
  int sample_rate() const;            // the output rate
  int64_t expected_samples() const;   // ceil(declared frames * ratio), librosa's output length
  const std::string& source() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fixed-length windows: chunk_seconds long, every hop_seconds. A final partial window is
// zero-padded and kept when it holds at least min_fraction of a chunk (default 1: only full
// windows), and always when the whole signal is shorter than one chunk, so that every
// non-empty signal yields at least one window.
struct ChunkParams {
  double chunk_seconds = 4.0;
  double hop_seconds = 2.0;
  double min_fraction = 1.0;
  // A signal shorter than one chunk: its one window repeats the signal instead of zero padding
  // (the pretrained taggers' 29 s windows; genre/pretrained.h).
  bool loop_short = false;
};

// y (at sample_rate) as a recording at 2 x max_hz would give it: resampled down to 2 x max_hz and
// back up with libsoxr (SOXR_HQ), which removes what lies above max_hz. The same length as y;
// y itself when max_hz is 0 or at least half the sample rate. For training copies that keep a
// model from taking bandwidth for a genre (FrontEndParams::bandlimit_hz).
std::vector<float> band_limit(const std::vector<float>& y, int sample_rate, double max_hz);

// Fills a chunk whose first `valid` samples are audio by repeating them.
void loop_to_fill(std::vector<float>& chunk, size_t valid);

// The rule above, shared by the streaming and the in-memory chunkers.
bool keep_window(size_t available, size_t chunk_len, bool first_window, double min_fraction);

// In-memory chunking of a decoded signal with the same rule as ChunkReader.
std::vector<std::vector<float>> chunk_audio(const std::vector<float>& samples, int sample_rate,
                                            const ChunkParams& params = {});

class ChunkReader {
 public:
  ChunkReader(std::unique_ptr<AudioStream> stream, ChunkParams params = {});
  explicit ChunkReader(const std::string& path, ChunkParams params = {},
                       int target_sr = kDefaultSampleRate);
  // Fills chunk (resized to the chunk length) and returns true; false when no window is left.
  // `valid` receives how many samples are audio rather than zero padding.
  bool next(std::vector<float>& chunk, double* start_seconds = nullptr, size_t* valid = nullptr);
  // Called with every block of decoded samples, in order, as the reader takes them from the
  // stream: all of them once next() has returned false. (The server draws its spectrogram from
  // these instead of decoding an upload twice.)
  using SampleTap = std::function<void(const float* samples, size_t n)>;
  void set_tap(SampleTap tap) { tap_ = std::move(tap); }
  size_t chunk_samples() const { return chunk_len_; }
  size_t hop_samples() const { return hop_len_; }
  // Samples decoded so far: the signal's whole length once next() has returned false.
  int64_t samples_read() const { return buffer_start_ + int64_t(buffer_.size()); }

 private:
  std::unique_ptr<AudioStream> stream_;
  ChunkParams params_;
  size_t chunk_len_ = 0, hop_len_ = 0;
  std::vector<float> buffer_;  // samples from buffer_start_ on
  int64_t buffer_start_ = 0;
  int64_t next_start_ = 0;
  bool eof_ = false;
  bool emitted_ = false;
  SampleTap tap_;
};

}  // namespace genre
