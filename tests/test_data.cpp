#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "genre/augment.h"
#include "genre/dataset.h"
#include "genre/feature_cache.h"
#include "genre/frontend.h"
#include "genre/mel.h"
#include "genre/splits.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;
namespace fs = std::filesystem;

namespace {
// A synthetic folder-per-genre collection: `per_label` short clips of distinct tones per label.
std::string make_collection(const TempDir& dir, const std::vector<std::string>& labels, int per_label, double seconds = 5.0) {
  const std::string root = dir.file("genres_original");
  int k = 0;
  for (const auto& label : labels) {
    fs::create_directories(root + "/" + label);
    for (int i = 0; i < per_label; ++i, ++k) {
      char name[64];
      std::snprintf(name, sizeof name, "%s.%05d.wav", label.c_str(), i);
      write_audio(root + "/" + label + "/" + name, sine(200.0 + 40 * k, 22050, size_t(seconds * 22050), 0.3), 22050, 1,
                  SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    }
  }
  return dir.path.string();
}
}  // namespace

TEST(Dataset, SongIds) {
  EXPECT_EQ(song_id("blues", "blues.00012.wav"), "blues/blues.00012");
  EXPECT_EQ(song_id("blues", "blues00012.png"), "blues/blues.00012");
  EXPECT_EQ(song_id("jazz", "jazz.00054.au"), "jazz/jazz.00054");
  EXPECT_EQ(song_id("rock", "My Song.mp3"), "rock/My Song");
}

TEST(Dataset, ScansTheKaggleLayout) {
  TempDir dir;
  make_collection(dir, {"rock", "jazz"}, 3, 1.0);
  write_bytes(dir.file("genres_original/rock/notes.txt"), "not audio");
  Dataset ds = load_dataset(dir.path.string(), SourceKind::Audio);  // enters genres_original/
  EXPECT_EQ(ds.labels, (std::vector<std::string>{"jazz", "rock"}));
  EXPECT_EQ(ds.items.size(), 6u);
  EXPECT_EQ(ds.items.front().song, "jazz/jazz.00000");
  EXPECT_THROW(load_dataset(dir.file("nope"), SourceKind::Audio), std::runtime_error);
}

TEST(Dataset, ReadsAFeaturesTable) {
  TempDir dir;
  write_bytes(dir.file("t.csv"),
              "filename,length,a,b,label\nblues.00000.0.wav,66149,1.5,2,blues\nblues.00000.1.wav,66149,3,4,blues\n"
              "rock.00003.wav,661794,5,6,rock\n");
  Dataset ds = load_dataset(dir.file("t.csv"), SourceKind::Table);
  ASSERT_EQ(ds.items.size(), 3u);
  EXPECT_EQ(ds.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ds.items[0].song, "blues/blues.00000");  // segments belong to their song
  EXPECT_EQ(ds.items[1].song, "blues/blues.00000");
  EXPECT_EQ(ds.items[2].song, "rock/rock.00003");
  EXPECT_FLOAT_EQ(ds.table[0][0], 1.5f);
  write_bytes(dir.file("bad.csv"), "filename,a,label\nx.wav,abc,rock\n");
  EXPECT_THROW(load_dataset(dir.file("bad.csv"), SourceKind::Table), std::runtime_error);
}

// The property the whole evaluation rests on: no song reaches two parts, whatever the split.
TEST(Splits, NoSongInTwoParts) {
  Dataset ds;
  ds.labels = {"a", "b", "c"};
  for (int s = 0; s < 60; ++s)
    for (int chunk = 0; chunk < 5; ++chunk) {  // five items (chunks / segments) per song
      std::string label = ds.labels[size_t(s % 3)];
      ds.items.push_back({"f" + std::to_string(s), label, label + "/" + label + "." + std::to_string(s), 0});
    }
  for (const std::string spec : {"stratified:80/10/10", "stratified:70/20/10", "kfold:5", "kfold:5:3"}) {
    auto parts = assign_parts(ds, parse_split(spec, 7));
    std::map<std::string, std::set<Part>> seen;
    std::map<Part, size_t> counts;
    for (size_t i = 0; i < ds.items.size(); ++i) {
      seen[ds.items[i].song].insert(parts[i]);
      counts[parts[i]]++;
    }
    for (const auto& [song, ps] : seen) EXPECT_EQ(ps.size(), 1u) << spec << ": " << song;
    EXPECT_EQ(counts[Part::None], 0u) << spec;
    EXPECT_GT(counts[Part::Train], counts[Part::Valid]) << spec;
  }
  // Same seed, same split; another seed, another split.
  EXPECT_EQ(assign_parts(ds, parse_split("stratified", 1)), assign_parts(ds, parse_split("stratified", 1)));
  EXPECT_NE(assign_parts(ds, parse_split("stratified", 1)), assign_parts(ds, parse_split("stratified", 2)));
}

TEST(Splits, StratifiedProportionsAndKFoldCoverage) {
  Dataset ds;
  ds.labels = {"a", "b"};
  for (int s = 0; s < 100; ++s) {
    std::string label = s < 50 ? "a" : "b";
    ds.items.push_back({"f", label, label + "/" + std::to_string(s), 0});
  }
  auto parts = assign_parts(ds, parse_split("stratified:70/20/10"));
  std::map<Part, int> n;
  for (Part p : parts) n[p]++;
  EXPECT_EQ(n[Part::Train], 70);
  EXPECT_EQ(n[Part::Valid], 20);
  EXPECT_EQ(n[Part::Test], 10);
  // Over the 5 runs of kfold:5 every song is tested exactly once.
  std::vector<int> tested(ds.items.size(), 0);
  for (int f = 0; f < 5; ++f) {
    auto p = assign_parts(ds, parse_split("kfold:5:" + std::to_string(f)));
    for (size_t i = 0; i < p.size(); ++i) tested[i] += p[i] == Part::Test;
  }
  for (int t : tested) EXPECT_EQ(t, 1);
  EXPECT_THROW(parse_split("kfold:2"), std::invalid_argument);
  EXPECT_THROW(parse_split("banana"), std::invalid_argument);
}

TEST(Splits, FaultFilteredIsBuiltIn) {
  const auto& songs = fault_filtered_songs();
  std::map<Part, size_t> n;
  for (const auto& [p, s] : songs) n[p]++;
  EXPECT_EQ(n[Part::Train], 443u);
  EXPECT_EQ(n[Part::Valid], 197u);
  EXPECT_EQ(n[Part::Test], 290u);
  Dataset ds;
  ds.labels = {"blues"};
  ds.items = {{"x", "blues", "blues/blues.00000", 0}, {"y", "blues", "blues/blues.00012", 0}, {"z", "blues", "blues/blues.99999", 0}};
  auto parts = assign_parts(ds, parse_split("fault-filtered"));
  EXPECT_EQ(parts[0], Part::Valid);  // valid_filtered.txt lists blues.00000
  EXPECT_EQ(parts[1], Part::Test);
  EXPECT_EQ(parts[2], Part::None);   // not in the filtered split: left out
}

TEST(Splits, ListFile) {
  TempDir dir;
  write_bytes(dir.file("split.txt"), "# mine\ntrain rock/rock.00001.wav\nvalid jazz/jazz.00002\ntest rock/rock.00003\n");
  Dataset ds;
  ds.items = {{"", "rock", "rock/rock.00001", 0}, {"", "jazz", "jazz/jazz.00002", 0}, {"", "rock", "rock/rock.00003", 0},
              {"", "rock", "rock/rock.00004", 0}};
  auto parts = assign_parts(ds, parse_split(dir.file("split.txt")));
  EXPECT_EQ(parts, (std::vector<Part>{Part::Train, Part::Valid, Part::Test, Part::None}));
  write_bytes(dir.file("bad.txt"), "training rock/x\n");
  EXPECT_THROW(assign_parts(ds, parse_split(dir.file("bad.txt"))), std::invalid_argument);
}

TEST(FrontEnd, ShapesAndChunks) {
  FrontEndParams p;
  FrontEnd mel(p);
  EXPECT_EQ(mel.shape(), (Shape{1, 128, 173}));  // 4 s at 22050 Hz, hop 512
  auto y = sine(440, 22050, 22050 * 10, 0.3);
  ClipFeatures f = mel.clip(y);
  EXPECT_EQ(f.count, 4u);  // windows at 0, 2, 4, 6 s
  EXPECT_EQ(f.data.size(), 4u * 128 * 173);
  // H = frequency: the 440 Hz band is the loudest row of every column.
  size_t best = 0;
  for (size_t m = 0; m < 128; ++m)
    if (f.chunk(0)[m * 173 + 50] > f.chunk(0)[best * 173 + 50]) best = m;
  const auto centres = mel_frequencies(130, 0, 11025);
  EXPECT_NEAR(centres[best + 1], 440.0, 60.0);
  for (auto [kind, shape] : std::vector<std::pair<InputKind, Shape>>{{InputKind::Stft, {1, 256, 173}},
                                                                      {InputKind::Mfcc, {1, 20, 173}},
                                                                      {InputKind::Dual, {2, 128, 173}},
                                                                      {InputKind::Image, {3, 144, 216}}}) {
    FrontEndParams q;
    q.input = kind;
    EXPECT_EQ(FrontEnd(q).shape(), shape) << input_name(kind);
    if (kind != InputKind::Image) EXPECT_EQ(FrontEnd(q).clip(y).data.size(), 4u * size_t(shape.size()));
  }
}

TEST(FrontEnd, TrimSilenceThenOneSecondChunks) {
  std::vector<float> y(22050 * 6, 0.f);
  auto tone = sine(330, 22050, 22050 * 3, 0.5);
  std::copy(tone.begin(), tone.end(), y.begin() + 22050 * 2);  // 2 s silence, 3 s tone, 1 s silence
  auto [a, b] = trim_range(y);
  EXPECT_NEAR(double(a), 2 * 22050, 2048);
  EXPECT_NEAR(double(b), 5 * 22050, 2048);
  FrontEndParams p;
  p.trim_silence = true;
  p.chunk_seconds = 1;
  p.chunk_hop = 1;
  EXPECT_EQ(FrontEnd(p).clip(y).count, 3u);
  p.trim_silence = false;
  EXPECT_EQ(FrontEnd(p).clip(y).count, 6u);
}

TEST(FeatureCache, HitsMissesAndInvalidation) {
  TempDir dir;
  const std::string clip = write_audio(dir.file("a.wav"), sine(300, 22050, 22050 * 5, 0.3), 22050, 1,
                                       SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  FeatureCache cache(dir.file("cache"));
  FrontEnd fe;
  bool hit = true;
  ClipFeatures first = cache.load(clip, fe, &hit);
  EXPECT_FALSE(hit);
  ClipFeatures second = cache.load(clip, fe, &hit);
  EXPECT_TRUE(hit);
  EXPECT_EQ(first.data, second.data);
  EXPECT_EQ(first.shape, second.shape);
  // Other parameters: a different entry.
  FrontEndParams p;
  p.n_mels = 64;
  cache.load(clip, FrontEnd(p), &hit);
  EXPECT_FALSE(hit);
  // A changed file: a miss.
  std::filesystem::last_write_time(clip, std::filesystem::last_write_time(clip) + std::chrono::seconds(5));
  cache.load(clip, fe, &hit);
  EXPECT_FALSE(hit);
  // A disabled cache never hits.
  FeatureCache off("");
  off.load(clip, fe, &hit);
  EXPECT_FALSE(hit);
  // A torn entry is a miss, not an error.
  for (auto& e : std::filesystem::directory_iterator(dir.file("cache")))
    std::filesystem::resize_file(e.path(), 20);
  EXPECT_EQ(cache.load(clip, fe, &hit).data, first.data);
  EXPECT_FALSE(hit);
}

TEST(Augment, EachAugmentationDoesWhatItSays) {
  FrontEndParams p;
  FrontEnd fe(p);
  ClipFeatures f = fe.clip(noise(22050 * 4, 0.2, 4));
  const Shape sh = f.shape;
  const size_t n = size_t(sh.size());
  const std::vector<float> x0(f.chunk(0), f.chunk(0) + n);
  AugmentContext ctx{InputKind::Mel, sh, {-30.f}, {15.f}, 128};
  std::mt19937_64 rng(5);
  auto apply = [&](Augment a) {
    std::vector<float> x = x0;
    augment_example(a, x.data(), ctx, rng);
    return x;
  };
  // noise adds power: no bin gets quieter, and quiet bins get louder
  auto noisy = apply(Augment::Noise);
  for (size_t i = 0; i < n; ++i) ASSERT_GE(noisy[i], x0[i] - 1e-4f);
  EXPECT_GT(*std::min_element(noisy.begin(), noisy.end()), *std::min_element(x0.begin(), x0.end()));
  // gain shifts every dB value by the same amount, within +-6 dB
  auto gained = apply(Augment::Gain);
  const float g = gained[0] - x0[0];
  EXPECT_LE(std::abs(g), 6.f);
  for (size_t i = 0; i < n; ++i) ASSERT_NEAR(gained[i] - x0[i], g, 1e-4);
  // specaugment fills whole rows and columns with the channel mean
  auto masked = apply(Augment::SpecAugment);
  EXPECT_GT(std::count(masked.begin(), masked.end(), -30.f), 0);
  // pitch moves rows along frequency (each row of the result is some row of the original)
  auto shifted = apply(Augment::Pitch);
  for (int64_t h = 0; h < sh.h; ++h) {
    bool found = false;
    for (int64_t s = 0; s < sh.h && !found; ++s)
      found = std::equal(shifted.begin() + h * sh.w, shifted.begin() + (h + 1) * sh.w, x0.begin() + s * sh.w);
    ASSERT_TRUE(found) << "row " << h;
  }
  // stretch keeps the first frame and the value range
  auto stretched = apply(Augment::Stretch);
  for (int64_t h = 0; h < sh.h; ++h) ASSERT_EQ(stretched[size_t(h * sh.w)], x0[size_t(h * sh.w)]);
  EXPECT_LE(*std::max_element(stretched.begin(), stretched.end()), *std::max_element(x0.begin(), x0.end()) + 1e-4f);
  // mixup is batch-level: nothing happens to one example
  EXPECT_EQ(apply(Augment::Mixup), x0);
  EXPECT_EQ(parse_augments("specaugment,mixup").size(), 2u);
  EXPECT_TRUE(parse_augments("").empty());
  EXPECT_THROW(parse_augments("reverb"), std::invalid_argument);
}
