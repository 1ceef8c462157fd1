#include "genre/feature_cache.h"
#include "genre/atomic_file.h"
#include "genre/audio.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace genre {

namespace {
constexpr char kMagic[4] = {'G', 'N', 'R', 'F'};
constexpr uint32_t kVersion = 1;
}  // namespace

uint64_t hash_bytes(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

FeatureCache::FeatureCache(std::string dir) : dir_(std::move(dir)) {}

std::string FeatureCache::default_dir() {
  if (const char* d = std::getenv("GENRE_CACHE_DIR")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/genre";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/genre";
  return ".genre-cache";
}

std::string FeatureCache::entry_path(const std::string& path, const std::string& fkey) const {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  std::ostringstream key;
  key << kVersion << '|' << abs.string() << '|' << size << '|' << mtime << '|' << fkey;
  const std::string k = key.str();
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.bin", static_cast<unsigned long long>(hash_bytes(k.data(), k.size())));
  return (fs::path(dir_) / name).string();
}

std::optional<ClipFeatures> FeatureCache::get(const std::string& path, const std::string& fkey) const {
  if (!enabled()) return std::nullopt;
  std::ifstream in(entry_path(path, fkey), std::ios::binary);
  if (!in) return std::nullopt;
  char magic[4];
  uint32_t version = 0;
  ClipFeatures f;
  uint64_t count = 0;
  in.read(magic, 4);
  in.read(reinterpret_cast<char*>(&version), sizeof version);
  in.read(reinterpret_cast<char*>(&f.shape), sizeof f.shape);
  in.read(reinterpret_cast<char*>(&count), sizeof count);
  if (!in || std::memcmp(magic, kMagic, 4) != 0 || version != kVersion || count > (1u << 24) || f.shape.size() <= 0)
    return std::nullopt;
  f.count = size_t(count);
  f.starts.resize(f.count);
  f.data.resize(f.count * size_t(f.shape.size()));
  in.read(reinterpret_cast<char*>(f.starts.data()), std::streamsize(f.starts.size() * sizeof(double)));
  in.read(reinterpret_cast<char*>(f.data.data()), std::streamsize(f.data.size() * sizeof(float)));
  if (!in) return std::nullopt;  // a short entry is a miss
  return f;
}

void FeatureCache::put(const std::string& path, const std::string& fkey, const ClipFeatures& f) const {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const std::string final_path = entry_path(path, fkey);
  // Several processes (ranks, parallel runs) may fill the same entry: each writes its own
  // temporary file and renames it, so an entry is always whole.
  try {
    AtomicFile file(final_path, std::ios::binary);
    std::ofstream& out = file.stream();
    const uint64_t count = f.count;
    out.write(kMagic, 4);
    out.write(reinterpret_cast<const char*>(&kVersion), sizeof kVersion);
    out.write(reinterpret_cast<const char*>(&f.shape), sizeof f.shape);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    out.write(reinterpret_cast<const char*>(f.starts.data()), std::streamsize(f.starts.size() * sizeof(double)));
    out.write(reinterpret_cast<const char*>(f.data.data()), std::streamsize(f.data.size() * sizeof(float)));
    file.commit();
  } catch (const std::exception&) {
    // The cache is an optimisation: failing to write it is not an error.
  }
}

ClipFeatures FeatureCache::load(const std::string& path, const FrontEnd& fe, bool* hit) const {
  std::vector<bool> hits;
  ClipFeatures f = std::move(load(path, std::vector<FrontEnd>{fe}, &hits)[0]);
  if (hit) *hit = hits[0];
  return f;
}

std::vector<ClipFeatures> FeatureCache::load(const std::string& path, const std::vector<FrontEnd>& fes,
                                             std::vector<bool>* hits) const {
  std::vector<ClipFeatures> out(fes.size());
  if (hits) hits->assign(fes.size(), false);
  std::vector<float> samples;
  int decoded_rate = 0;
  for (size_t i = 0; i < fes.size(); ++i) {
    const FrontEnd& fe = fes[i];
    if (auto cached = get(path, fe.key())) {
      if (hits) (*hits)[i] = true;
      out[i] = std::move(*cached);
      continue;
    }
    if (fe.params().input == InputKind::Image) {
      out[i] = fe.file(path);
    } else {
      if (decoded_rate != fe.params().sample_rate) {
        samples = load_audio(path, fe.params().sample_rate).samples;
        decoded_rate = fe.params().sample_rate;
      }
      out[i] = fe.decoded(path, samples);
    }
    put(path, fe.key(), out[i]);
  }
  return out;
}

}  // namespace genre
