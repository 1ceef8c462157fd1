#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "genre/audio.h"
#include "genre/spectrum.h"
#include "bad_corpus.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;

namespace {

// Frequency of the strongest bin of the time-averaged power spectrum.
double dominant_frequency(const std::vector<float>& y, double sr) {
  Matrix S = spectrogram(y, {});
  std::vector<double> avg(S.cols, 0.0);
  for (size_t t = 0; t < S.rows; ++t)
    for (size_t k = 0; k < S.cols; ++k) avg[k] += S(t, k);
  size_t best = size_t(std::max_element(avg.begin(), avg.end()) - avg.begin());
  return double(best) * sr / 2048.0;
}

double rms_of(const std::vector<float>& y, size_t from, size_t to) {
  double acc = 0;
  for (size_t i = from; i < to; ++i) acc += double(y[i]) * y[i];
  return std::sqrt(acc / double(to - from));
}

// Expects load_audio(path) to throw an AudioError naming the path and containing `reason`.
void expect_audio_error(const std::string& path, const std::string& reason,
                        AudioError::Kind kind = AudioError::Kind::Unreadable) {
  try {
    load_audio(path);
    FAIL() << "no error for " << path;
  } catch (const AudioError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(e.source(), path);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find(reason), std::string::npos) << "reason was: " << e.reason();
  }
}

}  // namespace

TEST(Audio, Wav16AtNativeRateIsExactPcm) {
  TempDir dir;
  auto y = sine(440, 22050, 22050);
  auto path = write_audio(dir.file("a.wav"), y, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  Audio a = load_audio(path);
  EXPECT_EQ(a.sample_rate, 22050);
  ASSERT_EQ(a.samples.size(), y.size());
  EXPECT_LT(max_abs_diff(a.samples, y), 1.0 / 16384);  // 16-bit quantisation
  // int16 / 32768, as soundfile reads it
  for (float v : a.samples) EXPECT_EQ(v * 32768.f, std::round(v * 32768.f));
}

struct FormatCase {
  const char* ext;
  int format;
  int sr;
  bool exact_length;
};

class AllFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(AllFormats, DecodesToMonoAtTargetRate) {
  const auto c = GetParam();
  TempDir dir;
  const size_t n = size_t(c.sr) * 2;
  // Stereo: the same 440 Hz tone in both channels, so the mono mix is that tone.
  auto tone = sine(440, c.sr, n, 0.4);
  std::vector<float> stereo(2 * n);
  for (size_t i = 0; i < n; ++i) stereo[2 * i] = stereo[2 * i + 1] = tone[i];
  auto path = write_audio(dir.file(std::string("tone.") + c.ext), stereo, c.sr, 2, c.format);
  AudioInfo info = audio_info(path);
  EXPECT_EQ(info.sample_rate, c.sr);
  EXPECT_EQ(info.channels, 2);
  Audio a = load_audio(path, 22050);
  EXPECT_EQ(a.sample_rate, 22050);
  const double expected = std::ceil(double(n) * 22050.0 / c.sr);
  if (c.exact_length)
    EXPECT_EQ(double(a.samples.size()), expected);
  else
    EXPECT_NEAR(double(a.samples.size()), expected, 0.05 * expected);
  EXPECT_NEAR(dominant_frequency(a.samples, 22050), 440.0, 11.0);
  const size_t mid = a.samples.size() / 2;
  EXPECT_NEAR(rms_of(a.samples, mid - 4000, mid + 4000), 0.4 / std::sqrt(2.0), 0.03);
}

INSTANTIATE_TEST_SUITE_P(Formats, AllFormats,
                         ::testing::Values(FormatCase{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, true},
                                           FormatCase{"au", SF_FORMAT_AU | SF_FORMAT_PCM_16, 22050, true},
                                           FormatCase{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, true},
                                           FormatCase{"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, true},
                                           FormatCase{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, false},
                                           FormatCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, false},
                                           FormatCase{"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 16000, true}),
                         [](const auto& info) { return std::string(info.param.ext); });

TEST(Audio, DownmixIsTheMeanOfChannels) {
  TempDir dir;
  const size_t n = 4000;
  auto left = noise(n, 0.2, 1), right = noise(n, 0.2, 2);
  std::vector<float> st(2 * n);
  for (size_t i = 0; i < n; ++i) { st[2 * i] = left[i]; st[2 * i + 1] = right[i]; }
  auto path = write_audio(dir.file("st.wav"), st, 22050, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  Audio a = load_audio(path);
  ASSERT_EQ(a.samples.size(), n);
  for (size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(a.samples[i], (left[i] + right[i]) / 2.f);
}

TEST(Audio, ResamplingMatchesTheToneAtTheTargetRate) {
  TempDir dir;
  const size_t n = 44100 * 2;
  auto y = sine(1000, 44100, n, 0.5);
  auto path = write_audio(dir.file("hi.wav"), y, 44100, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  Audio a = load_audio(path, 22050);
  ASSERT_EQ(a.samples.size(), n / 2);  // ceil(N * ratio)
  auto ref = sine(1000, 22050, n / 2, 0.5);
  // soxr is linear-phase with its delay removed: the output lines up with the ideal tone.
  EXPECT_LT(max_abs_diff(a.samples, ref, 2000, n / 2 - 2000), 2e-3);

  // Upsampling keeps librosa's length ceil(N * ratio) too.
  auto path16 = write_audio(dir.file("lo.wav"), sine(300, 16000, 16001, 0.5), 16000, 1,
                            SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  EXPECT_EQ(load_audio(path16, 22050).samples.size(), size_t(std::ceil(16001 * 22050.0 / 16000)));
  // target_sr 0 keeps the native rate.
  EXPECT_EQ(load_audio(path16, 0).sample_rate, 16000);
}

// band_limit removes what lies above its limit and keeps what lies below, in place and length.
TEST(Audio, BandLimitKeepsTheBandAndRemovesTheRest) {
  const size_t n = 16000 * 2;
  const auto low = sine(1000, 16000, n, 0.4), high = sine(6000, 16000, n, 0.4);
  std::vector<float> mix(n);
  for (size_t i = 0; i < n; ++i) mix[i] = low[i] + high[i];
  const auto y = band_limit(mix, 16000, 4000);
  ASSERT_EQ(y.size(), n);
  // What is left is the 1 kHz tone, in phase (away from the edges).
  EXPECT_LT(max_abs_diff(y, low, 1000, n - 1000), 2e-3);
  // Without the limit, or with one at the Nyquist frequency, nothing changes.
  EXPECT_EQ(band_limit(mix, 16000, 0), mix);
  EXPECT_EQ(band_limit(mix, 16000, 8000), mix);
  // The 6 kHz tone alone is gone.
  const auto gone = band_limit(high, 16000, 4000);
  double energy = 0;
  for (size_t i = 1000; i < n - 1000; ++i) energy += double(gone[i]) * gone[i];
  EXPECT_LT(energy / double(n - 2000), 1e-6);
}

TEST(Audio, MemoryDecodingEqualsFileDecoding) {
  TempDir dir;
  auto path = write_audio(dir.file("m.flac"), noise(30000, 0.1), 32000, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::string bytes = read_bytes(path);
  Audio from_file = load_audio(path);
  Audio from_mem = load_audio_from_memory(bytes.data(), bytes.size(), 22050, "upload.flac");
  ASSERT_EQ(from_file.samples.size(), from_mem.samples.size());
  EXPECT_EQ(from_file.samples, from_mem.samples);
}

TEST(Audio, RealGtzanFixtureDecodes) {
  Audio a = load_audio(data_dir() + "/gtzan/jazz/jazz.00001.flac");
  EXPECT_EQ(a.sample_rate, 22050);
  EXPECT_EQ(a.samples.size(), 661794u);  // the CSV's `length`
}

TEST(AudioErrors, MissingFile) { expect_audio_error("/nonexistent/dir/song.wav", "No such file"); }

TEST(AudioErrors, EmptyFile) {
  TempDir dir;
  write_bytes(dir.file("empty.wav"), "");
  expect_audio_error(dir.file("empty.wav"), "empty file");
}

TEST(AudioErrors, Directory) {
  TempDir dir;
  expect_audio_error(dir.path.string(), "directory");
}

TEST(AudioErrors, GarbageBytes) {
  TempDir dir;
  std::string junk(5000, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 2654435761u) >> 13);
  write_bytes(dir.file("jazz.00054.wav"), junk);
  expect_audio_error(dir.file("jazz.00054.wav"), "cannot decode");
}

TEST(AudioErrors, TruncatedWav) {
  TempDir dir;
  auto path = write_audio(dir.file("full.wav"), sine(440, 22050, 22050), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  std::string bytes = read_bytes(path);
  write_bytes(dir.file("cut.wav"), bytes.substr(0, bytes.size() / 2));
  expect_audio_error(dir.file("cut.wav"), "truncated", AudioError::Kind::Invalid);
}

TEST(AudioErrors, TruncatedFlac) {
  TempDir dir;
  auto path = write_audio(dir.file("full.flac"), noise(44100, 0.3), 22050, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::string bytes = read_bytes(path);
  write_bytes(dir.file("cut.flac"), bytes.substr(0, bytes.size() / 2));
  try {
    load_audio(dir.file("cut.flac"));
    FAIL() << "a half FLAC file decoded without error";
  } catch (const AudioError& e) {
    EXPECT_EQ(e.source(), dir.file("cut.flac"));
  }
}

TEST(AudioErrors, ZeroLengthAudio) {
  TempDir dir;
  auto path = write_audio(dir.file("zero.wav"), {}, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  expect_audio_error(path, "no audio", AudioError::Kind::Invalid);
}

TEST(AudioErrors, AbsurdHeaders) {
  TempDir dir;
  auto path = write_audio(dir.file("ok.wav"), sine(440, 22050, 2000), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string good = read_bytes(path);
  // Canonical 44-byte WAV header: channels at offset 22 (2 bytes), sample rate at 24 (4 bytes).
  std::string zero_rate = good;
  zero_rate.replace(24, 4, std::string(4, '\0'));
  write_bytes(dir.file("zero_rate.wav"), zero_rate);
  std::string zero_channels = good;
  zero_channels.replace(22, 2, std::string(2, '\0'));
  write_bytes(dir.file("zero_channels.wav"), zero_channels);
  for (const auto& name : {"zero_rate.wav", "zero_channels.wav"}) {
    try {
      load_audio(dir.file(name));
      FAIL() << name << " decoded";
    } catch (const AudioError& e) {
      EXPECT_EQ(e.source(), dir.file(name));
      EXPECT_FALSE(e.reason().empty());
    }
  }
}

// Issue 11's bad-file corpus: each file is one AudioError naming it and its reason.
TEST(AudioErrors, BadFileCorpusIsRefusedWithItsReason) {
  TempDir dir;
  for (const auto& bad : make_bad_corpus(dir)) {
    SCOPED_TRACE(bad.name);
    const auto kind = bad.reason == "empty file" || bad.reason == "cannot decode" || bad.reason == "not a regular file" ||
                              bad.reason == "corrupt Ogg Vorbis"
                          ? AudioError::Kind::Unreadable
                          : AudioError::Kind::Invalid;
    expect_audio_error(dir.file(bad.name), bad.reason, kind);
  }
}

TEST(AudioErrors, IntactLossyFilesAreNotFlaggedAsTruncated) {
  TempDir dir;
  const auto y = noise(22050 * 5, 0.2);
  for (auto [name, format, sr] : {std::tuple<const char*, int, int>{"a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050},
                                  {"a.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000},
                                  {"a.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100}}) {
    SCOPED_TRACE(name);
    const auto path = write_audio(dir.file(name), y, sr, 1, format);
    EXPECT_NO_THROW(load_audio(path));
    const std::string bytes = read_bytes(path);
    EXPECT_NO_THROW(load_audio_from_memory(bytes.data(), bytes.size(), 22050, name));
    // The same bytes cut short are refused from memory too.
    EXPECT_THROW(load_audio_from_memory(bytes.data(), bytes.size() / 2, 22050, name), AudioError);
  }
}

TEST(AudioErrors, DurationLimit) {
  TempDir dir;
  const auto path = write_audio(dir.file("ten.wav"), sine(440, 22050, 22050 * 10), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  AudioLimits limits;
  limits.max_seconds = 5;
  try {
    load_audio(path, 22050, limits);
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_NE(e.reason().find("too long"), std::string::npos) << e.what();
  }
  limits.max_seconds = 11;
  EXPECT_EQ(load_audio(path, 22050, limits).samples.size(), 220500u);
}

TEST(AudioErrors, MemoryBuffers) {
  EXPECT_THROW(load_audio_from_memory("", 0, 22050, "upload"), AudioError);
  std::string junk(1000, 'x');
  try {
    load_audio_from_memory(junk.data(), junk.size(), 22050, "upload.mp3");
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_EQ(e.source(), "upload.mp3");
  }
}

TEST(Chunks, StreamingChunksEqualInMemoryChunks) {
  TempDir dir;
  // 10 s at 44.1 kHz: chunks come through the resampler block by block.
  auto path = write_audio(dir.file("long.wav"), noise(441000, 0.2, 7), 44100, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  Audio a = load_audio(path, 22050);
  for (double min_fraction : {1.0, 0.5}) {
    ChunkParams p;
    p.min_fraction = min_fraction;
    auto expected = chunk_audio(a.samples, 22050, p);
    ChunkReader reader(path, p, 22050);
    std::vector<float> tapped;  // every decoded sample, in order
    reader.set_tap([&](const float* x, size_t n) { tapped.insert(tapped.end(), x, x + n); });
    std::vector<float> chunk;
    double start = -1;
    size_t i = 0;
    while (reader.next(chunk, &start)) {
      ASSERT_LT(i, expected.size());
      EXPECT_EQ(chunk, expected[i]) << "window " << i;
      EXPECT_DOUBLE_EQ(start, 2.0 * double(i));
      ++i;
    }
    EXPECT_EQ(i, expected.size());
    EXPECT_EQ(tapped, a.samples);
    EXPECT_EQ(reader.samples_read(), int64_t(a.samples.size()));
    // 10 s, 4 s windows every 2 s: starts 0,2,4,6 are full; 8 holds 2 s (half a window).
    EXPECT_EQ(expected.size(), min_fraction == 1.0 ? 4u : 5u);
  }
}

TEST(Chunks, ShortSignalGivesOnePaddedWindow) {
  std::vector<float> y(22050, 0.25f);  // 1 s
  auto chunks = chunk_audio(y, 22050, {});
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].size(), 4u * 22050);
  EXPECT_EQ(chunks[0][22049], 0.25f);
  EXPECT_EQ(chunks[0][22050], 0.f);
  EXPECT_TRUE(chunk_audio({}, 22050, {}).empty());
}

TEST(Files, ExtensionsAreCaseInsensitive) {
  EXPECT_TRUE(has_audio_extension("a/B.WAV"));
  EXPECT_TRUE(has_audio_extension("x.au"));
  EXPECT_TRUE(has_audio_extension("x.opus"));
  EXPECT_FALSE(has_audio_extension("notes.txt"));
  EXPECT_FALSE(has_audio_extension("noext"));
}
