// The genre executable end to end: help, version, the features table, and bad input in a batch.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "genre/gtzan_features.h"
#include "test_util.h"

using namespace genre::test;

namespace {
struct Run {
  int status;
  std::string out;  // stdout and stderr together
};

Run run(const std::string& args) {
  std::string cmd = std::string(GENRE_BIN) + " " + args + " 2>&1";
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
  auto fh = run("features --help");
  EXPECT_EQ(fh.status, 0);
  EXPECT_NE(fh.out.find("--segment"), std::string::npos);
  EXPECT_EQ(run("no-such-command").status, 2);
  EXPECT_EQ(run("").status, 2);
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
