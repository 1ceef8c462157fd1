#include "genre/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace genre {

namespace {

void fsync_path(const std::string& path, bool directory, const std::string& name) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    if (directory) return;  // some file systems do not open folders; the rename is still atomic
    throw std::runtime_error(name + ": cannot reopen to sync: " + std::strerror(errno));
  }
  const bool ok = ::fsync(fd) == 0 || (directory && (errno == EINVAL || errno == EBADF));
  const int err = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error(name + ": cannot sync to disk: " + std::strerror(err));
}

void publish(const std::string& tmp, const std::string& path) {
  fsync_path(tmp, false, path);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(err));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  fsync_path(dir.empty() ? "." : dir, true, path);
}

}  // namespace

std::string temporary_name(const std::string& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rng() % 1000000000);
}

AtomicFile::AtomicFile(std::string path, std::ios::openmode mode)
    : path_(std::move(path)), tmp_(temporary_name(path_)) {
  out_.open(tmp_, mode | std::ios::out | std::ios::trunc);
  if (!out_) throw std::runtime_error(path_ + ": cannot write: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  out_.close();
  std::remove(tmp_.c_str());
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = bool(out_);
  out_.close();
  if (!ok || out_.fail()) {
    std::remove(tmp_.c_str());
    done_ = true;
    throw std::runtime_error(path_ + ": write failed (disk full?)");
  }
  done_ = true;
  publish(tmp_, path_);
}

void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = temporary_name(path);
  try {
    write(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  publish(tmp, path);
}

}  // namespace genre
