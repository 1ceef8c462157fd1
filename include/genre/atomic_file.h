// Every file genre writes (model, checkpoint, log, plots, caches, tables, reports, embeddings)
// goes through here: written to a temporary file beside it, fsynced, renamed over the real name,
// and the folder fsynced. A crash or kill at any moment leaves either the old file or the new one,
// never a torn or empty one.
#pragma once

#include <fstream>
#include <functional>
#include <string>

namespace genre {

class AtomicFile {
 public:
  // Opens a temporary file beside path; throws std::runtime_error naming path if it cannot.
  explicit AtomicFile(std::string path, std::ios::openmode mode = std::ios::out);
  ~AtomicFile();  // not committed: the temporary is removed and path left as it was
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::ofstream& stream() { return out_; }
  // Flushes, fsyncs, renames over path and fsyncs the folder; throws naming path on failure.
  void commit();

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool done_ = false;
};

// For writers that take a file name (libpng, torch's archive writer): write(tmp) writes the
// temporary file, which is then fsynced and renamed over path.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write);

// A unique temporary name beside path (its folder, its name, the process id and a random number).
std::string temporary_name(const std::string& path);

}  // namespace genre
