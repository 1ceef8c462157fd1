// Training end to end on a small synthetic collection (three "genres" of tones and noise):
// outputs, reproducibility, resume, the model file, evaluation.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>
#include <fstream>

#include "genre/evaluate.h"
#include "genre/examples.h"
#include "genre/frontend.h"
#include "genre/feature_cache.h"
#include "genre/gtzan_features.h"
#include "genre/lda.h"
#include "genre/splits.h"
#include "genre/torch_model.h"
#include "genre/train.h"
#include "test_util.h"
#include "train_util.h"

using namespace genre;
using namespace genre::test;
namespace fs = std::filesystem;

namespace {

// 3 labels x 5 songs of 5 s: low tones, high tones, noise bursts; one unreadable file.
std::string make_collection(const TempDir& dir) {
  const std::string root = write_tone_collection(dir.file("data"), 5, 5);
  write_bytes(root + "/noisy/broken.00099.wav", "RIFF....WAVEjunk");
  return root;
}

TrainOptions options(const std::string& data, const std::string& out, int epochs) {
  TrainOptions o = small_train_options(data, out, "tiny", epochs, 2);
  o.lr = 3e-3;
  o.augment = "specaugment,gain";
  return o;
}

}  // namespace

TEST(Train, WritesAModelThatEvaluatesAndReloads) {
  TempDir dir;
  const auto data = make_collection(dir);
  TrainResult r = train(options(data, dir.file("out"), 3));
  EXPECT_EQ(r.history.size(), 3u);
  ASSERT_EQ(r.skipped.size(), 1u);  // the broken file, reported once
  EXPECT_NE(r.skipped[0].find("broken.00099.wav"), std::string::npos);
  for (const char* f : {"model.genre", "log.csv", "curves.png", "checkpoint.pt"})
    EXPECT_TRUE(fs::exists(dir.file("out/") + f)) << f;
  EXPECT_EQ(r.train_clips + r.valid_clips, 15u);  // 16 songs, one unreadable
  LoadedModel m = load_model(r.model_path);
  EXPECT_EQ(m.labels, (std::vector<std::string>{"high", "low", "noisy"}));
  EXPECT_EQ(m.config.arch, "tiny");
  EXPECT_EQ(m.frontend.chunk_seconds, 2.0);
  EXPECT_EQ(m.meta["split"]["spec"], "stratified:60/40/0");
  EXPECT_TRUE(m.meta["metrics"]["valid"].contains("clip_level"));
  EXPECT_EQ(m.meta["training"]["best_epoch"].get<int>(), r.best_epoch);
  // The reloaded network gives the probabilities the trainer measured.
  FrontEnd fe(m.frontend);
  auto probs = m.predict_clip(fe.file(data + "/high/high.00000.wav"));
  ASSERT_EQ(probs.size(), 3u);
  EXPECT_NEAR(probs[0] + probs[1] + probs[2], 1.0, 1e-6);
  EXPECT_THROW(load_model(dir.file("out/log.csv")), std::runtime_error);
  EXPECT_THROW(load_model(dir.file("nothing.genre")), std::runtime_error);
}

TEST(Train, SameSeedSameResultAndResumeContinuesExactly) {
  TempDir dir;
  const auto data = make_collection(dir);
  train(options(data, dir.file("a"), 3));
  train(options(data, dir.file("b"), 3));
  const std::string log_a = read_bytes(dir.file("a/log.csv"));
  auto strip_seconds = [](const std::string& log) {  // the last column is wall time
    std::string out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) out += line.substr(0, line.find_last_of(',')) + "\n";
    return out;
  };
  EXPECT_EQ(strip_seconds(log_a), strip_seconds(read_bytes(dir.file("b/log.csv"))));
  // 2 epochs, then resume to 3: the same as 3 in one go.
  train(options(data, dir.file("c"), 2));
  auto resumed = options(data, dir.file("c"), 3);
  resumed.resume = true;
  TrainResult r = train(resumed);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_EQ(strip_seconds(log_a), strip_seconds(read_bytes(dir.file("c/log.csv"))));
}

// --bandlimit-copies: every training file once more, band-limited; validation is not copied.
TEST(Train, BandLimitedCopiesDoubleTheTrainingPartOnly) {
  TempDir dir;
  const auto data = make_collection(dir);
  TrainOptions o = options(data, dir.file("plain"), 1);
  const TrainResult plain = train(o);
  o.out = dir.file("copies");
  o.bandlimit_copies = {4000};
  const TrainResult copied = train(o);
  EXPECT_EQ(copied.train_chunks, 2 * plain.train_chunks);
  EXPECT_EQ(copied.train_clips, 2 * plain.train_clips);
  EXPECT_EQ(copied.valid_chunks, plain.valid_chunks);
  // The copies are not the originals: the front end's key (and so the cache entry) differs.
  FrontEndParams a, b;
  b.bandlimit_hz = 4000;
  EXPECT_NE(a.key(), b.key());
}

// The training loss: torch's cross-entropy when every example weighs 1 (with and without class
// weights), and an example at weight 2 counts as that example twice.
TEST(Train, WeightedCrossEntropyIsTorchsAndAWeightCountsAsCopies) {
  namespace F = torch::nn::functional;
  torch::manual_seed(5);
  const torch::Tensor logits = torch::randn({6, 3}, torch::kFloat32);
  const torch::Tensor y = torch::tensor(std::vector<int64_t>{0, 1, 2, 2, 1, 0});
  const torch::Tensor ones = torch::ones({6});
  const torch::Tensor cw = torch::tensor(std::vector<float>{0.5f, 2.f, 1.f});
  EXPECT_NEAR(weighted_cross_entropy(logits, y, ones, {}).item<double>(), F::cross_entropy(logits, y).item<double>(), 1e-6);
  EXPECT_NEAR(weighted_cross_entropy(logits, y, ones, cw).item<double>(),
              F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().weight(cw)).item<double>(), 1e-6);
  // Example 0 at weight 2 = example 0 twice at weight 1; example 5 at 0.25 against 1 moves the loss.
  torch::Tensor w = ones.clone();
  w[0] = 2.f;
  const torch::Tensor twice = torch::cat({logits, logits.slice(0, 0, 1)});
  const torch::Tensor y_twice = torch::cat({y, y.slice(0, 0, 1)});
  EXPECT_NEAR(weighted_cross_entropy(logits, y, w, cw).item<double>(),
              weighted_cross_entropy(twice, y_twice, torch::ones({7}), cw).item<double>(), 1e-6);
  w = ones.clone();
  w[5] = 0.25f;
  EXPECT_GT(std::abs(weighted_cross_entropy(logits, y, w, {}).item<double>() - F::cross_entropy(logits, y).item<double>()), 1e-4);
}

// --bandlimit-weight: the copies' loss weight changes what the model learns, is recorded in the
// model file, and is refused where it cannot act (XGBoost).
TEST(Train, BandLimitWeightChangesTrainingAndIsRecorded) {
  TempDir dir;
  const auto data = make_collection(dir);
  TrainOptions o = options(data, dir.file("full"), 2);
  o.bandlimit_copies = {4000};
  const TrainResult full = train(o);
  o.out = dir.file("light");
  o.bandlimit_weight = 0.25;
  const TrainResult light = train(o);
  EXPECT_EQ(light.train_chunks, full.train_chunks);  // the same examples, weighed otherwise
  EXPECT_NE(light.history.back().train_loss, full.history.back().train_loss);
  EXPECT_EQ(load_model(light.model_path).meta["training"]["bandlimit_weight"].get<double>(), 0.25);
  EXPECT_EQ(load_model(full.model_path).meta["training"]["bandlimit_weight"].get<double>(), 1.0);
  auto refused = [&](TrainOptions bad, const char* why) {
    try {
      train(bad);
      ADD_FAILURE() << why;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--bandlimit-weight"), std::string::npos) << e.what();
    }
  };
  TrainOptions no_copies = o;
  no_copies.out = dir.file("no-copies");
  no_copies.bandlimit_copies.clear();
  refused(no_copies, "--bandlimit-weight without copies was taken");
  o.out = dir.file("trees");
  o.model = "xgboost";
  o.input = "table";
  refused(o, "xgboost took --bandlimit-weight");
}

// --crop-copies: every training clip of at least twice the crop again as N short crops (one window
// each here: 2 s is shorter than a chunk); validation is not copied; clips that are short already
// give no crops.
TEST(Train, CropCopiesAddShortCropsOfTheTrainingPartOnly) {
  TempDir dir;
  const auto data = make_collection(dir);  // 5 s songs
  TrainOptions o = options(data, dir.file("plain"), 1);
  const TrainResult plain = train(o);
  o.out = dir.file("crops");
  o.crop_copies = 2;
  o.crop_seconds = 2;
  const TrainResult cropped = train(o);
  EXPECT_EQ(cropped.train_clips, 3 * plain.train_clips);
  EXPECT_EQ(cropped.train_chunks, plain.train_chunks + 2 * plain.train_clips);
  EXPECT_EQ(cropped.valid_chunks, plain.valid_chunks);
  o.out = dir.file("too-short");
  o.crop_seconds = 3;  // 5 s < 2 x 3 s
  const TrainResult none = train(o);
  EXPECT_EQ(none.train_clips, plain.train_clips);
  EXPECT_EQ(none.train_chunks, plain.train_chunks);
  // --bandlimit-crops: each crop band-limited too (originals, their copies, crops, the crops' copies).
  o.out = dir.file("limited-crops");
  o.crop_seconds = 2;
  o.bandlimit_copies = {4000};
  o.bandlimit_crops = true;
  const TrainResult limited = train(o);
  EXPECT_EQ(limited.train_clips, 6 * plain.train_clips);
  EXPECT_EQ(limited.train_chunks, 2 * plain.train_chunks + 4 * plain.train_clips);
  EXPECT_EQ(limited.valid_chunks, plain.valid_chunks);
  o.bandlimit_copies.clear();
  EXPECT_THROW(train(o), std::invalid_argument);
}

// A crop is the same samples cut by hand: the front end gives the same features, and a distinct key.
TEST(Train, CropIsTheClipCutByHand) {
  std::vector<float> y(22050 * 6);
  for (size_t i = 0; i < y.size(); ++i) y[i] = float(std::sin(0.01 * double(i) * (1.0 + double(i) / 1e5)));
  FrontEndParams p;
  p.crop_seconds = 2;
  p.crop_at = 0.25;
  const size_t n = 2 * 22050, start = size_t(0.25 * double(y.size() - n));
  const ClipFeatures a = FrontEnd(p).clip(y);
  const ClipFeatures b = FrontEnd(FrontEndParams{}).clip(std::vector<float>(y.begin() + long(start), y.begin() + long(start + n)));
  ASSERT_EQ(a.count, 1u);
  ASSERT_EQ(a.count, b.count);
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(p.key(), FrontEndParams{}.key());
  // A band-limited crop (--bandlimit-crops) is the cut samples band-limited.
  FrontEndParams limited = p, limited_whole;
  limited.bandlimit_hz = limited_whole.bandlimit_hz = 4000;
  const ClipFeatures c = FrontEnd(limited).clip(y);
  const ClipFeatures d = FrontEnd(limited_whole).clip(std::vector<float>(y.begin() + long(start), y.begin() + long(start + n)));
  EXPECT_EQ(c.data, d.data);
  EXPECT_NE(c.data, a.data);
  EXPECT_NE(limited.key(), p.key());
  p.crop_at = 1.5;
  EXPECT_THROW(validate_frontend(p), std::invalid_argument);
}

// The training part through an original front end and its copies in one load (each file decoded
// once) gives what one load per front end gives; the unreadable file is one failure, not three;
// a second load comes from the cache.
TEST(Train, SeveralFrontEndsInOneLoadEqualOneLoadEach) {
  TempDir dir;
  const auto data = make_collection(dir);
  const Dataset ds = load_dataset(data, SourceKind::Audio);
  const std::vector<Part> parts(ds.items.size(), Part::Train);
  FrontEndParams plain, limited, cropped;
  limited.bandlimit_hz = 4000;
  cropped.crop_seconds = 2;
  cropped.crop_at = 0.25;
  const std::vector<FrontEnd> fes{FrontEnd(plain), FrontEnd(limited), FrontEnd(cropped)};
  const FeatureCache none("");
  LoadReport together;
  const auto sets = load_examples(ds, parts, Part::Train, fes, none, 2, &together);
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(together.failures.size(), 1u);
  EXPECT_EQ(together.files, 3 * ds.items.size());
  for (size_t j = 0; j < fes.size(); ++j) {
    LoadReport alone;
    const ExampleSet one = load_examples(ds, parts, Part::Train, fes[j], none, 2, &alone);
    EXPECT_EQ(alone.failures.size(), 1u);
    EXPECT_GT(one.count(), 0u);
    EXPECT_EQ(sets[j].data, one.data) << j;
    EXPECT_EQ(sets[j].label, one.label) << j;
    EXPECT_EQ(sets[j].clips, one.clips) << j;
  }
  EXPECT_NE(sets[0].data, sets[1].data);
  const FeatureCache cache(dir.file("cache"));
  LoadReport first, second;
  load_examples(ds, parts, Part::Train, fes, cache, 2, &first);
  const auto again = load_examples(ds, parts, Part::Train, fes, cache, 2, &second);
  EXPECT_EQ(first.cache_hits, 0u);
  EXPECT_EQ(second.cache_hits, 3 * (ds.items.size() - 1));
  for (size_t j = 0; j < fes.size(); ++j) EXPECT_EQ(again[j].data, sets[j].data) << j;
}

// A training copy without chunks is absent, never a failure of its file: whether a file is readable
// is its own front end's call. (Silence trimming of a band-limited copy leaves nothing only when the
// copy is silence; a crop copy of a short clip has no chunks.) A silent file still fails, once.
TEST(Train, ACopyWithoutChunksIsAbsentAndTheOriginalDecides) {
  FrontEndParams plain;
  plain.chunk_seconds = 2;
  plain.chunk_hop = 1;
  plain.trim_silence = true;
  FrontEndParams limited = plain;
  limited.bandlimit_hz = 4000;
  FrontEndParams cropped = plain;
  cropped.crop_seconds = 2;
  const std::vector<float> silence(size_t(5 * 22050), 0.f);
  EXPECT_THROW(FrontEnd(plain).decoded("silent.wav", silence), AudioError);
  EXPECT_EQ(FrontEnd(limited).decoded("silent.wav", silence).count, 0u);
  EXPECT_EQ(FrontEnd(cropped).decoded("silent.wav", silence).count, 0u);
  TempDir dir;
  const std::string root = write_tone_collection(dir.file("data"), 2, 5);
  write_audio(root + "/low/low.00009.wav", silence, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Dataset ds = load_dataset(root, SourceKind::Audio);
  LoadReport rep;
  const auto sets = load_examples(ds, std::vector<Part>(ds.items.size(), Part::Train), Part::Train,
                                  {FrontEnd(plain), FrontEnd(limited), FrontEnd(cropped)}, FeatureCache(""), 2, &rep);
  ASSERT_EQ(rep.failures.size(), 1u);
  EXPECT_NE(rep.failures[0].find("low.00009.wav"), std::string::npos);
  for (const auto& set : sets) EXPECT_EQ(set.clips.size(), ds.items.size() - 1);
}

// The table front end on a clip shorter than its window: the row is of the clip's samples, as genre
// predict computes it, not of the zero-padded window (training and prediction see the same row).
TEST(Train, TableRowOfAShortClipIsOfItsSamples) {
  FrontEndParams p;
  p.input = InputKind::Table;
  p.chunk_seconds = 30;
  p.chunk_hop = 15;
  std::vector<float> y = sine(440, 22050, size_t(3 * 22050), 0.3);
  const std::vector<float> n = noise(y.size(), 0.05);
  for (size_t i = 0; i < y.size(); ++i) y[i] += n[i];
  const ClipFeatures f = FrontEnd(p).clip(y);
  ASSERT_EQ(f.count, 1u);
  const auto row = gtzan_features(y, 22050);
  ASSERT_EQ(row.size(), f.data.size());
  for (size_t c = 0; c < row.size(); ++c) EXPECT_NEAR(f.data[c], row[c], 1e-5 * std::max(1.0, std::fabs(double(row[c])))) << c;
}

// --refit: early stopping picks the epoch count (OUT/early-stopping), then the model trains afresh
// on the train and valid songs for that many epochs; evaluate will not call its valid part validation.
TEST(Train, RefitTrainsOnTrainAndValidForTheBestEpochCount) {
  TempDir dir;
  const auto data = make_collection(dir);
  TrainOptions o = options(data, dir.file("out"), 4);
  o.refit = true;
  const TrainResult r = train(o);
  ASSERT_TRUE(fs::exists(dir.file("out/early-stopping/model.genre")));
  const LoadedModel first = load_model(dir.file("out/early-stopping/model.genre"));
  const LoadedModel final_model = load_model(r.model_path);
  EXPECT_EQ(r.model_path, dir.file("out/model.genre"));
  EXPECT_EQ(r.best_epoch, first.meta["training"]["best_epoch"].get<int>());
  EXPECT_EQ(r.history.size(), size_t(r.best_epoch));  // stage 2 ran the best epoch count
  const size_t first_train = first.meta["training"]["train_clips"].get<size_t>();
  EXPECT_LT(first_train, 15u);
  EXPECT_EQ(r.train_clips, 15u);  // every readable song: 60% train + 40% valid, no test part
  EXPECT_EQ(r.valid_clips, 0u);
  EXPECT_GT(r.valid_clip.n, 0);  // the early-stopping run's figures
  EXPECT_FALSE(first.meta["split"]["valid_trained"].get<bool>());
  EXPECT_TRUE(final_model.meta["split"]["valid_trained"].get<bool>());
  EXPECT_FALSE(final_model.meta.contains("metrics"));
  auto evaluate_valid = [&](const std::string& model, const std::string& log) {
    const std::string cmd = std::string(GENRE_BIN) + " evaluate --model " + model + " --part valid --cache none --out " +
                            dir.file(log + ".report") + " > " + dir.file(log) + " 2>&1";
    return WEXITSTATUS(std::system(cmd.c_str()));
  };
  EXPECT_NE(evaluate_valid(r.model_path, "refit.txt"), 0);
  EXPECT_NE(read_bytes(dir.file("refit.txt")).find("--refit"), std::string::npos) << read_bytes(dir.file("refit.txt"));
  evaluate_valid(dir.file("out/early-stopping/model.genre"), "first.txt");
  EXPECT_EQ(read_bytes(dir.file("first.txt")).find("--refit"), std::string::npos) << read_bytes(dir.file("first.txt"));
  EXPECT_TRUE(fs::exists(dir.file("first.txt.report/report.json")));
  // Without a valid part there is nothing to stop on.
  o.out = dir.file("no-valid");
  o.split = "stratified:60/0/40";
  EXPECT_THROW(train(o), std::invalid_argument);
  o.split = "stratified:60/40/0";
  o.finetune_from = r.model_path;
  EXPECT_THROW(train(o), std::invalid_argument);
}

TEST(Train, BadOptionsAreErrors) {
  TempDir dir;
  const auto data = make_collection(dir);
  auto o = options(data, dir.file("x"), 1);
  o.model = "no-such-model";
  EXPECT_THROW(train(o), std::invalid_argument);
  o = options(data, dir.file("x"), 1);
  o.optimizer = "adagrad";
  EXPECT_THROW(train(o), std::invalid_argument);
  o = options(data, dir.file("x"), 1);
  o.split = "fault-filtered";  // none of these songs is in GTZAN's lists
  EXPECT_THROW(train(o), std::runtime_error);
  o = options(data, dir.file("x"), 1);
  o.augment = "reverb";
  EXPECT_THROW(train(o), std::invalid_argument);
}

TEST(Train, EvaluateCommandWritesReports) {
  TempDir dir;
  const auto data = make_collection(dir);
  train(options(data, dir.file("m"), 2));
  const std::string cmd = std::string(GENRE_BIN) + " evaluate --model " + dir.file("m/model.genre") +
                          " --part all --cache none --out " + dir.file("report") + " > " + dir.file("eval.txt") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1) << read_bytes(dir.file("eval.txt"));  // the broken file is reported
  EXPECT_NE(read_bytes(dir.file("eval.txt")).find("broken.00099.wav"), std::string::npos);
  for (const char* f : {"report.json", "report.md", "confusion.png", "confusion_chunks.png"})
    EXPECT_TRUE(fs::exists(dir.file("report/") + f)) << f;
  auto report = nlohmann::json::parse(read_bytes(dir.file("report/report.json")));
  EXPECT_EQ(report["part"], "all");
  EXPECT_EQ(report["clips"].size(), 15u);
  EXPECT_TRUE(report["clip_level"].contains("macro_auroc"));
  EXPECT_EQ(report["clip_level"]["labels"].size(), 3u);
  // The empty test part of this split is an error that says what to do.
  const std::string cmd2 = std::string(GENRE_BIN) + " evaluate --model " + dir.file("m/model.genre") +
                           " --cache none > " + dir.file("eval2.txt") + " 2>&1";
  EXPECT_NE(WEXITSTATUS(std::system(cmd2.c_str())), 0);
  EXPECT_NE(read_bytes(dir.file("eval2.txt")).find("--part valid"), std::string::npos);
}

// Evaluation of a comma list of folders reports each folder's files on their own: the second
// folder holds other recordings of the same songs (shorter), which the clip (song) level merges.
TEST(Train, EvaluateReportsEachSourceFileByFile) {
  TempDir dir;
  const auto data = make_collection(dir);
  const std::string shorter = write_tone_collection(dir.file("short"), 5, 3);
  train(options(data, dir.file("m"), 2));
  const std::string both = data + "," + shorter;
  const std::string cmd = std::string(GENRE_BIN) + " evaluate --model " + dir.file("m/model.genre") + " --data " + both +
                          " --part all --cache none --out " + dir.file("report") + " > " + dir.file("eval.txt") + " 2>&1";
  std::system(cmd.c_str());
  const std::string text = read_bytes(dir.file("eval.txt"));
  EXPECT_NE(text.find("Per source"), std::string::npos) << text;
  auto report = nlohmann::json::parse(read_bytes(dir.file("report/report.json")));
  EXPECT_EQ(report["clips"].size(), 15u);  // songs
  ASSERT_EQ(report["by_source"].size(), 2u);
  EXPECT_EQ(report["by_source"][0]["source"], data);
  EXPECT_EQ(report["by_source"][0]["file_level"]["n"], 15);  // the broken file is not counted
  EXPECT_EQ(report["by_source"][1]["source"], shorter);
  EXPECT_EQ(report["by_source"][1]["file_level"]["n"], 15);
  // The first folder alone: one file per song, so its song level is that source's file level.
  const std::string cmd1 = std::string(GENRE_BIN) + " evaluate --model " + dir.file("m/model.genre") + " --data " + data +
                           " --part all --cache none --out " + dir.file("report1") + " > /dev/null 2>&1";
  std::system(cmd1.c_str());
  auto alone = nlohmann::json::parse(read_bytes(dir.file("report1/report.json")));
  EXPECT_FALSE(alone.contains("by_source"));
  EXPECT_EQ(report["by_source"][0]["file_level"]["confusion"], alone["clip_level"]["confusion"]);
  EXPECT_NEAR(report["by_source"][0]["file_level"]["log_loss"].get<double>(), alone["clip_level"]["log_loss"].get<double>(), 1e-9);
}

// genre predict with a torch model: the executable loads it through libgenre_torch.so on a
// background thread and gives the probabilities of the model loaded here.
TEST(Train, PredictCommandRunsATorchModelThroughThePlugin) {
  TempDir dir;
  const auto data = make_collection(dir);
  train(options(data, dir.file("m"), 2));
  const std::string song = data + "/low/low.00001.wav";
  const std::string cmd = std::string(GENRE_BIN) + " predict " + song + " --model " + dir.file("m/model.genre") +
                          " --format json --top-k 3 > " + dir.file("p.json") + " 2> " + dir.file("p.err");
  ASSERT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 0) << read_bytes(dir.file("p.err"));
  const auto j = nlohmann::json::parse(read_bytes(dir.file("p.json")));
  ASSERT_EQ(j.size(), 1u);
  LoadedModel m = load_model(dir.file("m/model.genre"));
  FrontEnd fe(m.frontend);
  const auto probs = m.predict_clip(fe.file(song));
  for (size_t c = 0; c < m.labels.size(); ++c)
    EXPECT_NEAR(j[0]["probabilities"][m.labels[c]].get<double>(), probs[c], 1e-5) << m.labels[c];

  // Weights that fail to load in the background (the header is intact, the data cut short) stop
  // the batch with one error, not one per file, and the JSON on stdout stays well-formed.
  const std::string bytes = read_bytes(dir.file("m/model.genre"));
  write_bytes(dir.file("cut.genre"), bytes.substr(0, bytes.size() - 64));
  const std::string cmd2 = std::string(GENRE_BIN) + " predict " + data + "/low --jobs 2 --format json --model " +
                           dir.file("cut.genre") + " > " + dir.file("cut.out") + " 2> " + dir.file("cut.err");
  EXPECT_EQ(WEXITSTATUS(std::system(cmd2.c_str())), 2);
  const std::string err = read_bytes(dir.file("cut.err"));
  size_t mentions = 0;
  for (size_t at = err.find("damaged model file"); at != std::string::npos; at = err.find("damaged model file", at + 1))
    ++mentions;
  EXPECT_EQ(mentions, 1u) << err;
  EXPECT_EQ(err.find("low.0000"), std::string::npos) << err;  // no per-file lines
  EXPECT_EQ(nlohmann::json::parse(read_bytes(dir.file("cut.out"))), nlohmann::json::array());
}

TEST(Train, XgboostOnAFeaturesTable) {
  TempDir dir;
  // Three classes separated by the first two of five features; songs of three 3-second segments each.
  std::ofstream csv(dir.file("t.csv"));
  csv << "filename,length,f1,f2,f3,f4,f5,label\n";
  std::mt19937 g(3);
  std::normal_distribution<float> n(0.f, 0.3f);
  const char* labels[] = {"a", "b", "c"};
  for (int song = 0; song < 60; ++song)
    for (int seg = 0; seg < 3; ++seg) {
      const int c = song % 3;
      csv << labels[c] << "." << 10000 + song << "." << seg << ".wav,66150," << (c == 1 ? 2.f : 0.f) + n(g) << ","
          << (c == 2 ? 2.f : 0.f) + n(g) << "," << n(g) << "," << n(g) << "," << n(g) << "," << labels[c] << "\n";
    }
  csv.close();
  TrainOptions o;
  o.data = dir.file("t.csv");
  o.out = dir.file("xgb");
  o.model = "xgboost";
  o.split = "stratified:70/30/0";
  o.epochs = 40;
  o.threads = 1;
  o.cache_dir = "none";
  TrainResult r = train(o);
  EXPECT_EQ(r.train_clips + r.valid_clips, 60u);  // segments stay with their song
  EXPECT_GT(r.valid_clip.accuracy, 0.9);
  LoadedModel m = load_model(r.model_path);
  ASSERT_TRUE(m.xgb);
  EXPECT_EQ(m.config.arch, "xgboost");
  EXPECT_EQ(m.labels, (std::vector<std::string>{"a", "b", "c"}));
  const float row[5] = {2.f, 0.f, 0.f, 0.f, 0.f};  // class b
  double p[3];
  m.probabilities(row, 1, p);
  EXPECT_GT(p[1], p[0]);
  EXPECT_GT(p[1], p[2]);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-5);
  o.input = "mel";
  EXPECT_THROW(train(o), std::invalid_argument);
}

// The model file round trip: every parameter and buffer comes back, and logreg's torch-free runner
// (used by predict and serve) gives torch's probabilities.
TEST(ModelFile, SavedNetworkReloadsAndLogRegRunsWithoutTorch) {
  TempDir dir;
  torch::manual_seed(3);
  // The network's input is what the front end makes (model_header checks): 2 s mel chunks.
  const ModelConfig cfg{"logreg", {1, 128, 87}, 5, 0.0};
  Classifier net = create_model(cfg);
  net->set_input_stats(torch::tensor({0.5f}), torch::tensor({2.f}));
  const std::string path = dir.file("m.genre");
  FrontEndParams fp;
  fp.input = InputKind::Mel;
  fp.chunk_seconds = 2;
  save_model(path, *net, {{"labels", {"a", "b", "c", "d", "e"}}, {"frontend", to_json(fp)}});

  LoadedModel m = load_model(path);
  for (const auto& p : net->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), m.net->named_parameters()[p.key()])) << p.key();
  for (const auto& b : net->named_buffers()) EXPECT_TRUE(torch::equal(b.value(), m.net->named_buffers()[b.key()])) << b.key();
  EXPECT_EQ(m.parameters, count_parameters(*net));

  const ModelHeader h = read_model_header(path);
  EXPECT_EQ(h.labels, m.labels);
  EXPECT_EQ(h.config.input, cfg.input);
  ASSERT_TRUE(runs_without_torch(h));
  const ProbabilityFn native = native_probabilities(read_model_file(path), h);
  torch::Tensor x = torch::randn({7, 1, 128, 87}) * 3;
  std::vector<double> a(35), b(35);
  m.probabilities(x.data_ptr<float>(), 7, a.data());
  native(x.data_ptr<float>(), 7, b.data());
  // torch sums 11136 float32 products per logit, the native runner float64: agreement to 1e-5.
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
  double sum = 0;
  for (size_t c = 0; c < 5; ++c) sum += b[c];
  EXPECT_NEAR(sum, 1.0, 1e-12);

  // Other architectures are torch's.
  const ModelConfig tiny_cfg{"tiny", {1, 128, 87}, 5, 0.0};
  Classifier tiny = create_model(tiny_cfg);
  save_model(dir.file("t.genre"), *tiny, {{"labels", {"a", "b", "c", "d", "e"}}, {"frontend", to_json(fp)}});
  EXPECT_FALSE(runs_without_torch(read_model_header(dir.file("t.genre"))));
  EXPECT_THROW(native_probabilities(read_model_file(dir.file("t.genre")), read_model_header(dir.file("t.genre"))),
               std::invalid_argument);
  EXPECT_NO_THROW(load_model(dir.file("t.genre")));
}

// Issue 11: tables that do not fit are refused by name, not trained or scored into nonsense.
TEST(Train, TablesThatDoNotFitAreRefused) {
  TempDir dir;
  auto table = [&](const std::string& name, const std::string& header, const std::vector<std::string>& rows) {
    std::ofstream csv(dir.file(name));
    csv << header << "\n";
    for (const auto& r : rows) csv << r << "\n";
    return dir.file(name);
  };
  std::vector<std::string> rows;
  for (int i = 0; i < 12; ++i)
    rows.push_back(std::string(i % 2 ? "a" : "b") + "." + std::to_string(10000 + i) + ".wav,1," + std::to_string(i % 2) +
                   ",0.5," + (i == 7 ? "nan" : "1") + "," + (i % 2 ? "a" : "b"));
  TrainOptions o;
  o.model = "xgboost";
  o.split = "stratified:50/50/0";
  o.epochs = 5;
  o.threads = 1;
  o.cache_dir = "none";
  o.out = dir.file("out");
  o.data = table("nan.csv", "filename,length,f1,f2,f3,label", rows);
  try {
    train(o);
    FAIL() << "a NaN cell was trained on";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nan.csv:9: not a finite number in column f3"), std::string::npos) << e.what();
  }
  o.data = table("one.csv", "filename,length,f1,f2,f3,label", {"a.1.wav,1,1,2,3,a", "a.2.wav,1,1,2,3,a", "a.3.wav,1,2,2,3,a"});
  try {
    train(o);
    FAIL() << "a one-class table was trained on";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only one label"), std::string::npos) << e.what();
  }
  // A model trained on three columns, evaluated on two; a mel-spectrogram model on a table.
  rows.clear();
  for (int i = 0; i < 12; ++i)
    rows.push_back(std::string(i % 2 ? "a" : "b") + "." + std::to_string(10000 + i) + ".wav,1," + std::to_string(i % 2) + ",0.5,1," + (i % 2 ? "a" : "b"));
  o.data = table("good.csv", "filename,length,f1,f2,f3,label", rows);
  const auto model = train(o).model_path;
  const std::string narrow = table("narrow.csv", "filename,length,f1,f2,label", {"a.1.wav,1,1,2,a", "b.2.wav,1,1,2,b"});
  auto evaluate = [&](const std::string& m, const std::string& data) {
    const std::string cmd = std::string(GENRE_BIN) + " evaluate --model " + m + " --data " + data +
                            " --part all --cache none > " + dir.file("eval.txt") + " 2>&1";
    const int rc = WEXITSTATUS(std::system(cmd.c_str()));
    return std::make_pair(rc, read_bytes(dir.file("eval.txt")));
  };
  auto [rc, out] = evaluate(model, narrow);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("its 2 feature columns are not the 3 columns"), std::string::npos) << out;
  const auto data = make_collection(dir);
  train(options(data, dir.file("mel"), 1));
  auto [rc2, out2] = evaluate(dir.file("mel/model.genre"), dir.file("good.csv"));
  EXPECT_NE(rc2, 0);
  EXPECT_NE(out2.find("a features table, but"), std::string::npos) << out2;
}

// genre/lda.h against scikit-learn's LinearDiscriminantAnalysis(solver="lsqr") on a fixed table
// (tools/make_sklearn_fixtures.py): Ledoit-Wolf and fixed shrinkage, class and uniform priors.
TEST(Lda, MatchesScikitLearn) {
  const auto fx = nlohmann::json::parse(read_bytes(data_dir() + "/sklearn/lda.json"));
  const auto rows = fx["x"].get<std::vector<std::vector<double>>>();
  const auto y = fx["y"].get<std::vector<int>>();
  const size_t n = rows.size(), d = rows[0].size();
  std::vector<float> x;
  for (const auto& r : rows) x.insert(x.end(), r.begin(), r.end());  // float32 values in the fixture
  ASSERT_EQ(fx["cases"].size(), 3u);
  for (const auto& c : fx["cases"]) {
    const std::string name = c["name"];
    const LinearFit fit = fit_lda(x.data(), n, d, y, 3, LdaParams{c["shrinkage"].get<double>(), c["uniform_priors"].get<bool>()});
    const auto coef = c["coef"].get<std::vector<std::vector<double>>>();
    const auto intercept = c["intercept"].get<std::vector<double>>();
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(fit.intercept[k], intercept[k], 1e-9 * std::max(1.0, std::fabs(intercept[k]))) << name;
      for (size_t j = 0; j < d; ++j) EXPECT_NEAR(fit.coef[k * d + j], coef[k][j], 1e-9 * std::max(1.0, std::fabs(coef[k][j]))) << name;
    }
    const auto proba = c["proba"].get<std::vector<std::vector<double>>>();
    const auto x_test = fx["x_test"].get<std::vector<std::vector<double>>>();
    for (size_t i = 0; i < x_test.size(); ++i) {
      std::vector<double> z(3);
      for (size_t k = 0; k < 3; ++k) {
        z[k] = fit.intercept[k];
        for (size_t j = 0; j < d; ++j) z[k] += fit.coef[k * d + j] * x_test[i][j];
      }
      const double top = *std::max_element(z.begin(), z.end());
      double sum = 0;
      for (double& v : z) sum += (v = std::exp(v - top));
      for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(z[k] / sum, proba[i][k], 1e-9) << name << " row " << i;
    }
  }
  std::vector<double> class1;
  for (size_t i = 0; i < n; ++i)
    if (y[i] == 1) class1.insert(class1.end(), rows[i].begin(), rows[i].end());
  const double lw = ledoit_wolf_shrinkage(class1.data(), class1.size() / d, d);
  EXPECT_NEAR(lw, fx["ledoit_wolf_class1"].get<double>(), 1e-12);
  EXPECT_GT(lw, 0.0);
  // What it cannot fit is an error, not a guess.
  std::vector<int> two_classes = y;
  for (int& c : two_classes) c = c == 2 ? 1 : c;
  EXPECT_THROW(fit_lda(x.data(), n, d, two_classes, 3), std::invalid_argument);  // class 2 has no example
  std::vector<int> out_of_range = y;
  out_of_range[0] = 3;
  EXPECT_THROW(fit_lda(x.data(), n, d, out_of_range, 3), std::invalid_argument);
  EXPECT_THROW(fit_lda(x.data(), n, d, y, 3, LdaParams{1.5, false}), std::invalid_argument);
  std::vector<float> wide(2 * (kLdaMaxValues + 1), 1.f);
  EXPECT_THROW(fit_lda(wide.data(), 2, kLdaMaxValues + 1, {0, 1}, 2), std::invalid_argument);
}

// --model lda: one closed-form fit in place of the epochs. The head is fit_lda's on the training
// examples as the model standardises them; it runs without torch like logreg; --refit fits again
// on train + valid; what only gradient training takes is refused.
TEST(Train, LdaFitsTheHeadInOneStep) {
  TempDir dir;
  const auto data = make_collection(dir);
  TrainOptions o = small_train_options(data, dir.file("lda"), "lda", 30, 2);
  o.input = "table";
  const TrainResult r = train(o);
  EXPECT_EQ(r.history.size(), 1u);
  EXPECT_EQ(r.best_epoch, 1);
  EXPECT_GE(r.valid_clip.accuracy, 0.8);  // tones, higher tones, noise
  const LoadedModel m = load_model(r.model_path);
  EXPECT_EQ(m.config.arch, "lda");
  EXPECT_EQ(m.meta["training"]["lda"]["shrinkage"], "auto");
  EXPECT_EQ(m.meta["training"]["lda"]["class_shrinkage"].size(), 3u);

  const Dataset ds = load_dataset(data, SourceKind::Audio);
  const auto parts = assign_parts(ds, parse_split(o.split, o.seed));
  const ExampleSet set = load_examples(ds, parts, Part::Train, FrontEnd(m.frontend), FeatureCache(""), 2);
  ASSERT_EQ(set.count(), r.train_chunks);
  auto buffers = m.net->named_buffers();
  const torch::Tensor mean = buffers["input_mean"].flatten(), sd = buffers["input_std"].flatten();
  const size_t dim = size_t(set.shape.size()), plane = size_t(set.shape.h * set.shape.w);
  std::vector<float> z(set.data.size());
  for (size_t i = 0; i < z.size(); ++i)
    z[i] = (set.data[i] - mean[int64_t(i % dim / plane)].item<float>()) / sd[int64_t(i % dim / plane)].item<float>();
  const LinearFit fit = fit_lda(z.data(), set.count(), dim, set.label, 3);
  auto params = m.net->named_parameters();
  const torch::Tensor w = params["classifier.weight"], b = params["classifier.bias"];
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_NEAR(b[int64_t(k)].item<double>(), fit.intercept[k], 1e-5 * std::max(1.0, std::fabs(fit.intercept[k])));
    for (size_t j = 0; j < dim; ++j)
      EXPECT_NEAR(w[int64_t(k)][int64_t(j)].item<double>(), fit.coef[k * dim + j], 1e-5 * std::max(1.0, std::fabs(fit.coef[k * dim + j])));
  }
  const ModelHeader h = read_model_header(r.model_path);
  ASSERT_TRUE(runs_without_torch(h));
  const ProbabilityFn native = native_probabilities(read_model_file(r.model_path), h);
  std::vector<double> a(3 * set.count()), c(3 * set.count());
  m.probabilities(set.data.data(), int64_t(set.count()), a.data());
  native(set.data.data(), int64_t(set.count()), c.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], c[i], 1e-5) << i;

  o.out = dir.file("refit");
  o.refit = true;
  const TrainResult again = train(o);
  EXPECT_EQ(again.train_clips, 15u);
  EXPECT_EQ(again.history.size(), 1u);

  const auto refused = [&](auto&& change) {
    TrainOptions bad = small_train_options(data, dir.file("bad"), "lda", 30, 2);
    bad.input = "table";
    change(bad);
    EXPECT_THROW(train(bad), std::invalid_argument);
  };
  refused([](TrainOptions& b) { b.augment = "mixup"; });
  refused([](TrainOptions& b) { b.bandlimit_copies = {4000}; b.bandlimit_weight = 0.5; });
  refused([](TrainOptions& b) { b.shrinkage = 1.5; });
  refused([](TrainOptions& b) { b.input = "mel"; });  // 128 x 87 values per example
  refused([](TrainOptions& b) { b.model = "logreg"; b.shrinkage = 0.3; });  // a shrinkage is lda's
}
