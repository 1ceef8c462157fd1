// A progress bar with rate and ETA on stderr. Drawn only when stderr is a terminal (logs and
// pipes stay clean); messages printed through it never tear the bar.
#pragma once

#include <chrono>
#include <string>

namespace genre::cli {

// A CSV cell: quoted (with doubled quotes) when it holds a comma, quote or newline.
std::string csv_cell(const std::string& s);

class Progress {
 public:
  Progress(size_t total, std::string unit = "files", bool enabled = true);
  ~Progress();
  void advance(size_t n = 1);
  void set(size_t done);                      // absolute position
  void set_suffix(const std::string& suffix);  // extra text after the bar (e.g. loss and accuracy)
  void message(const std::string& line);  // a line on stderr above the bar
  void finish();

 private:
  void draw();
  size_t total_, done_ = 0;
  std::string unit_, suffix_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);

}  // namespace genre::cli
