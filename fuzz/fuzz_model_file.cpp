// libFuzzer harness: any bytes as a model file. read_model_header and read_model_file must either
// return or throw std::runtime_error; a model they accept must build its front end, and a
// torch-free one must run on one input of its declared shape.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "genre/frontend.h"
#include "genre/model_file.h"

namespace {
// The bytes as a file: an in-memory file descriptor, opened by path like any model.
std::string as_file(const uint8_t* data, size_t size) {
  static int fd = memfd_create("model", 0);
  ftruncate(fd, 0);
  pwrite(fd, data, size, 0);
  return "/proc/self/fd/" + std::to_string(fd);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = as_file(data, size);
  try {
    const genre::ModelHeader h = genre::read_model_header(path);
    genre::FrontEnd fe(h.frontend);
    (void)fe.shape();
    const genre::TensorFile f = genre::read_model_file(path);
    if (genre::runs_without_torch(h)) {
      const auto probabilities = genre::native_probabilities(f, h);
      std::vector<float> x(size_t(h.config.input.size()), 0.5f);
      std::vector<double> out(h.labels.size());
      probabilities(x.data(), 1, out.data());
    }
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
