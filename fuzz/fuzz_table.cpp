// libFuzzer harness: any bytes as a features table (features_30_sec.csv format), read as
// `genre train --data` and `genre evaluate --data` read it. It must load or throw
// std::runtime_error naming the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "genre/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int fd = memfd_create("table", 0);
  ftruncate(fd, 0);
  pwrite(fd, data, size, 0);
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const genre::Dataset ds = genre::load_dataset(path, genre::SourceKind::Table);
    for (const auto& it : ds.items) (void)ds.table.at(it.row);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
