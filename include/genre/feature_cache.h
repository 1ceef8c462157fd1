// On-disk cache of decoded features: a second training run on the same data skips decoding.
// An entry is keyed by the file's identity (absolute path, size, modification time) and every
// front-end parameter, so a changed file or setting is simply a miss. Entries are written to a
// temporary name and renamed, so concurrent writers and interrupted runs never leave torn files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "genre/frontend.h"

namespace genre {

// FNV-1a over bytes, continuing from h: the hash behind cache entry names and weight fingerprints.
constexpr uint64_t kHashSeed = 1469598103934665603ull;
uint64_t hash_bytes(const void* data, size_t n, uint64_t h = kHashSeed);

class FeatureCache {
 public:
  // dir empty: disabled (every lookup misses, nothing is written).
  explicit FeatureCache(std::string dir);
  static std::string default_dir();  // $GENRE_CACHE_DIR, else $XDG_CACHE_HOME/genre, else ~/.cache/genre

  bool enabled() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }
  std::optional<ClipFeatures> get(const std::string& path, const std::string& key) const;
  void put(const std::string& path, const std::string& key, const ClipFeatures& f) const;
  // get, or decode the file, compute and put.
  ClipFeatures load(const std::string& path, const FrontEnd& fe, bool* hit = nullptr) const;
  // The same for several front ends of one file (an original and its training copies): the file
  // is decoded once per sample rate, for the front ends that miss. hits[i]: fes[i] was cached.
  std::vector<ClipFeatures> load(const std::string& path, const std::vector<FrontEnd>& fes,
                                 std::vector<bool>* hits = nullptr) const;

 private:
  std::string entry_path(const std::string& path, const std::string& key) const;
  std::string dir_;
};

}  // namespace genre
