#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "genre/chroma.h"
#include "genre/frontend.h"
#include "genre/model_file.h"
#include "genre/gtzan_features.h"
#include "genre/hpss.h"
#include "genre/mel.h"
#include "genre/rhythm.h"
#include "genre/spectral.h"
#include "genre/spectrum.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;

TEST(Pad, NumpyModes) {
  const std::vector<float> x = {1, 2, 3, 4};
  // numpy.pad([1,2,3,4], 3, mode=...)
  EXPECT_EQ(pad(x, 3, 3, PadMode::Reflect), (std::vector<float>{4, 3, 2, 1, 2, 3, 4, 3, 2, 1}));
  EXPECT_EQ(pad(x, 3, 3, PadMode::Symmetric), (std::vector<float>{3, 2, 1, 1, 2, 3, 4, 4, 3, 2}));
  EXPECT_EQ(pad(x, 3, 3, PadMode::Edge), (std::vector<float>{1, 1, 1, 1, 2, 3, 4, 4, 4, 4}));
  EXPECT_EQ(pad(x, 2, 1, PadMode::Constant), (std::vector<float>{0, 0, 1, 2, 3, 4, 0}));
  // Padding longer than the signal repeats the reflection: numpy.pad([1,2,3], 5, 'reflect').
  EXPECT_EQ(pad({1, 2, 3}, 5, 5, PadMode::Reflect),
            (std::vector<float>{2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}));
}

TEST(Stft, WindowAndFrequencies) {
  auto w = hann_window(4);  // scipy.signal.get_window('hann', 4) = [0, .5, 1, .5]
  EXPECT_DOUBLE_EQ(w[0], 0.0);
  EXPECT_DOUBLE_EQ(w[1], 0.5);
  EXPECT_DOUBLE_EQ(w[2], 1.0);
  EXPECT_DOUBLE_EQ(w[3], 0.5);
  auto f = fft_frequencies(22050, 2048);
  ASSERT_EQ(f.size(), 1025u);
  EXPECT_DOUBLE_EQ(f[1], 10.7666015625);
  EXPECT_DOUBLE_EQ(f.back(), 11025.0);
}

TEST(Stft, FrameCountAndSinePeak) {
  const size_t n = 661794;
  EXPECT_EQ(stft_frames(n), 1293u);  // 1 + n // 512
  // A tone exactly on bin 40: its energy sits in bin 40; DC of a sine is ~0.
  const double f = 40 * 22050.0 / 2048;
  auto y = sine(f, 22050, 22050, 1.0);
  ComplexMatrix S = stft(y);
  EXPECT_EQ(S.rows, stft_frames(y.size()));
  EXPECT_EQ(S.cols, 1025u);
  const size_t t = S.rows / 2;
  size_t best = 0;
  for (size_t k = 0; k < S.cols; ++k)
    if (std::abs(S(t, k)) > std::abs(S(t, best))) best = k;
  EXPECT_EQ(best, 40u);
  // Periodic Hann has coherent gain 0.5: |X| = amplitude * n_fft / 4 at the bin.
  EXPECT_NEAR(std::abs(S(t, 40)), 2048 / 4.0, 1.0);
}

TEST(Stft, InverseReconstructs) {
  auto y = noise(30000, 0.3, 3);
  auto back = istft(stft(y), {}, y.size());
  ASSERT_EQ(back.size(), y.size());
  // A centred istft covers hop * (frames - 1) samples; librosa pads the rest with zeros.
  const size_t covered = 512 * (stft_frames(y.size()) - 1);
  EXPECT_EQ(istft(stft(y)).size(), covered);
  EXPECT_LT(max_abs_diff(y, back, 0, covered), 1e-5);
  for (size_t i = covered; i < y.size(); ++i) ASSERT_EQ(back[i], 0.f);
}

TEST(Stft, ShortInputs) {
  EXPECT_EQ(stft(std::vector<float>(10, 0.1f)).rows, 1u);  // centred: reflect-padded to n_fft
  StftParams raw;
  raw.center = false;
  EXPECT_THROW(stft(std::vector<float>(100, 0.f), raw), std::invalid_argument);
}

TEST(Mel, ScaleConversions) {
  EXPECT_DOUBLE_EQ(hz_to_mel(1000), 15.0);     // Slaney: linear to 1 kHz at 200/3 Hz per mel
  EXPECT_NEAR(hz_to_mel(11025), 49.91, 0.01);  // the notes' value
  EXPECT_NEAR(mel_to_hz(hz_to_mel(4321.0)), 4321.0, 1e-9);
  EXPECT_NEAR(hz_to_mel(1000, true), 999.985, 1e-3);  // HTK
  EXPECT_NEAR(mel_to_hz(hz_to_mel(777.0, true), true), 777.0, 1e-9);
  auto f = mel_frequencies(130, 0, 11025);
  EXPECT_DOUBLE_EQ(f.front(), 0.0);
  EXPECT_NEAR(f.back(), 11025.0, 1e-9);
}

TEST(Mel, FilterBankShapeAndSlaneyArea) {
  MelFilterBank fb(22050, 2048);
  Matrix w = fb.dense();
  EXPECT_EQ(w.rows, 128u);
  EXPECT_EQ(w.cols, 1025u);
  // Slaney normalisation scales each triangle by 2 / width, so peak * width / 2 = 1 (unit area in Hz
  // for a continuous triangle); check the peak against 2 / (f[i+2] - f[i]).
  auto mf = mel_frequencies(130, 0, 11025);
  for (size_t i : {5u, 60u, 120u}) {
    float peak = *std::max_element(w.row(i), w.row(i) + w.cols);
    EXPECT_LE(peak, 2.0 / (mf[i + 2] - mf[i]) * 1.0001);
    EXPECT_GT(peak, 0.5 * 2.0 / (mf[i + 2] - mf[i]));
  }
  // Sparse application equals the dense matrix product.
  Matrix S = spectrogram(noise(8000, 0.3, 9), {});
  Matrix sparse = fb.apply(S);
  for (size_t t = 0; t < S.rows; ++t)
    for (size_t i = 0; i < 128; ++i) {
      double dense = 0;
      for (size_t k = 0; k < S.cols; ++k) dense += double(w(i, k)) * S(t, k);
      EXPECT_NEAR(sparse(t, i), dense, 1e-4 * std::max(1.0, std::abs(dense)));
    }
}

TEST(Mel, PowerToDb) {
  Matrix S(1, 4);
  S.data = {1.0f, 0.1f, 1e-12f, 0.f};
  Matrix a = S;
  power_to_db(a, 1.0, 1e-10, 0.0);  // no top_db
  EXPECT_NEAR(a.data[0], 0.0, 1e-6);
  EXPECT_NEAR(a.data[1], -10.0, 1e-5);
  EXPECT_NEAR(a.data[2], -100.0, 1e-4);  // amin floor
  Matrix b = S;
  power_to_db(b);  // top_db 80: nothing below max - 80
  EXPECT_NEAR(b.data[2], -80.0, 1e-4);
  Matrix c = S;
  power_to_db(c, 0.0);  // ref = max
  EXPECT_NEAR(c.data[1], -10.0, 1e-5);
}

TEST(Mel, DctIsOrthonormal) {
  Matrix I(4, 4, 0.f);
  for (size_t i = 0; i < 4; ++i) I(i, i) = 1.f;
  Matrix D = dct_ortho(I, 4);  // row i = DCT of e_i: the basis is orthonormal
  for (size_t a = 0; a < 4; ++a)
    for (size_t b = 0; b < 4; ++b) {
      double dot = 0;
      for (size_t k = 0; k < 4; ++k) dot += double(D(a, k)) * D(b, k);
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-6);
    }
  Matrix ones(1, 8, 1.f);
  Matrix c = dct_ortho(ones, 3);
  EXPECT_NEAR(c(0, 0), std::sqrt(8.0), 1e-5);  // sqrt(1/N) * N
  EXPECT_NEAR(c(0, 1), 0.0, 1e-6);
}

TEST(Spectral, RmsZcrOnKnownSignals) {
  std::vector<float> dc(10000, 0.5f);
  for (float v : rms(dc)) EXPECT_NEAR(v, 0.5, 1e-6);
  // Alternating signs: every adjacent pair crosses, 2047 of 2048 slots.
  std::vector<float> alt(10000);
  for (size_t i = 0; i < alt.size(); ++i) alt[i] = i % 2 ? 0.5f : -0.5f;
  auto z = zero_crossing_rate(alt);
  EXPECT_EQ(z.size(), 1 + alt.size() / 512);
  EXPECT_DOUBLE_EQ(z[5], 2047.0 / 2048.0);
  // Values within the threshold count as +0: a tiny negative signal has no crossings.
  std::vector<float> tiny(5000, -1e-12f);
  for (double v : zero_crossing_rate(tiny)) EXPECT_EQ(v, 0.0);
}

TEST(Spectral, CentroidBandwidthRolloffOfATone) {
  const double f = 100 * 22050.0 / 2048;  // on bin 100
  Matrix S = spectrogram(sine(f, 22050, 22050), {}, 1.0);
  auto c = spectral_centroid(S, 22050);
  auto bw = spectral_bandwidth(S, 22050, c);
  auto ro = spectral_rolloff(S, 22050);
  const size_t t = S.rows / 2;
  EXPECT_NEAR(c[t], f, 1.0);
  EXPECT_LT(bw[t], 30.0);  // a Hann main lobe is 2 bins wide
  EXPECT_NEAR(ro[t], f, 11.0);
  // Silent frames give 0, as librosa.
  Matrix silent(3, 1025, 0.f);
  EXPECT_EQ(spectral_centroid(silent, 22050)[0], 0.0);
  EXPECT_EQ(spectral_rolloff(silent, 22050)[0], 0.0);
}

TEST(Hpss, MedianFilterMatchesBruteForce) {
  auto x = noise(300, 1.0, 11);
  for (size_t size : {1u, 3u, 31u}) {
    auto fast = median_filter(x, size);
    auto ext = pad(x, size / 2, size / 2, PadMode::Symmetric);
    for (size_t i = 0; i < x.size(); ++i) {
      std::vector<float> w(ext.begin() + long(i), ext.begin() + long(i + size));
      std::nth_element(w.begin(), w.begin() + long(size / 2), w.end());
      ASSERT_EQ(fast[i], w[size / 2]) << "size " << size << " at " << i;
    }
  }
  EXPECT_THROW(median_filter(x, 4), std::invalid_argument);
}

TEST(Hpss, SeparatesToneFromClicks) {
  const size_t n = 22050 * 3;
  auto tone = sine(440, 22050, n, 0.3);
  std::vector<float> clicks(n, 0.f);
  for (size_t i = 1000; i < n; i += 5512) clicks[i] = 1.0f;
  std::vector<float> mix(n);
  for (size_t i = 0; i < n; ++i) mix[i] = tone[i] + clicks[i];
  auto hp = hpss(mix);
  ASSERT_EQ(hp.harmonic.size(), n);
  ASSERT_EQ(hp.percussive.size(), n);
  // The tone goes to the harmonic part: its correlation with the tone is far higher.
  double h_dot = 0, p_dot = 0;
  for (size_t i = 4096; i < n - 4096; ++i) { h_dot += hp.harmonic[i] * tone[i]; p_dot += hp.percussive[i] * tone[i]; }
  EXPECT_GT(h_dot, 10 * std::abs(p_dot));
  // The click lands in the percussive part.
  EXPECT_GT(std::abs(hp.percussive[1000 + 5512 * 2]), 0.3);
  // librosa's tail: the last n mod 512 samples are zero after fix_length.
  EXPECT_EQ(hp.harmonic[n - 1], 0.f);
}

TEST(Chroma, TuningAndPitchClass) {
  // Pitches a quarter of a semitone sharp of A440 and E: the estimate is +0.25.
  const double sharp = std::pow(2.0, 0.25 / 12);
  std::vector<float> f;
  for (double base : {440.0, 659.255, 220.0})
    for (int i = 0; i < 50; ++i) f.push_back(float(base * sharp));
  EXPECT_NEAR(pitch_tuning(f), 0.25, 0.011);
  EXPECT_EQ(pitch_tuning({}), 0.0);
  // An A tone: chroma index 9 (C = 0) is the maximum.
  Matrix S = spectrogram(sine(440, 22050, 22050 * 2), {});
  Matrix c = chroma_stft(S, 22050);
  ASSERT_EQ(c.cols, 12u);
  const float* mid = c.row(c.rows / 2);
  EXPECT_EQ(std::max_element(mid, mid + 12) - mid, 9);
  EXPECT_FLOAT_EQ(mid[9], 1.0f);  // each frame scaled to max 1
  EXPECT_NEAR(estimate_tuning(S, 22050), 0.0, 0.05);
}

TEST(Rhythm, ClickTrackTempo) {
  // Clicks every 0.5 s: 120 BPM. The lag grid near it is 2583.98 / k, k = 21 or 22.
  const double sr = 22050;
  std::vector<float> y(size_t(sr * 20), 0.f);
  for (size_t i = 0; i < y.size(); i += size_t(sr / 2))
    for (size_t j = 0; j < 200 && i + j < y.size(); ++j) y[i + j] = float(0.8 * std::exp(-double(j) / 40.0));
  Matrix mel_db = melspectrogram(y, sr);
  power_to_db(mel_db);
  auto env = onset_strength(mel_db, Aggregate::Median);
  EXPECT_EQ(env.size(), mel_db.rows);
  EXPECT_EQ(env[0], 0.f);
  double bpm = tempo(env, sr);
  EXPECT_TRUE(std::abs(bpm - 2583.984375 / 21) < 1e-9 || std::abs(bpm - 2583.984375 / 22) < 1e-9) << bpm;
}

TEST(GtzanFeatures, NamesAndSegments) {
  const auto& names = gtzan_feature_names();
  ASSERT_EQ(names.size(), kGtzanFeatureCount);
  EXPECT_EQ(names.front(), "chroma_stft_mean");
  EXPECT_EQ(names[16], "tempo");
  EXPECT_EQ(names.back(), "mfcc20_var");
  EXPECT_EQ(gtzan_csv_header().size(), 60u);
  auto y = noise(22050 * 7, 0.1, 5);
  auto rows = gtzan_feature_rows(y, 22050, "x.00001.wav", "rock", 3.0);
  ASSERT_EQ(rows.size(), 2u);  // two whole 3 s segments in 7 s
  EXPECT_EQ(rows[1].filename, "x.00001.1.wav");
  EXPECT_EQ(rows[1].length, 66150u);
  EXPECT_EQ(rows[1].values.size(), kGtzanFeatureCount);
  EXPECT_EQ(rows[0].label, "rock");
  // A segment's row is the row of that excerpt on its own.
  std::vector<float> second(y.begin() + 66150, y.begin() + 2 * 66150);
  EXPECT_EQ(rows[1].values, gtzan_features(second, 22050));
}

// Essentia's TensorflowInputMusiCNN as front-end parameters (the noncommercial Essentia taggers'
// input): a symmetric Hann window, centred frames padded with zeros, log10(1 + 10000 x) of the
// Slaney mel power, equal to those steps taken one by one; and declared ranges and cache keys.
TEST(Features, EssentiaLogMelIsTheLog10OfTheZeroPaddedSymmetricHannMel) {
  const auto w = hann_window(5, true);
  const std::vector<double> expected{0.0, 0.5, 1.0, 0.5, 0.0};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(w[i], expected[i], 1e-15);
  EXPECT_NEAR(hann_window(4)[1], 0.5, 1e-15);  // periodic: 0.5 - 0.5 cos(2 pi / 4)
  // As a model file holds them (genre/model_file.h), where the three new fields round-trip.
  FrontEndParams p = frontend_from_json({{"input", "mel"}, {"sample_rate", 16000}, {"n_fft", 512}, {"hop_length", 256}, {"n_mels", 96},
                                         {"chunk_seconds", 3.0}, {"window_symmetric", true}, {"pad_zeros", true},
                                         {"log_scale", 10000.0}});
  EXPECT_EQ(frontend_from_json(to_json(p)).key(), p.key());
  EXPECT_TRUE(p.window_symmetric && p.pad_zeros && p.log_scale == 10000);
  std::vector<float> y = sine(440, 16000, 48000, 0.5);
  const auto n = noise(y.size(), 0.05, 9);
  for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
  const FrontEnd fe(p);
  ASSERT_EQ(fe.shape(), (Shape{1, 96, 188}));
  std::vector<float> ours(size_t(fe.shape().size()));
  fe.chunk(y, ours.data());
  StftParams stft;
  stft.n_fft = 512;
  stft.hop_length = 256;
  stft.pad_mode = PadMode::Constant;
  stft.window = std::make_shared<const std::vector<double>>(hann_window(512, true));
  MelParams mel;
  mel.n_mels = 96;
  const Matrix m = melspectrogram(y, 16000, stft, mel);
  ASSERT_EQ(m.rows, 188u);
  double worst = 0;
  for (size_t t = 0; t < m.rows; ++t)
    for (size_t k = 0; k < 96; ++k) worst = std::max(worst, std::abs(ours[k * 188 + t] - std::log10(1.0 + 10000.0 * m(t, k))));
  EXPECT_LT(worst, 1e-6);
  // The first frame is centred on sample 0 with zeros before it, not a reflection of the signal.
  FrontEndParams reflect = p;
  reflect.pad_zeros = false;
  std::vector<float> theirs(ours.size());
  FrontEnd(reflect).chunk(y, theirs.data());
  EXPECT_NE(ours[0], theirs[0]);
  EXPECT_EQ(ours[5], theirs[5]);  // frame 5 lies inside the signal: padding does not reach it
  EXPECT_NE(p.key(), reflect.key());
  p.log_scale = 0.5;
  EXPECT_THROW(validate_frontend(p), std::invalid_argument);
}
