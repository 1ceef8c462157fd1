#include "genre/runtime.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>  // defines __GLIBC__ on glibc systems
#include <filesystem>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace genre {

std::string executable_dir() {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  return n > 0 ? std::filesystem::path(std::string(exe, size_t(n))).parent_path().string() : "";
}

namespace {
std::atomic<MemoryUse> g_memory_use{MemoryUse::Batch};
}

MemoryUse memory_use() { return g_memory_use.load(std::memory_order_relaxed); }

void configure_memory(MemoryUse use) {
  g_memory_use.store(use, std::memory_order_relaxed);
#if defined(__GLIBC__)
  if (use == MemoryUse::Server) {
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    return;
  }
  // Blocks below 32 MB (glibc's largest allowed threshold; a 30 s clip's biggest buffer is 11 MB)
  // come from the heap, which is not trimmed back while less than 512 MB of it is free.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace genre
