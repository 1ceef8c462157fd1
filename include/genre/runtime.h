// Process-level settings for programs built on libgenre (the CLI, the server, the benchmarks).
#pragma once

#include <string>

namespace genre {

// The folder of the running executable (from /proc/self/exe), or "" if it cannot be read. The CLI
// finds its torch plugin and the bundled model relative to it.
std::string executable_dir();

// The number of cores to use by default (std::thread::hardware_concurrency(), at least 1).
unsigned cores();

// How this process uses memory; set once at start-up (the CLI: Server for `genre serve`, Batch for
// every other command). Before configure_memory is called, memory_use() is Batch.
// Batch: keeps freed heap memory for reuse instead of returning it to the kernel after each file:
// analysing a clip allocates the same few megabyte-sized buffers every time, and with glibc's
// defaults each of them is mmap'ed, page-faulted in and unmapped again (about 10% of the time of a
// feature row). Peak memory is unchanged; memory is held at its peak between files. The pretrained
// taggers run their first layers in larger pieces (faster, more memory per classification).
// Server: the opposite trade for a long-running process with a memory budget: at most two malloc
// arenas, freed memory goes back to the kernel, and the taggers run in small pieces (src/models/
// pretrained/blocks.h), so that several classifications in flight stay within the budget.
enum class MemoryUse { Batch, Server };
void configure_memory(MemoryUse use = MemoryUse::Batch);
MemoryUse memory_use();

}  // namespace genre
