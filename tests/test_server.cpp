// genre serve through an HTTP client: a server started by the test on a free loopback port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "test_util.h"

using namespace genre::test;
using json = nlohmann::json;

extern char** environ;

namespace {

// genre serve --port 0 in a child process; the port is read from its log.
class Server {
 public:
  explicit Server(std::vector<std::string> extra = {}) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> args = {GENRE_BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, GENRE_BIN, &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    fd_ = fds[0];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::smatch m;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[512];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      log_.append(buf, size_t(n));
      if (std::regex_search(log_, m, std::regex("listening on http://127.0.0.1:(\\d+)/"))) {
        port_ = std::stoi(m[1]);
        return;
      }
    }
    throw std::runtime_error("server did not start: " + log_);
  }
  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(fd_);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  // SIGTERM, then the exit status and the rest of the log.
  int stop(std::string* log) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    char buf[512];
    ssize_t n;
    while ((n = read(fd_, buf, sizeof buf)) > 0) log_.append(buf, size_t(n));
    if (log) *log = log_;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1, port_ = 0;
  std::string log_;
};

std::string example() { return read_bytes(source_dir() + "/examples/rock/rock.00000.ogg"); }

httplib::Result upload(httplib::Client& c, const std::string& bytes, const std::string& query = "") {
  httplib::MultipartFormDataItems items = {{"file", bytes, "song.ogg", "audio/ogg"}};
  return c.Post(("/api/classify" + query).c_str(), items);
}

}  // namespace

TEST(Server, EndpointsAndErrors) {
  Server s;
  auto c = s.client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("What genre is this song?"), std::string::npos);
  EXPECT_EQ(page->body.find("http://"), std::string::npos);  // nothing loaded from elsewhere
  EXPECT_EQ(page->body.find("https://"), std::string::npos);

  auto model = c.Get("/api/model");
  ASSERT_TRUE(model);
  auto m = json::parse(model->body);
  EXPECT_EQ(m["labels"].size(), 10u);
  EXPECT_TRUE(m.contains("arch"));

  auto r = upload(c, example(), "?timeline=1&spectrogram=1&top_k=4");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["file"], "song.ogg");
  EXPECT_NEAR(j["duration"].get<double>(), 10.0, 0.05);
  EXPECT_EQ(j["top"].size(), 4u);
  EXPECT_EQ(j["probabilities"].size(), 10u);
  EXPECT_EQ(j["genre"], j["top"][0]["genre"]);
  EXPECT_GE(j["timeline"].size(), 1u);
  EXPECT_EQ(j["spectrogram_png"].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
  EXPECT_NEAR(j["spectrogram_seconds"].get<double>(), 10.0, 0.05);  // the whole 10 s clip (under 60 s)

  // The raw audio as the body gives the same answer.
  auto raw = c.Post("/api/classify", example(), "audio/ogg");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200);
  EXPECT_EQ(json::parse(raw->body)["probabilities"], j["probabilities"]);

  auto not_audio = upload(c, "definitely not a song");
  ASSERT_TRUE(not_audio);
  EXPECT_EQ(not_audio->status, 415);
  EXPECT_NE(json::parse(not_audio->body)["error"].get<std::string>().find("song.ogg"), std::string::npos);

  // A WAV cut in half decodes as far as it goes, but is not a valid file: 422.
  TempDir dir;
  std::string wav = read_bytes(write_audio(dir.file("a.wav"), sine(440, 22050, 22050 * 2), 22050, 1,
                                           SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  auto cut = upload(c, wav.substr(0, wav.size() / 2));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->status, 422) << cut->body;

  auto empty = c.Post("/api/classify", "", "application/octet-stream");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  auto missing = c.Get("/no/such/page");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body).contains("error"));
  auto wrong = c.Get("/api/classify");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST");
  auto wrong2 = c.Delete("/healthz");
  ASSERT_TRUE(wrong2);
  EXPECT_EQ(wrong2->status, 405);
}

TEST(Server, TooLargeUploadsAre413) {
  Server s({"--max-upload-mb", "1"});
  auto c = s.client();
  auto r = c.Post("/api/classify", std::string(2 * 1024 * 1024, 'x'), "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // The server goes on with the next request.
  auto ok = upload(c, example());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(Server, ConcurrentRequestsAndABadOneDoNotInterfere) {
  Server s;
  const std::string good = example();
  std::vector<int> status(9, 0);
  std::vector<std::string> genres(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 9; ++i)
    clients.emplace_back([&, i] {
      auto c = s.client();
      auto r = upload(c, i == 8 ? std::string("garbage garbage") : good);
      status[size_t(i)] = r ? r->status : -1;
      if (r && r->status == 200) genres[size_t(i)] = json::parse(r->body)["genre"];
    });
  for (auto& t : clients) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(status[size_t(i)], 200) << i;
    EXPECT_EQ(genres[size_t(i)], genres[0]);
  }
  EXPECT_EQ(status[8], 415);
}

TEST(Server, StopsCleanlyOnSigterm) {
  Server s;
  auto c = s.client();
  ASSERT_TRUE(c.Get("/healthz"));
  std::string log;
  EXPECT_EQ(s.stop(&log), 0);
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
}
