// Song-level splits: every item of a song lands in the same part, never chunks of one song in two.
//   stratified:80/10/10   per-label shuffle (seeded), then train/valid/test fractions (the default)
//   fault-filtered        the artist-disjoint GTZAN split (Kereliuk, Sturm & Larsen 2015), built in
//   kfold:K[:F]           K label-stratified folds; run F (0-based, default 0) tests on fold F,
//                         validates on fold F+1 (early stopping) and trains on the rest
//   FILE                  lines "<train|valid|test> <label>/<name>"; a folder with train*.txt,
//                         valid*.txt, test*.txt of "<label>/<name>" lines (the fault-filtered format)
// Songs a list-based split does not name are left out of every part.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genre/dataset.h"

namespace genre {

enum class Part { Train, Valid, Test, None };
const char* part_name(Part p);
Part parse_part(const std::string& name);  // train|valid|test; throws otherwise

struct SplitSpec {
  enum class Kind { Stratified, Lists, KFold } kind = Kind::Stratified;
  double train = 0.8, valid = 0.1, test = 0.1;  // Stratified
  std::string path;                              // Lists: file or folder
  int folds = 5, fold = 0;                       // KFold
  uint64_t seed = 42;
  std::string text;  // as given, for reports
};

// Parses the --split argument (see above). "fault-filtered" resolves to the committed lists.
SplitSpec parse_split(const std::string& text, uint64_t seed = 42);
// The committed fault-filtered lists, embedded in the binary: (part, "label/name") pairs.
const std::vector<std::pair<Part, std::string>>& fault_filtered_songs();

// The part of every item of `ds` (same order as ds.items), decided per song.
std::vector<Part> assign_parts(const Dataset& ds, const SplitSpec& spec);

}  // namespace genre
