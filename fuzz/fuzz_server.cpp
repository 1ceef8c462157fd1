// libFuzzer harness: any bytes as what a client sends to genre serve. One server runs in this
// process (the torch-free feature-table model, short timeouts); each input is written to a fresh
// loopback connection, the write side is closed, and the reply is read until the server closes.
// The server must answer or close, never crash, and keep serving: each input ends with a health
// check that must succeed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "genre/model_file.h"
#include "genre/predict.h"
#include "genre/server.h"

namespace {

std::atomic<int> port{0};

int connect_to_server() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port.load()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // libFuzzer's SIGALRM timer (for -timeout) may interrupt connect() on this thread: EINTR means
  // the connection goes on being made, so wait for it instead of calling that a failure.
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno == EINTR) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    while ((rc = poll(&p, 1, 10000)) < 0 && errno == EINTR) {
    }
    if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) return fd;
    errno = rc == 1 ? err : ETIMEDOUT;
    rc = -1;
  }
  if (rc != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// Sends bytes, then (half_close) closes the write side so that the server sees the end at once,
// and returns what came back (within 5 s). httplib answers nothing to a half-closed client (its
// socket looks dead), so the health check keeps its side open and asks for Connection: close.
std::string exchange(const std::string& bytes, bool half_close) {
  const int fd = connect_to_server();
  if (fd < 0) {
    std::fprintf(stderr, "fuzz_server: cannot connect to the server: %s\n", std::strerror(errno));
    std::abort();
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += size_t(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, 5000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, size_t(n));
  }
  close(fd);
  return reply;
}

void start_server() {
  static const std::string model = std::string(GENRE_SOURCE_DIR) + "/models/genre-features.genre";
  static const genre::TensorFile file = genre::read_model_file(model);
  static const genre::ModelHeader header = genre::model_header(file.meta, model);
  static const genre::Predictor predictor(header, genre::native_probabilities(file, header));
  static genre::ServerOptions o;
  o.port = port;
  o.max_upload_mb = 2;
  o.read_timeout_s = 1;
  o.keep_alive_s = 1;
  o.upload_timeout_s = 5;
  o.classify_timeout_s = 5;
  o.max_duration_s = 60;
  std::thread([] { genre::serve(o, predictor); }).detach();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A free port: bind to 0 to learn one, then give it to the server.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  close(fd);
  start_server();
  for (int i = 0; i < 200; ++i) {
    const int c = connect_to_server();
    if (c >= 0) {
      close(c);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "fuzz_server: the server did not start\n");
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exchange(std::string(reinterpret_cast<const char*>(data), size), true);
  const std::string health = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
  if (health.rfind("HTTP/1.1 200", 0) != 0) {
    std::fprintf(stderr, "fuzz_server: the server stopped answering after an input\n");
    std::abort();
  }
  return 0;
}
