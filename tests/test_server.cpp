// genre serve through an HTTP client: a server started by the test on a free loopback port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "bad_corpus.h"
#include "test_util.h"

using namespace genre::test;
using json = nlohmann::json;

extern char** environ;

namespace {

// A server that closes a connection the client is still writing to must fail that request, not
// kill the test binary.
const bool kIgnoreSigpipe = (signal(SIGPIPE, SIG_IGN), true);

// genre serve --port 0 in a child process; the port is read from its log.
class Server {
 public:
  explicit Server(std::vector<std::string> extra = {}) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);  // an orphan must not hold our stdout
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> args = {GENRE_BIN, "serve", "--host", "127.0.0.1", "--port", "0"};
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
  int port() const { return port_; }
  // The server's peak resident memory so far (VmHWM), in MB.
  double peak_rss_mb() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return -1;
  }
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
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

// A raw TCP connection to the server, for clients httplib's would not be: idle, half-sent,
// stalled, endless.
struct Socket {
  int fd = -1;
  explicit Socket(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~Socket() {
    if (fd >= 0) close(fd);
  }
  Socket(const Socket&) = delete;
  bool send_all(const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += size_t(n);
    }
    return true;
  }
  bool readable(int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
  }
  // What the server sent until it closed or `ms` passed.
  std::string read_reply(int ms) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!readable(50)) {
        if (out.find("\r\n\r\n") != std::string::npos) {
          // Headers are in: stop once Content-Length bytes of body are too.
          const auto h = out.find("\r\n\r\n");
          std::smatch m;
          const std::string head = out.substr(0, h);
          if (std::regex_search(head, m, std::regex("Content-Length: (\\d+)", std::regex::icase)) &&
              out.size() >= h + 4 + std::stoul(m[1]))
            break;
        }
        continue;
      }
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, size_t(n));
    }
    return out;
  }
};

int status_of(const std::string& reply) {
  std::smatch m;
  return std::regex_search(reply, m, std::regex("^HTTP/1\\.[01] (\\d{3})")) ? std::stoi(m[1]) : -1;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string features_model() { return source_dir() + "/models/genre-features.genre"; }

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
  // The server answers from the headers and closes without reading the body, so the client here
  // sends the headers and part of the body, then reads (a client still writing would get EPIPE).
  Socket k(s.port());
  ASSERT_TRUE(k.send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Length: 2097152\r\n\r\n" + std::string(1000, 'x')));
  const std::string reply = k.read_reply(5000);
  EXPECT_EQ(status_of(reply), 413) << reply;
  EXPECT_NE(reply.find("upload larger than 1 MB"), std::string::npos);
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

// Issue 11: hostile clients. The torch-free feature-table model keeps these fast.

TEST(ServerAbuse, IdleHalfSentAndStalledConnectionsDoNotDelayAClassification) {
  Server s({"--model", features_model(), "--read-timeout", "30", "--keep-alive", "30"});
  auto c = s.client();
  const std::string good = example();
  auto timed = [&] {
    const auto t = std::chrono::steady_clock::now();
    auto r = upload(c, good);
    EXPECT_TRUE(r && r->status == 200);
    return seconds_since(t);
  };
  timed();  // warm up
  double idle = 1e9;
  for (int i = 0; i < 3; ++i) idle = std::min(idle, timed());
  std::vector<std::unique_ptr<Socket>> held;
  for (int i = 0; i < 200; ++i) held.push_back(std::make_unique<Socket>(s.port()));  // send nothing
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<Socket>(s.port()));
    held.back()->send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-");
  }
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Socket>(s.port()));
    held.back()->send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nContent-Length: 5000000\r\n\r\n" +
                          std::string(10000, 'x'));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double abused = 1e9;
  for (int i = 0; i < 3; ++i) abused = std::min(abused, timed());
  std::printf("classify: %.3f s on an idle server, %.3f s with 212 hostile connections open\n", idle, abused);
  EXPECT_LT(abused, 2 * idle + 0.25) << "idle " << idle << " s";
}

TEST(ServerAbuse, ChunkedUploadOverTheLimitIs413EarlyWithBoundedMemory) {
  Server s({"--model", features_model(), "--max-upload-mb", "1"});
  Socket k(s.port());
  ASSERT_TRUE(k.send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"));
  const double before = s.peak_rss_mb();
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  size_t sent = 0;
  while (sent < (size_t(300) << 20) && !k.readable(0) && k.send_all(chunk)) sent += 0x10000;
  const std::string reply = k.read_reply(5000);
  EXPECT_EQ(status_of(reply), 413) << reply.substr(0, 300);
  EXPECT_LT(sent, size_t(32) << 20) << "the server read far past the 1 MB limit";
  EXPECT_LT(s.peak_rss_mb() - before, 20.0);
  auto ok = upload(*std::make_unique<httplib::Client>(s.client()), example());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(ServerAbuse, ContentLengthOverTheLimitIs413WithoutReadingTheBody) {
  Server s({"--model", features_model(), "--max-upload-mb", "1"});
  Socket k(s.port());
  const auto t = std::chrono::steady_clock::now();
  ASSERT_TRUE(k.send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nContent-Length: 1000000000\r\n\r\n"));
  EXPECT_EQ(status_of(k.read_reply(5000)), 413);
  EXPECT_LT(seconds_since(t), 2.0);
}

TEST(ServerAbuse, EndlessSlowUploadIsCutOff) {
  Server s({"--model", features_model(), "--upload-timeout", "2"});
  Socket k(s.port());
  ASSERT_TRUE(k.send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const auto t = std::chrono::steady_clock::now();
  while (seconds_since(t) < 10 && !k.readable(200)) k.send_all("1\r\nx\r\n");
  EXPECT_EQ(status_of(k.read_reply(2000)), 408);
  EXPECT_LT(seconds_since(t), 5.0);
}

TEST(ServerAbuse, StalledUploadIsDroppedAfterTheReadTimeout) {
  Server s({"--model", features_model(), "--read-timeout", "1"});
  Socket k(s.port());
  const auto t = std::chrono::steady_clock::now();
  ASSERT_TRUE(k.send_all("POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/ogg\r\nContent-Length: 100000\r\n\r\nxxxx"));
  const std::string reply = k.read_reply(8000);  // an error reply or a close, within the timeout
  EXPECT_LT(seconds_since(t), 4.0);
  EXPECT_TRUE(reply.empty() || status_of(reply) == 400) << reply.substr(0, 200);
}

TEST(ServerAbuse, StrictQueriesMethodsAndMediaTypes) {
  Server s({"--model", features_model()});
  auto c = s.client();
  const std::string good = example();
  for (const char* q : {"?top_k=-1", "?top_k=abc", "?top_k=0", "?top_k=11", "?top_k=2x", "?timeline=yes", "?spectrogram=2"}) {
    auto r = upload(c, good, q);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << q;
    EXPECT_TRUE(json::parse(r->body).contains("error"));
  }
  auto r3 = upload(c, good, "?top_k=10&timeline=true");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 200);
  auto options = c.Options("/api/classify");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 405);
  EXPECT_EQ(options->get_header_value("Allow"), "POST");
  auto patch = c.Patch("/healthz", "x", "text/plain");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 405);
  EXPECT_EQ(patch->get_header_value("Allow"), "GET, HEAD");
  auto text = c.Post("/api/classify", good, "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  httplib::MultipartFormDataItems items = {{"file", good, "song.ogg", "text/html"}};
  auto part = c.Post("/api/classify", items);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 415);
  // A file name that is not UTF-8 and holds a newline and a path: valid JSON, sanitised.
  httplib::MultipartFormDataItems latin1 = {{"file", good, "../dir/caf\xe9\x01song.ogg", "audio/ogg"}};
  auto named = c.Post("/api/classify", latin1);
  ASSERT_TRUE(named);
  ASSERT_EQ(named->status, 200) << named->body;
  const auto j = json::parse(named->body);
  EXPECT_EQ(j["file"], "caf\xef\xbf\xbd?song.ogg");
}

TEST(ServerAbuse, BadAudioIsRefusedQuicklyAndTheServerGoesOn) {
  Server s({"--model", features_model(), "--max-duration", "9"});
  auto c = s.client();
  TempDir dir;
  for (const auto& bad : make_bad_corpus(dir)) {
    if (bad.name == "fifo.wav" || bad.name == "empty.wav") continue;
    const auto t = std::chrono::steady_clock::now();
    auto r = upload(c, read_bytes(dir.file(bad.name)));
    ASSERT_TRUE(r) << bad.name;
    EXPECT_TRUE(r->status == 422 || r->status == 415) << bad.name << ": " << r->status << " " << r->body;
    EXPECT_NE(r->body.find(bad.reason), std::string::npos) << bad.name << ": " << r->body;
    EXPECT_LT(seconds_since(t), 5.0) << bad.name;
  }
  auto too_long = upload(c, example());  // 10 s, over --max-duration 9
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 422);
  EXPECT_NE(too_long->body.find("too long"), std::string::npos);
  EXPECT_LT(s.peak_rss_mb(), 400.0);
  EXPECT_TRUE(c.Get("/healthz"));
}

TEST(ServerAbuse, SigtermAnswersEveryQueuedRequestAndStopsWithinTheDrainTime) {
  Server s({"--model", features_model(), "--max-inflight", "1", "--drain", "2"});
  // A 2-minute clip: each classification takes a while, so the others queue behind it.
  TempDir dir;
  const std::string song = read_bytes(write_audio(dir.file("long.wav"), noise(22050 * 120, 0.2), 22050, 1,
                                                  SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  std::vector<int> status(8, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&, i] {
      auto c = s.client();
      auto r = c.Post("/api/classify", song, "audio/wav");
      status[size_t(i)] = r ? r->status : -1;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto t = std::chrono::steady_clock::now();
  std::string log;
  EXPECT_EQ(s.stop(&log), 0);
  const double stop_seconds = seconds_since(t);
  for (auto& th : clients) th.join();
  int served = 0, refused = 0;
  for (int st : status) {
    EXPECT_TRUE(st == 200 || st == 503) << st;
    served += st == 200;
    refused += st == 503;
  }
  EXPECT_EQ(served + refused, 8);
  EXPECT_GE(refused, 1);
  EXPECT_LT(stop_seconds, 2 + 6.0) << log;
}
