// Process-level settings for programs built on libgenre (the CLI, the server, the benchmarks).
#pragma once

namespace genre {

// Keeps freed heap memory for reuse instead of returning it to the kernel after each file:
// analysing a clip allocates the same few megabyte-sized buffers every time, and with glibc's
// defaults each of them is mmap'ed, page-faulted in and unmapped again (about 10% of the time of a
// feature row). Peak memory is unchanged; memory is held at its peak between files.
void configure_allocator();

}  // namespace genre
