// The genre executable end to end: help, version, the features table, and bad input in a batch.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "genre/gtzan_features.h"
#include "genre/png.h"
#include "bad_corpus.h"
#include "test_util.h"

using namespace genre::test;

namespace {
struct Run {
  int status;
  std::string out;  // stdout and stderr together
};

Run run(const std::string& args, const std::string& env = "") {
  std::string cmd = (env.empty() ? "" : env + " ") + std::string(GENRE_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(Cli, HelpAndVersion) {
  auto v = run("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("genre 0."), std::string::npos);
  auto h = run("--help");
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("features"), std::string::npos);
  EXPECT_NE(h.out.find("train"), std::string::npos);  // from the torch plugin
  EXPECT_NE(h.out.find("evaluate"), std::string::npos);
  auto fh = run("features --help");
  EXPECT_EQ(fh.status, 0);
  EXPECT_NE(fh.out.find("--segment"), std::string::npos);
  EXPECT_EQ(run("no-such-command").status, 2);
  EXPECT_EQ(run("").status, 2);
}

// Without its torch plugin the executable still predicts with the bundled feature-table model, and a torch
// command says what is missing.
TEST(Cli, WithoutTheTorchPlugin) {
  TempDir dir;
  std::filesystem::copy_file(GENRE_BIN, dir.file("genre"));
  std::filesystem::permissions(dir.file("genre"), std::filesystem::perms::owner_all);
  const std::string lonely = dir.file("genre");
  auto run_lonely = [&](const std::string& args) {
    const std::string cmd = "GENRE_MODEL=" + source_dir() + "/models/genre-features.genre " + lonely + " " + args +
                            " > " + dir.file("out") + " 2>&1";
    const int st = std::system(cmd.c_str());
    return std::make_pair(WEXITSTATUS(st), read_bytes(dir.file("out")));
  };
  auto [train_status, train_out] = run_lonely("train --data x --out y");
  EXPECT_EQ(train_status, 2);
  EXPECT_NE(train_out.find("train: cannot load libgenre_torch.so"), std::string::npos) << train_out;
  auto [predict_status, predict_out] = run_lonely("predict " + source_dir() + "/examples/jazz");
  EXPECT_EQ(predict_status, 0) << predict_out;
  EXPECT_NE(predict_out.find("jazz.00000.ogg (10.0 s):"), std::string::npos) << predict_out;
}

// Libraries the dynamic loader loaded (LD_DEBUG=files), by file name, with the paths they came from.
std::map<std::string, std::set<std::string>> loaded_libraries(const std::string& env, const std::string& args) {
  const Run r = run(args, env + " LD_DEBUG=files");
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find("file=");
    if (at == std::string::npos) continue;
    const std::string path = line.substr(at + 5, line.find(' ', at) - at - 5);
    out[std::filesystem::path(path).filename().string()].insert(path);
  }
  return out;
}

std::vector<std::string> placeholders() {
  std::vector<std::string> names;
  const auto dir = std::filesystem::path(GENRE_BIN).parent_path() / "torch-unused";
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().filename().string().find(".so") != std::string::npos) names.push_back(e.path().filename().string());
  return names;
}

// The torch plugin loads libtorch without the libraries it is linked against but never calls (the
// build's torch-unused placeholders: OpenCV, FFmpeg, ...), and predicts the same as with them all.
TEST(Cli, TorchLoadsWithoutItsUnusedLibraries) {
  const auto names = placeholders();
  if (names.empty()) GTEST_SKIP() << "this build made no torch-unused placeholders (libtorch links no unused library)";
  const auto with = loaded_libraries("", "evaluate --help");
  const auto all = loaded_libraries("GENRE_TORCH_UNUSED_DIR=", "evaluate --help");
  for (const auto& name : names) {
    ASSERT_EQ(with.count(name), 1u) << name << " was not opened at all";
    for (const auto& path : with.at(name)) EXPECT_NE(path.find("torch-unused/"), std::string::npos) << path;
    ASSERT_EQ(all.count(name), 1u) << name;
    for (const auto& path : all.at(name)) EXPECT_EQ(path.find("torch-unused/"), std::string::npos) << path;
  }
  EXPECT_LT(with.size() + names.size(), all.size());  // their own dependencies stay out too
  const std::string clip = source_dir() + "/examples/jazz/jazz.00000.ogg";
  const auto fast = run("predict --format json " + clip);
  const auto full = run("predict --format json " + clip, "GENRE_TORCH_UNUSED_DIR=");
  EXPECT_EQ(fast.status, 0) << fast.out;
  EXPECT_EQ(fast.out, full.out);
}

// A placeholder for a library that libtorch does call: the plugin does not load with it, so genre
// closes the placeholders, loads everything, says so, and goes on.
TEST(Cli, TorchPluginLoadsEverythingWhenAPlaceholderIsWrong) {
  const auto all = loaded_libraries("GENRE_TORCH_UNUSED_DIR=", "evaluate --help");
  if (!all.count("libnuma.so.1")) GTEST_SKIP() << "libtorch here does not load libnuma.so.1";
  const std::string dir = std::filesystem::path(GENRE_BIN).parent_path() / "tests" / "wrong-placeholder";
  const auto r = run("predict --format json " + source_dir() + "/examples/jazz/jazz.00000.ogg", "GENRE_TORCH_UNUSED_DIR=" + dir);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("did not load without libtorch's unused libraries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("numa"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"genre\""), std::string::npos) << r.out;
}

TEST(Cli, FeaturesOnExamplesPrintsATable) {
  auto r = run("features " + source_dir() + "/examples");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count_lines(r.out), 11u) << r.out;  // header + one row per genre
  for (const char* g : {"blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"})
    EXPECT_NE(r.out.find(g), std::string::npos) << g;
}

TEST(Cli, FeaturesCsvWithSegmentsAndABadFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "data" / "rock");
  std::filesystem::copy(source_dir() + "/examples/rock/rock.00000.ogg", dir.path / "data" / "rock" / "rock.00000.ogg");
  write_bytes((dir.path / "data" / "rock" / "broken.wav").string(), "RIFF not really a wav file");
  const std::string out = dir.file("table.csv");
  auto r = run("features " + (dir.path / "data").string() + " --segment 3 --out " + out);
  EXPECT_EQ(r.status, 1) << r.out;  // something failed...
  EXPECT_NE(r.out.find("broken.wav"), std::string::npos) << r.out;  // ...named, with its reason
  std::string csv = read_bytes(out);
  EXPECT_EQ(count_lines(csv), 1u + 3u) << csv;  // ...and the good file's 3 segments were still written
  EXPECT_EQ(csv.substr(0, 15), "filename,length");
  EXPECT_NE(csv.find("rock.00000.2.ogg,66150,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",rock\n"), std::string::npos);
}

TEST(Cli, MissingInputIsAnError) {
  auto r = run("features /no/such/place.wav");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("/no/such/place.wav"), std::string::npos);
}

// genre predict with the bundled model: every format, the timeline, and a bad file in the batch.
TEST(Cli, PredictExamplesInEveryFormat) {
  const std::string ex = source_dir() + "/examples";
  auto text = run("predict " + ex);
  ASSERT_EQ(text.status, 0) << text.out;
  EXPECT_EQ(count_lines(text.out), 10u) << text.out;
  EXPECT_NE(text.out.find("classical.00000.ogg (10.0 s): "), std::string::npos) << text.out;

  auto jsonl = run("predict " + ex + " --format jsonl --top-k 2 --jobs 2");
  ASSERT_EQ(jsonl.status, 0) << jsonl.out;
  std::istringstream lines(jsonl.out);
  size_t n = 0;
  std::set<std::string> files;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["top"].size(), 2u);
    EXPECT_EQ(j["probabilities"].size(), 10u);
    double sum = 0;
    for (auto& [k, v] : j["probabilities"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-6);
    files.insert(j["file"].get<std::string>());  // completion order: each line names its file
  }
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(files.size(), 10u);

  auto json = run("predict " + ex + "/rock " + ex + "/jazz --format json --timeline --jobs 2");
  ASSERT_EQ(json.status, 0) << json.out;
  auto arr = nlohmann::json::parse(json.out);
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_NE(arr[0]["file"].get<std::string>().find("rock"), std::string::npos);  // input order
  EXPECT_NE(arr[1]["file"].get<std::string>().find("jazz"), std::string::npos);
  EXPECT_GE(arr[0]["timeline"].size(), 1u);
  EXPECT_EQ(arr[0]["timeline"][0]["start"], 0.0);

  auto csv = run("predict " + ex + "/pop --format csv");
  ASSERT_EQ(csv.status, 0) << csv.out;
  EXPECT_EQ(csv.out.substr(0, 43), "file,duration,genre1,probability1,genre2,pr");
}

TEST(Cli, PredictReportsBadFilesAndGoesOn) {
  TempDir dir;
  std::filesystem::copy(source_dir() + "/examples/metal/metal.00000.ogg", dir.path / "a.ogg");
  write_bytes(dir.file("b.mp3"), "ID3 but nothing else");
  auto r = run("predict " + dir.path.string() + " --format jsonl");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("genre: error: " + dir.file("b.mp3")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"file\":\"" + dir.file("a.ogg") + "\""), std::string::npos) << r.out;  // still classified
  EXPECT_NE(r.out.find("\"error\""), std::string::npos);  // the failure is in the stream too
  auto missing_model = run("predict " + dir.file("a.ogg") + " --model " + dir.file("none.genre"));
  EXPECT_NE(missing_model.status, 0);
  EXPECT_NE(missing_model.out.find("none.genre"), std::string::npos);
}

// Issue 11: the bad-file corpus through `genre predict`: every file is an error naming it and its
// reason, the JSON array stays valid, the batch goes on, exit status 1.
TEST(Cli, PredictRefusesTheBadFileCorpusFileByFile) {
  TempDir dir;
  const auto corpus = make_bad_corpus(dir);
  std::filesystem::copy(source_dir() + "/examples/metal/metal.00000.ogg", dir.path / "good.ogg");
  const std::string model = source_dir() + "/models/genre-features.genre";
  const std::string cmd = std::string(GENRE_BIN) + " predict " + dir.path.string() + " " + dir.file("fifo.wav") +
                          " --model " + model + " --format json > " + dir.file("out.json") + " 2> " + dir.file("err.txt");
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 1) << read_bytes(dir.file("err.txt"));
  const auto j = nlohmann::json::parse(read_bytes(dir.file("out.json")));
  std::map<std::string, std::string> errors;
  for (const auto& e : j) errors[std::filesystem::path(e["file"].get<std::string>()).filename().string()] = e.value("error", "");
  EXPECT_EQ(errors.at("good.ogg"), "");
  for (const auto& bad : corpus) EXPECT_NE(errors[bad.name].find(bad.reason), std::string::npos) << bad.name << ": " << errors[bad.name];
}

TEST(Cli, FolderWalkVisitsEachRealDirectoryOnce) {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "rock");
  std::filesystem::copy(source_dir() + "/examples/metal/metal.00000.ogg", dir.path / "rock" / "a.ogg");
  std::filesystem::create_directory_symlink("..", dir.path / "rock" / "up");     // a loop
  std::filesystem::create_directory_symlink(dir.path / "rock", dir.path / "b");  // the same folder again
  std::filesystem::create_directory_symlink(dir.path / "b", dir.path / "rock" / "c");
  auto r = run("predict " + dir.path.string() + " --model " + source_dir() + "/models/genre-features.genre --format jsonl 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count_lines(r.out), 1u) << r.out;
}

TEST(Cli, FileNamesThatAreNotUtf8KeepTheJsonValid) {
  TempDir dir;
  const std::string name = dir.file("caf\xe9\nnew.ogg");
  std::filesystem::copy(source_dir() + "/examples/metal/metal.00000.ogg", name);
  const std::string model = " --model " + source_dir() + "/models/genre-features.genre";
  auto json = run("predict " + dir.path.string() + model + " --format json > " + dir.file("out.json"));
  EXPECT_EQ(json.status, 0) << json.out;
  const auto j = nlohmann::json::parse(read_bytes(dir.file("out.json")));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_NE(j[0]["file"].get<std::string>().find("caf\xef\xbf\xbd\nnew.ogg"), std::string::npos);
  auto text = run("predict " + dir.path.string() + model);
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("caf\xe9?new.ogg ("), std::string::npos) << text.out;  // no raw newline in a text line
}

TEST(Cli, FeaturesOfALongFileStayBoundedAndSaySo) {
  TempDir dir;
  // 70 s of audio with --max-duration 20: the row covers 20 s and a note says so; --segment
  // streams every segment.
  write_audio(dir.file("long.wav"), noise(22050 * 70, 0.2), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto whole = run("features " + dir.file("long.wav") + " --format csv --max-duration 20");
  EXPECT_EQ(whole.status, 0) << whole.out;
  EXPECT_NE(whole.out.find("first 20 s"), std::string::npos) << whole.out;
  EXPECT_NE(whole.out.find("long.wav,441000,"), std::string::npos) << whole.out;
  auto segments = run("features " + dir.file("long.wav") + " --format csv --segment 10 --out " + dir.file("t.csv"));
  EXPECT_EQ(segments.status, 0) << segments.out;
  EXPECT_EQ(count_lines(read_bytes(dir.file("t.csv"))), 1u + 7u);
  EXPECT_NE(read_bytes(dir.file("t.csv")).find("long.6.wav,220500,"), std::string::npos);
}

// genre gan train, then sample with --picture: clips in a folder per genre and one panel of each.
TEST(Cli, GanTrainSampleAndPicture) {
  TempDir dir;
  const std::string data = write_tone_collection(dir.file("data"), 1, 2);
  auto tr = run("gan train --data " + data + " --out " + dir.file("gan") +
                " --model-size 1 --latent 4 --batch-size 2 --steps 1 --critic-steps 1 --slices-per-file 1 --threads 1");
  ASSERT_EQ(tr.status, 0) << tr.out;
  auto sa = run("gan sample --model " + dir.file("gan/gan.pt") + " --out " + dir.file("s") + " --per-genre 2 --picture " +
                dir.file("s.png"));
  ASSERT_EQ(sa.status, 0) << sa.out;
  for (const char* label : {"high", "low", "noisy"})
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("s/") + label), {}), 2) << label;
  const genre::Image img = genre::read_png(dir.file("s.png"));
  EXPECT_EQ(img.width, 12 + 5 * (2 * 129 + 12));  // five panels of 129 frames, scale 2
  EXPECT_EQ(img.height, 12 + 24 + (2 * 64 + 12 + 22));  // one row: three genres
  auto bad = run("gan sample --model " + dir.file("s.png") + " --out " + dir.file("t"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("s.png"), std::string::npos) << bad.out;
}
