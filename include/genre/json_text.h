// Every JSON genre writes (predict/tag output, the server's answers, reports) goes through
// json_text: bytes that are not valid UTF-8 (a file name from a Latin-1 file system, a multipart
// filename) become U+FFFD instead of aborting the whole output.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace genre {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace genre
