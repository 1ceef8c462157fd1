// Finding audio files: folders are walked recursively, and a file's label is the name of the
// folder that holds it (the folder-per-genre layout: genres_original/<genre>/*.wav).
#pragma once

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

std::string file_name(const std::string& path);    // "a/b/blues.00000.wav" -> "blues.00000.wav"
std::string parent_name(const std::string& path);  // "a/b/blues.00000.wav" -> "b"

}  // namespace genre
