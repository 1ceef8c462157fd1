#include "genre/torch_model.h"

#include <cstring>

namespace genre {

namespace {

const std::vector<std::pair<torch::ScalarType, const char*>> kDtypes = {
    {torch::kFloat32, "F32"}, {torch::kFloat64, "F64"}, {torch::kInt64, "I64"},
    {torch::kInt32, "I32"},   {torch::kUInt8, "U8"},    {torch::kBool, "BOOL"}};

std::string dtype_name(torch::ScalarType type) {
  for (const auto& [t, name] : kDtypes)
    if (t == type) return name;
  throw std::logic_error("a tensor of an unsupported dtype");
}

StoredTensor to_stored(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().cpu().contiguous();
  StoredTensor s;
  s.dtype = dtype_name(c.scalar_type());
  s.shape = c.sizes().vec();
  const auto* p = static_cast<const uint8_t*>(c.data_ptr());
  s.bytes.assign(p, p + c.numel() * int64_t(c.element_size()));
  return s;
}

void write(const std::string& path, TensorFile f, const ModelConfig& config, int64_t parameters) {
  f.meta["arch"] = config.arch;
  f.meta["model_config"] = to_json(config);
  f.meta["parameters"] = parameters;
  write_model_file(path, std::move(f));
}

}  // namespace

// Copies a stored tensor into a parameter or buffer of the same name, shape and dtype.
void load_into(torch::Tensor& target, const TensorFile& f, const std::string& name, const std::string& path) {
  const auto it = f.tensors.find(name);
  if (it == f.tensors.end())
    throw std::runtime_error(path + ": damaged model file, or one written by an older genre (no tensor " + name + ")");
  const StoredTensor& s = it->second;
  if (s.dtype != dtype_name(target.scalar_type()) || s.shape != target.sizes().vec())
    throw std::runtime_error(path + ": damaged model file (tensor " + name + " has the wrong shape or dtype)");
  torch::NoGradGuard g;
  std::memcpy(target.data_ptr(), s.bytes.data(), s.bytes.size());
}

void save_model(const std::string& path, ClassifierImpl& net, nlohmann::json meta) {
  TensorFile f{std::move(meta), {}};
  for (const auto& p : net.named_parameters()) f.tensors[p.key()] = to_stored(p.value());
  for (const auto& b : net.named_buffers()) f.tensors[b.key()] = to_stored(b.value());
  write(path, std::move(f), net.config(), count_parameters(net));
}

void save_model(const std::string& path, const XgbModel& trees, const ModelConfig& config, nlohmann::json meta) {
  TensorFile f{std::move(meta), {}};
  const auto& b = trees.bytes();
  f.tensors["xgboost_model"] = StoredTensor{"U8", {int64_t(b.size())}, b};
  f.meta["xgboost_best_round"] = trees.best_round();
  write(path, std::move(f), config, trees.best_round());
}

void LoadedModel::probabilities(const float* x, int64_t n, double* out) const {
  if (xgb) {
    const auto p = xgb->predict(x, size_t(n), size_t(config.input.size()));
    std::copy(p.begin(), p.end(), out);
    return;
  }
  network_probabilities(*net, x, n, out);
}

void network_probabilities(ClassifierImpl& net, const float* x, int64_t n, double* out) {
  c10::InferenceMode inference;  // no autograd records, no version counters: only the result is kept
  at::globalContext().setFlushDenormal(true);  // denormal activations cost about 10x (genre/pretrained.h); per thread
  const auto& s = net.config().input;
  torch::Tensor in = torch::from_blob(const_cast<float*>(x), {n, s.c, s.h, s.w}, torch::kFloat32);
  const torch::Tensor logits = net.forward(in);
  torch::Tensor p = (net.config().output == "sigmoid" ? torch::sigmoid(logits) : torch::softmax(logits, 1))
                        .to(torch::kFloat64)
                        .contiguous();
  std::memcpy(out, p.data_ptr<double>(), size_t(p.numel()) * sizeof(double));
}

ProbabilityFn LoadedModel::probability_fn() const {
  auto self = std::make_shared<LoadedModel>(*this);
  return [self](const float* x, int64_t n, double* out) { self->probabilities(x, n, out); };
}

LoadedModel load_model(const std::string& path) {
  const TensorFile f = read_model_file(path);
  LoadedModel m;
  static_cast<ModelHeader&>(m) = model_header(f.meta, path);
  if (m.config.arch == "xgboost") {
    const auto it = f.tensors.find("xgboost_model");
    if (it == f.tensors.end()) throw std::runtime_error(path + ": damaged model file (no trees)");
    m.xgb = std::make_shared<XgbModel>(XgbModel::load(it->second.bytes, m.labels.size()));
    return m;
  }
  try {
    m.net = create_model(m.config);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  for (auto& p : m.net->named_parameters()) load_into(p.value(), f, p.key(), path);
  for (auto& b : m.net->named_buffers()) load_into(b.value(), f, b.key(), path);
  m.net->eval();
  return m;
}

std::vector<std::vector<double>> LoadedModel::predict_chunks(const ClipFeatures& f, size_t batch_size) const {
  const size_t k = labels.size();
  std::vector<std::vector<double>> out;
  std::vector<double> p;
  for (size_t start = 0; start < f.count; start += batch_size) {
    const size_t n = std::min(batch_size, f.count - start);
    p.resize(n * k);
    probabilities(f.chunk(start), int64_t(n), p.data());
    for (size_t i = 0; i < n; ++i) out.emplace_back(p.begin() + long(i * k), p.begin() + long((i + 1) * k));
  }
  return out;
}

std::vector<double> LoadedModel::predict_clip(const ClipFeatures& f) const {
  const auto chunks = predict_chunks(f);
  std::vector<double> mean(labels.size(), 0.0);
  for (const auto& c : chunks)
    for (size_t k = 0; k < mean.size(); ++k) mean[k] += c[k] / double(chunks.size());
  return mean;
}

}  // namespace genre
