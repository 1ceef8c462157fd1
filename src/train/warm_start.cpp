// Starting a zoo model from pretrained weights (--pretrained) with some of its layers frozen
// (--freeze): see genre/warm_start.h.
#include "genre/warm_start.h"

#include <cstring>
#include <set>

#include "genre/torch_model.h"

namespace genre {

namespace {

// The file's tensor for a model tensor: the same name, a Keras name with '/' (SqueezeNet), or
// for "classifier" the ImageNet classifier of Keras MobileNet (conv_preds), ResNet (fc),
// MobileNetV2 and EfficientNet (classifier.1).
const StoredTensor* find_tensor(const TensorFile& f, const std::string& name) {
  auto it = f.tensors.find(name);
  if (it != f.tensors.end()) return &it->second;
  const auto dot = name.find('.');
  if (dot != std::string::npos && name.find('.', dot + 1) != std::string::npos) {
    std::string slash = name;
    slash[dot] = '/';
    if ((it = f.tensors.find(slash)) != f.tensors.end()) return &it->second;
  }
  if (name.rfind("classifier.", 0) == 0 && name.find('.', 11) == std::string::npos)
    for (const char* alias : {"conv_preds.", "fc.", "classifier.1."})
      if ((it = f.tensors.find(alias + name.substr(11))) != f.tensors.end()) return &it->second;
  return nullptr;
}

std::string file_name_of(const TensorFile& f, const StoredTensor* t) {
  for (const auto& [k, v] : f.tensors)
    if (&v == t) return k;
  return "";
}

}  // namespace

PretrainedLoad load_pretrained_weights(ClassifierImpl& net, const std::string& path) {
  const TensorFile f = read_safetensors(path);
  PretrainedLoad r;
  std::set<std::string> used;
  torch::NoGradGuard g;
  auto take = [&](const std::string& name, torch::Tensor t) {
    if (name == "input_mean" || name == "input_std") return;  // the data's statistics, never the pretraining's
    const StoredTensor* s = find_tensor(f, name);
    if (!s || s->dtype != "F32" || t.scalar_type() != torch::kFloat32) {
      r.kept.push_back(name);
      return;
    }
    const auto* data = reinterpret_cast<const float*>(s->bytes.data());
    const auto shape = t.sizes().vec();
    if (s->shape == shape || (s->numel() == t.numel() && name.rfind("classifier.", 0) == 0 && s->shape.size() == 4)) {
      std::memcpy(t.data_ptr(), data, s->bytes.size());
    } else if (s->shape.size() == 4 && shape.size() == 4 && s->shape[1] == 3 && shape[1] == 1 && s->shape[0] == shape[0] &&
               s->shape[2] == shape[2] && s->shape[3] == shape[3]) {
      // A first convolution for RGB into a one-channel model: summed over the colour channels.
      t.copy_(torch::from_blob(const_cast<float*>(data), s->shape, torch::kFloat32).sum(1, true));
    } else {
      r.kept.push_back(name);
      return;
    }
    r.loaded.push_back(name);
    used.insert(file_name_of(f, s));
  };
  for (auto& p : net.named_parameters()) take(p.key(), p.value());
  for (auto& b : net.named_buffers())
    if (b.value().is_floating_point()) take(b.key(), b.value());  // BN's num_batches_tracked is not in Keras files
  for (const auto& [k, v] : f.tensors)
    if (!used.count(k)) r.unused.push_back(k);
  if (r.loaded.empty())
    throw std::runtime_error(path + ": no tensor matches the model '" + net.config().arch + "' (names or shapes differ)");
  return r;
}

bool is_head_parameter(const std::string& name) { return name.rfind("classifier.", 0) == 0; }

std::vector<std::shared_ptr<torch::nn::Module>> freeze_layers(ClassifierImpl& net, const std::string& spec) {
  std::vector<std::shared_ptr<torch::nn::Module>> frozen;
  if (spec.empty()) return frozen;
  // The layers that hold parameters, in registration (= forward) order, with their names.
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> layers;
  for (const auto& m : net.named_modules("", false))
    if (!m.value()->named_parameters(false).is_empty()) layers.emplace_back(m.key(), m.value());
  size_t n = 0;
  if (spec == "backbone") {
    bool has_head = false;
    for (const auto& [name, m] : layers) has_head |= is_head_parameter(name + ".");
    if (!has_head) throw std::invalid_argument("--freeze backbone: model '" + net.config().arch + "' has no classifier layer");
    while (n < layers.size() && !is_head_parameter(layers[n].first + ".")) ++n;
  } else {
    char* end = nullptr;
    const long v = std::strtol(spec.c_str(), &end, 10);
    if (spec.empty() || *end != '\0' || v < 0)
      throw std::invalid_argument("--freeze '" + spec + "': give 'backbone' or a number of layers");
    if (size_t(v) > layers.size())
      throw std::invalid_argument("--freeze " + spec + ": model '" + net.config().arch + "' has " +
                                  std::to_string(layers.size()) + " layers with parameters");
    n = size_t(v);
  }
  for (size_t i = 0; i < n; ++i) {
    for (auto& p : layers[i].second->parameters(false)) p.set_requires_grad(false);
    frozen.push_back(layers[i].second);
  }
  return frozen;
}

}  // namespace genre
