#include "genre/files.h"

#include <algorithm>
#include <filesystem>

#include "genre/audio.h"

namespace fs = std::filesystem;

namespace genre {

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

std::string parent_name(const std::string& path) {
  fs::path p = fs::path(path).parent_path();
  if (p.empty()) p = fs::current_path();
  return fs::absolute(p).lexically_normal().filename().string();
}

std::vector<LabeledFile> find_audio_files(const std::vector<std::string>& inputs, std::vector<std::string>* missing) {
  std::vector<LabeledFile> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::follow_directory_symlink |
                                                                  fs::directory_options::skip_permission_denied,
                                                      ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec) && has_audio_extension(it->path().string())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) out.push_back({f, parent_name(f)});
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
