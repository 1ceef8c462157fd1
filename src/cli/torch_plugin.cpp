#include "torch_plugin.h"

#include "genre/ensemble.h"
#include "genre/runtime.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <vector>

namespace fs = std::filesystem;

namespace genre::cli {

namespace {
// The placeholders in torch-unused/ beside the plugin (CMakeLists.txt, cmake/torch_unused.sh), or
// in $GENRE_TORCH_UNUSED_DIR (empty: none), opened before the plugin: each has the soname of a
// library libtorch is linked against but never calls, so the dynamic loader does not load the real
// one. Their handles, to close if the plugin does not load with them.
std::vector<void*> open_placeholders(const fs::path& plugin) {
  fs::path dir = plugin.parent_path() / "torch-unused";
  if (const char* env = std::getenv("GENRE_TORCH_UNUSED_DIR")) dir = env;
  std::vector<void*> handles;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return handles;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec) || entry.path().filename().string().find(".so") == std::string::npos) continue;
    if (void* h = dlopen(entry.path().c_str(), RTLD_NOW | RTLD_LOCAL)) handles.push_back(h);
  }
  return handles;
}

// dlopen with the placeholders; if the plugin does not load with them (a library that some part of
// libtorch does call after all), closes them and loads it with everything, saying so on stderr.
void* open_plugin(const std::string& path) {
  std::vector<void*> placeholders = open_placeholders(path);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle || placeholders.empty()) return handle;
  const std::string why = dlerror();
  for (void* h : placeholders) dlclose(h);
  handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle)
    std::fprintf(stderr, "genre: note: %s did not load without libtorch's unused libraries (%s); loaded them all\n",
                 path.c_str(), why.c_str());
  return handle;
}

const TorchPlugin* load_plugin() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("GENRE_TORCH_PLUGIN")) candidates.push_back(env);
  if (const std::string exe_dir = executable_dir(); !exe_dir.empty()) {
    const fs::path dir = exe_dir;
    candidates.push_back((dir / "libgenre_torch.so").string());
    candidates.push_back((dir.parent_path() / "lib" / "genre" / "libgenre_torch.so").string());
  }
  std::string errors;
  for (const auto& path : candidates) {
    if (!fs::exists(path)) continue;
    void* handle = open_plugin(path);
    if (!handle) {
      errors += std::string("; ") + dlerror();
      continue;
    }
    using Entry = const TorchPlugin* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "genre_torch_plugin"));
    if (entry) return entry();
    errors += "; " + path + ": no genre_torch_plugin";
  }
  throw std::runtime_error("cannot load libgenre_torch.so, which the torch commands and models need" +
                           (errors.empty() ? std::string(" (not found beside the genre executable)") : errors));
}
}  // namespace

const TorchPlugin& torch_plugin() {
  static std::once_flag once;
  static const TorchPlugin* plugin = nullptr;
  std::call_once(once, [] { plugin = load_plugin(); });
  return *plugin;
}

namespace {
Predictor open_predictor(ModelHeader header, int threads, bool background) {
  const std::string path = header.path;
  if (is_ensemble(header)) {
    std::vector<Predictor> members;
    std::vector<double> weights;
    for (auto& m : ensemble_members(header)) {
      members.push_back(open_predictor(std::move(m.header), threads, background));
      weights.push_back(m.weight);
    }
    return Predictor(std::move(header), std::move(members), std::move(weights));
  }
  if (runs_without_torch(header)) {
    ProbabilityFn native = native_probabilities(read_model_file(path), header);
    return Predictor(std::move(header), std::move(native));
  }
  if (!background) return Predictor(std::move(header), torch_plugin().load_probabilities(path, threads));
  auto loading = std::async(std::launch::async, [path, threads] {
                   return torch_plugin().load_probabilities(path, threads);
                 }).share();
  return Predictor(std::move(header), [loading](const float* x, int64_t n, double* out) {
    ProbabilityFn probabilities;
    try {
      probabilities = loading.get();
    } catch (const std::exception& e) {
      throw ModelError(e.what());
    }
    probabilities(x, n, out);
  });
}
}  // namespace

Predictor open_predictor(const std::string& path, int threads, bool background) {
  return open_predictor(read_model_header(path), threads, background);
}

}  // namespace genre::cli
