// Process-level settings for programs built on libgenre (the CLI, the server, the benchmarks).
#pragma once

#include <string>

namespace genre {

// The folder of the running executable (from /proc/self/exe), or "" if it cannot be read. The CLI
// finds its torch plugin and the bundled model relative to it.
std::string executable_dir();

// The number of cores to use by default (std::thread::hardware_concurrency(), at least 1).
unsigned cores();

// Batch: keeps freed heap memory for reuse instead of returning it to the kernel after each file:
// analysing a clip allocates the same few megabyte-sized buffers every time, and with glibc's
// defaults each of them is mmap'ed, page-faulted in and unmapped again (about 10% of the time of a
// feature row). Peak memory is unchanged; memory is held at its peak between files.
// Server: the opposite trade for a long-running process with a memory budget: at most two malloc
// arenas, and freed memory goes back to the kernel.
enum class AllocatorUse { Batch, Server };
void configure_allocator(AllocatorUse use = AllocatorUse::Batch);

}  // namespace genre
