// A labelled collection: one folder per label (GTZAN's genres_original/<genre>/*.wav, the original
// genres/<genre>/*.au, the Kaggle images_original/<genre>/*.png, or any such tree), or a features
// table (features_30_sec.csv format). Every item knows its song, so that splits never divide a song.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace genre {

enum class SourceKind { Audio, Image, Table };

struct Item {
  std::string path;   // file (audio, image); for a table, the table's path
  std::string label;
  std::string song;   // "<label>/<stem>", e.g. "jazz/jazz.00054"; images blues00012.png -> "blues/blues.00012"
  size_t row = 0;     // table row (Table sources)
  size_t source = 0;  // which folder of a comma list (Dataset::sources) the file came from
};

struct Dataset {
  SourceKind kind = SourceKind::Audio;
  std::string root;
  std::vector<std::string> sources;  // the folders (or table) it was read from: one, or a comma list's
  std::vector<std::string> labels;  // sorted
  std::vector<Item> items;          // sorted by song
  // Table sources: the feature values of each item, and the column names.
  std::vector<std::vector<float>> table;
  std::vector<std::string> columns;

  int label_index(const std::string& label) const;  // -1 if unknown
  std::vector<std::string> songs() const;            // distinct, sorted
};

// Scans `path`: a .csv file is a features table; a folder holds one sub-folder per label (searched
// recursively for audio or .png files). A folder that instead contains genres_original/, genres/
// or images_original/ is entered. A comma list of such folders is one dataset. `kind` Audio or Image picks the files; Table needs a .csv.
Dataset load_dataset(const std::string& path, SourceKind kind);

// "blues.00012.wav" / "blues00012.png" / "blues.00012" in folder "blues" -> "blues/blues.00012".
std::string song_id(const std::string& label, const std::string& file_name);

}  // namespace genre
