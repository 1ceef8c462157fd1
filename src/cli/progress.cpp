#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace genre::cli {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}


std::string format_duration(double s) {
  char buf[32];
  if (s < 0 || s != s) return "--:--";
  long t = long(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

Progress::Progress(size_t total, std::string unit, bool enabled)
    : total_(total), unit_(std::move(unit)), enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  draw();
}

Progress::~Progress() { finish(); }

void Progress::advance(size_t n) {
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  if (done_ >= total_ || now - last_draw_ > std::chrono::milliseconds(100)) {
    last_draw_ = now;
    draw();
  }
}

void Progress::set(size_t done) {
  done_ = 0;
  advance(done);
}

void Progress::set_suffix(const std::string& suffix) { suffix_ = suffix; }

void Progress::message(const std::string& line) {
  if (enabled_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  draw();
}

void Progress::draw() {
  if (!enabled_ || finished_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done_) / rate : -1.0;
  const int width = 30;
  const int filled = total_ ? int(double(width) * double(done_) / double(total_)) : width;
  std::string bar(size_t(filled), '#');
  bar.resize(size_t(width), '.');
  std::fprintf(stderr, "\r\033[K[%s] %zu/%zu %s  %.1f/s  elapsed %s  ETA %s%s", bar.c_str(), done_, total_,
               unit_.c_str(), rate, format_duration(elapsed).c_str(), format_duration(eta).c_str(), suffix_.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  draw();
  if (enabled_) std::fprintf(stderr, "\n");
  finished_ = true;
}

}  // namespace genre::cli
