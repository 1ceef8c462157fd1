// Finding audio files: folders are walked recursively, and a file's label is the name of the
// folder that holds it (the folder-per-genre layout: genres_original/<genre>/*.wav).
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace genre {

struct LabeledFile {
  std::string path;
  std::string label;  // parent folder name
};

// Expands files and folders (recursively, sorted, audio extensions only) into a list of files.
// A named path that does not exist is reported in `missing` rather than thrown.
std::vector<LabeledFile> find_audio_files(const std::vector<std::string>& inputs,
                                          std::vector<std::string>* missing = nullptr);

// Every regular file under `dir` (recursively, sorted) for which wanted(path) holds. Symbolic
// links are followed, but each real directory is entered once, so link loops cannot repeat files.
std::vector<std::string> walk_files(const std::string& dir, const std::function<bool(const std::string&)>& wanted);

// A file name made safe to print: control characters (a newline, a terminal escape) become '?',
// and at most max_bytes are kept. (Invalid UTF-8 is replaced where JSON is written: json_text.)
std::string printable_name(const std::string& name, size_t max_bytes = 4096);

// The message of an error met while working on `source`, naming it: e.what() when it already
// starts with the name (AudioError's do), else "source: what"; "source: out of memory" for bad_alloc.
std::string error_naming(const std::string& source, const std::exception& e);

std::string file_name(const std::string& path);    // "a/b/blues.00000.wav" -> "blues.00000.wav"
std::string parent_name(const std::string& path);  // "a/b/blues.00000.wav" -> "b"

}  // namespace genre
