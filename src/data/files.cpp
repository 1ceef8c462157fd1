#include "genre/files.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <new>
#include <set>
#include <utility>

#include <sys/stat.h>

#include "genre/audio.h"

namespace fs = std::filesystem;

namespace genre {

std::string printable_name(const std::string& name, size_t max_bytes) {
  std::string out = name.substr(0, max_bytes);
  for (char& c : out)
    if ((unsigned char)c < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string error_naming(const std::string& source, const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return source + ": out of memory";
  const std::string what = e.what();
  return what.rfind(source, 0) == 0 ? what : source + ": " + what;
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

std::string parent_name(const std::string& path) {
  fs::path p = fs::path(path).parent_path();
  if (p.empty()) p = fs::current_path();
  return fs::absolute(p).lexically_normal().filename().string();
}

namespace {

// Walks `dir` recursively, following symbolic links, but enters each real directory once
// (keyed by device and inode): a link to ".." or two links to each other cannot loop.
void walk(const fs::path& dir, const std::function<bool(const std::string&)>& wanted,
          std::set<std::pair<dev_t, ino_t>>& seen, std::vector<std::string>& found) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  if (!seen.insert({st.st_dev, st.st_ino}).second) return;
  std::error_code ec;
  std::vector<fs::path> subdirs;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) subdirs.push_back(it->path());
    else if (it->is_regular_file(type_ec) && wanted(it->path().string()))
      found.push_back(it->path().string());
  }
  for (const auto& sub : subdirs) walk(sub, wanted, seen, found);
}

}  // namespace

std::vector<std::string> walk_files(const std::string& dir, const std::function<bool(const std::string&)>& wanted) {
  std::vector<std::string> found;
  std::set<std::pair<dev_t, ino_t>> seen;
  walk(dir, wanted, seen, found);
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<LabeledFile> find_audio_files(const std::vector<std::string>& inputs, std::vector<std::string>* missing) {
  std::vector<LabeledFile> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      for (auto& f : walk_files(input, has_audio_extension)) out.push_back({f, parent_name(f)});
    } else if (fs::exists(input, ec)) {
      out.push_back({input, parent_name(input)});  // named explicitly: tried whatever its extension
    } else if (missing) {
      missing->push_back(input);
    } else {
      out.push_back({input, parent_name(input)});  // the decoder will report it
    }
  }
  return out;
}

}  // namespace genre
