// logreg without torch: the same arithmetic as LogRegImpl::forward (src/models/logreg.cpp) and a
// softmax, on the weights of its model file. `genre predict` and `genre serve` use it so that the
// bundled model answers without loading libtorch (about 0.4 s of start-up on this machine).
#include <cmath>
#include <cstring>

#include "genre/model_file.h"

namespace genre {

namespace {
std::vector<float> floats(const TensorFile& f, const std::string& name, int64_t numel, const std::string& path) {
  const auto it = f.tensors.find(name);
  if (it == f.tensors.end() || it->second.dtype != "F32" || it->second.numel() != numel)
    throw std::runtime_error(path + ": damaged model file (tensor " + name + " is missing or has the wrong shape)");
  std::vector<float> v(static_cast<size_t>(numel));
  std::memcpy(v.data(), it->second.bytes.data(), v.size() * sizeof(float));
  return v;
}
}  // namespace

bool runs_without_torch(const ModelHeader& h) { return h.config.arch == "logreg" || h.config.arch == "lda"; }

ProbabilityFn native_probabilities(const TensorFile& f, const ModelHeader& h) {
  if (!runs_without_torch(h)) throw std::invalid_argument(h.path + ": genre runs " + h.config.arch + " models with torch");
  const Shape s = h.config.input;
  const int64_t d = s.size(), k = h.config.n_classes, plane = s.h * s.w;
  auto mean = floats(f, "input_mean", s.c, h.path), sd = floats(f, "input_std", s.c, h.path);
  auto w = floats(f, "classifier.weight", k * d, h.path), b = floats(f, "classifier.bias", k, h.path);
  return [=](const float* x, int64_t n, double* out) {
    std::vector<double> z(static_cast<size_t>(d)), logits(static_cast<size_t>(k));
    for (int64_t i = 0; i < n; ++i) {
      const float* xi = x + i * d;
      for (int64_t j = 0; j < d; ++j) z[size_t(j)] = (double(xi[j]) - mean[size_t(j / plane)]) / sd[size_t(j / plane)];
      double top = -INFINITY;
      for (int64_t c = 0; c < k; ++c) {
        double acc = b[size_t(c)];
        const float* wc = w.data() + c * d;
        for (int64_t j = 0; j < d; ++j) acc += double(wc[j]) * z[size_t(j)];
        logits[size_t(c)] = acc;
        top = std::max(top, acc);
      }
      double sum = 0;
      for (double& v : logits) sum += v = std::exp(v - top);
      for (int64_t c = 0; c < k; ++c) out[i * k + c] = logits[size_t(c)] / sum;
    }
  };
}

}  // namespace genre
