// Load benchmark for genre serve (loopback only, bounded): N client threads post a clip to
// /api/classify for a fixed time; prints requests/s, p50/p99 latency, errors, and the server's
// peak resident memory (VmHWM from /proc). Usage:
//   load_serve PORT SERVER_PID CLIP [CLIENTS=8] [SECONDS=60] [PATH=/api/classify]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

static long peak_rss_kb(const std::string& pid) {
  std::ifstream f("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: load_serve PORT SERVER_PID CLIP [CLIENTS] [SECONDS] [PATH]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string pid = argv[2];
  std::ifstream in(argv[3], std::ios::binary);
  const std::string clip((std::istreambuf_iterator<char>(in)), {});
  const int clients = argc > 4 ? std::atoi(argv[4]) : 8;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 60;
  const std::string path = argc > 6 ? argv[6] : "/api/classify";
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::mutex m;
  std::vector<double> latencies;
  std::atomic<long> errors{0};
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(120, 0);
      while (std::chrono::steady_clock::now() < end) {
        const auto s = std::chrono::steady_clock::now();
        httplib::Result r = path == "/healthz" ? c.Get(path.c_str())
                                               : c.Post(path.c_str(), httplib::MultipartFormDataItems{{"file", clip, "clip", "audio/flac"}});
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
        if (!r || r->status != 200) errors++;
        std::lock_guard<std::mutex> lock(m);
        latencies.push_back(ms);
      }
    });
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(latencies.begin(), latencies.end());
  auto q = [&](double p) { return latencies.empty() ? 0.0 : latencies[size_t(p * double(latencies.size() - 1))]; };
  std::printf("%s: %d clients, %.0f s: %zu requests, %.2f requests/s, p50 %.1f ms, p99 %.1f ms, errors %ld, server peak RSS %.1f MB\n",
              path.c_str(), clients, wall, latencies.size(), double(latencies.size()) / wall, q(0.5), q(0.99),
              errors.load(), double(peak_rss_kb(pid)) / 1024.0);
  return errors.load() ? 1 : 0;
}
