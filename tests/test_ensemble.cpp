// Ensemble model files (genre/ensemble.h) and their Predictor: members on their own front ends,
// the weighted mean of their clip probabilities; damaged or inconsistent ensembles are refused.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>

#include "genre/ensemble.h"
#include "genre/predict.h"
#include "test_util.h"

using namespace genre;
using namespace genre::test;
namespace fs = std::filesystem;

namespace {
const std::string kFeatures = source_dir() + "/models/genre-features.genre";  // runs without torch

// A member whose probabilities are fixed: class `c` gets p, the others share the rest.
ProbabilityFn fixed(size_t labels, size_t c, double p) {
  return [=](const float*, int64_t n, double* out) {
    for (int64_t i = 0; i < n; ++i)
      for (size_t k = 0; k < labels; ++k) out[size_t(i) * labels + k] = k == c ? p : (1 - p) / double(labels - 1);
  };
}

std::string tone(const TempDir& dir) {
  return write_audio(dir.file("tone.wav"), sine(440, 22050, 5 * 22050, 0.3), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
}
}  // namespace

TEST(Ensemble, IsTheWeightedMeanOfItsMembers) {
  TempDir dir;
  fs::copy_file(kFeatures, dir.file("a.genre"));
  fs::copy_file(kFeatures, dir.file("b.genre"));
  write_ensemble(dir.file("e.genre"), {{dir.file("a.genre"), 3}, {dir.file("b.genre"), 1}});
  const ModelHeader h = read_model_header(dir.file("e.genre"));
  ASSERT_TRUE(is_ensemble(h));
  const auto members = ensemble_members(h);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].path, dir.file("a.genre"));
  EXPECT_DOUBLE_EQ(members[0].weight, 0.75);  // normalised
  EXPECT_DOUBLE_EQ(members[1].weight, 0.25);
  const size_t k = h.labels.size();
  std::vector<Predictor> ps;
  ps.emplace_back(read_model_header(members[0].path), fixed(k, 0, 0.9));
  ps.emplace_back(read_model_header(members[1].path), fixed(k, 1, 0.5));
  const Predictor e(h, std::move(ps), {0.75, 0.25});
  const std::string file = tone(dir);
  const Prediction p = e.predict_file(file, /*timeline=*/true);
  ASSERT_TRUE(p.error.empty()) << p.error;
  ASSERT_EQ(p.probabilities.size(), k);
  EXPECT_NEAR(p.probabilities[0], 0.75 * 0.9 + 0.25 * 0.5 / double(k - 1), 1e-12);
  EXPECT_NEAR(p.probabilities[1], 0.75 * 0.1 / double(k - 1) + 0.25 * 0.5, 1e-12);
  EXPECT_FALSE(p.timeline.empty());  // the first member's
  EXPECT_EQ(e.to_json(p)["genre"], h.labels[0]);
  EXPECT_EQ(e.describe()["members"].size(), 2u);
  // The same bytes in memory give the same answer, and bad input is an error naming the upload.
  const std::string bytes = read_bytes(file);
  const Prediction m = e.predict_memory(bytes.data(), bytes.size(), "upload.wav");
  EXPECT_EQ(m.probabilities, p.probabilities);
  const Prediction bad = e.predict_memory("not audio", 9, "junk.wav");
  EXPECT_NE(bad.error.find("junk.wav"), std::string::npos);
}

TEST(Ensemble, BadEnsemblesAreRefused) {
  TempDir dir;
  fs::copy_file(kFeatures, dir.file("a.genre"));
  EXPECT_THROW(write_ensemble(dir.file("e.genre"), {{dir.file("a.genre"), 1}}), std::invalid_argument);  // one member
  EXPECT_THROW(write_ensemble(dir.file("e.genre"), {{dir.file("a.genre"), 1}, {dir.file("none.genre"), 1}}), std::invalid_argument);
  EXPECT_THROW(write_ensemble(dir.file("e.genre"), {{dir.file("a.genre"), 1}, {dir.file("a.genre"), -1}}), std::invalid_argument);
  write_ensemble(dir.file("e.genre"), {{dir.file("a.genre"), 1}, {dir.file("a.genre"), 2}});
  // An ensemble is not a member; a tagger (other labels, sigmoid) is not either.
  EXPECT_THROW(write_ensemble(dir.file("f.genre"), {{dir.file("a.genre"), 1}, {dir.file("e.genre"), 1}}), std::invalid_argument);
  EXPECT_THROW(write_ensemble(dir.file("f.genre"), {{dir.file("a.genre"), 1}, {source_dir() + "/models/genre-tagger.genre", 1}}),
               std::invalid_argument);
  // A member that is an ensemble itself (its file replaced after the fact) is refused when opened.
  fs::copy_file(dir.file("a.genre"), dir.file("b.genre"));
  write_ensemble(dir.file("f.genre"), {{dir.file("a.genre"), 1}, {dir.file("b.genre"), 1}});
  fs::copy_file(dir.file("e.genre"), dir.file("b.genre"), fs::copy_options::overwrite_existing);
  EXPECT_THROW(ensemble_members(read_model_header(dir.file("f.genre"))), std::runtime_error);
  // A missing member is named when the ensemble is opened, by the library and by genre predict.
  fs::remove(dir.file("a.genre"));
  EXPECT_THROW(ensemble_members(read_model_header(dir.file("e.genre"))), std::runtime_error);
  const std::string cmd = std::string(GENRE_BIN) + " predict --model " + dir.file("e.genre") + " " + tone(dir) + " > " +
                          dir.file("out.txt") + " 2>&1";
  EXPECT_NE(WEXITSTATUS(std::system(cmd.c_str())), 0);
  EXPECT_NE(read_bytes(dir.file("out.txt")).find("a.genre"), std::string::npos) << read_bytes(dir.file("out.txt"));
}

// End to end: `genre ensemble` writes the file, `genre predict` runs it; two copies of one model
// give that model's answer.
TEST(Ensemble, CommandsWriteAndRunIt) {
  TempDir dir;
  fs::copy_file(kFeatures, dir.file("a.genre"));
  fs::copy_file(kFeatures, dir.file("b.genre"));
  const std::string file = tone(dir);
  const std::string make = std::string(GENRE_BIN) + " ensemble -m " + dir.file("a.genre") + ":0.3 -m " + dir.file("b.genre") +
                           " -o " + dir.file("e.genre") + " > /dev/null 2>&1";
  ASSERT_EQ(WEXITSTATUS(std::system(make.c_str())), 0);
  // Members are stored relative to the ensemble: the folder moves as a whole.
  const std::string moved = dir.path.string() + "-moved";
  fs::rename(dir.path, moved);
  auto run = [&](const std::string& model, const std::string& out) {
    const std::string cmd = std::string(GENRE_BIN) + " predict --format json --model " + model + " " + moved + "/tone.wav > " + out + " 2>&1";
    return WEXITSTATUS(std::system(cmd.c_str()));
  };
  EXPECT_EQ(run(moved + "/e.genre", moved + "/e.json"), 0) << read_bytes(moved + "/e.json");
  EXPECT_EQ(run(moved + "/a.genre", moved + "/a.json"), 0);
  auto first = [](const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    return j.is_array() ? j[0] : j;
  };
  const auto e = first(read_bytes(moved + "/e.json"));
  const auto a = first(read_bytes(moved + "/a.json"));
  ASSERT_TRUE(a.contains("probabilities")) << a.dump();
  for (const auto& [label, p] : a["probabilities"].items())
    EXPECT_NEAR(e["probabilities"][label].get<double>(), p.get<double>(), 1e-9) << label;
  fs::rename(moved, dir.path);  // for TempDir's clean-up
}

// genre evaluate on an ensemble: each member on its own, the songs' and files' probabilities their
// weighted mean (what genre predict gives), the chunk level the first member's.
TEST(Ensemble, EvaluateCombinesTheMembersAsPredictDoes) {
  TempDir dir;
  const std::string data = write_tone_collection(dir.file("data"), 3, 3);
  auto sh = [&](const std::string& args, const std::string& log) {
    const std::string cmd = std::string(GENRE_BIN) + " " + args + " > " + dir.file(log) + " 2>&1";
    const int rc = WEXITSTATUS(std::system(cmd.c_str()));
    EXPECT_EQ(rc, 0) << args << "\n" << read_bytes(dir.file(log));
    return rc;
  };
  // Two small members on different front ends: the 57 features of 30 s windows, and of 2 s ones.
  const std::string common = " --data " + data + " --model logreg --input table --cache none --split stratified:60/40/0 --lr 1e-2 ";
  if (sh("train" + common + "--epochs 5 --out " + dir.file("a"), "a.log")) return;
  if (sh("train" + common + "--epochs 8 --chunk 2 --chunk-hop 1 --out " + dir.file("b"), "b.log")) return;
  sh("ensemble -m " + dir.file("a/model.genre") + ":1 -m " + dir.file("b/model.genre") + ":3 -o " + dir.file("e.genre"), "e.log");
  for (const char* m : {"a", "b", "e"}) {
    const std::string model = std::string(m) == "e" ? dir.file("e.genre") : dir.file(std::string(m) + "/model.genre");
    sh("evaluate --model " + model + " --part all --cache none --out " + dir.file(std::string(m) + ".report"),
       std::string(m) + ".eval");
  }
  auto report = [&](const char* m) { return nlohmann::json::parse(read_bytes(dir.file(std::string(m) + ".report/report.json"))); };
  const auto a = report("a"), b = report("b"), e = report("e");
  EXPECT_EQ(e["arch"], "ensemble");
  ASSERT_EQ(e["clips"].size(), a["clips"].size());
  for (size_t c = 0; c < e["clips"].size(); ++c) {
    ASSERT_EQ(e["clips"][c]["song"], a["clips"][c]["song"]);
    size_t cb = 0;
    while (b["clips"][cb]["song"] != a["clips"][c]["song"]) ++cb;
    for (size_t k = 0; k < 3; ++k)
      EXPECT_NEAR(e["clips"][c]["probabilities"][k].get<double>(),
                  0.25 * a["clips"][c]["probabilities"][k].get<double>() + 0.75 * b["clips"][cb]["probabilities"][k].get<double>(), 1e-9);
  }
  ASSERT_EQ(e["files"].size(), a["files"].size());
  EXPECT_EQ(e["chunk_level"], a["chunk_level"]);
  // genre predict of one file with the ensemble: its evaluated file probabilities.
  const std::string file = e["files"][0]["path"];
  sh("predict --format json --model " + dir.file("e.genre") + " " + file, "p.json");
  const std::string text = read_bytes(dir.file("p.json"));
  auto j = nlohmann::json::parse(text.substr(text.find('[')));
  const auto& labels = e["clip_level"]["labels"];
  for (size_t k = 0; k < 3; ++k)
    EXPECT_NEAR(j[0]["probabilities"][labels[k].get<std::string>()].get<double>(), e["files"][0]["probabilities"][k].get<double>(), 1e-5);
}
