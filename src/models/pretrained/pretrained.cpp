// Loading the pretrained taggers' upstream weights, and backbones for transfer learning.
#include "genre/pretrained.h"
#include "genre/feature_cache.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "genre/mel.h"
#include "genre/spectrum.h"
#include "genre/version.h"

namespace fs = std::filesystem;

namespace genre {

FrontEndParams tagger_frontend(double chunk_seconds, double hop) {
  FrontEndParams p;
  p.input = InputKind::Mel;
  p.sample_rate = 16000;
  p.n_fft = 512;
  p.hop_length = 256;
  p.n_mels = 96;
  p.mel_htk = true;
  p.mel_slaney_norm = false;
  p.top_db = 0;  // AmplitudeToDB(top_db=None)
  p.chunk_seconds = chunk_seconds;
  p.chunk_hop = hop;
  p.loop_short = true;
  return p;
}

FrontEndParams essentia_frontend() {
  FrontEndParams p = tagger_frontend(3.0, 93.0 * 256 / 16000);  // 16 kHz, n_fft 512, hop 256, 96 bands, looped
  p.mel_htk = false;  // Slaney scale and norm (librosa.filters.mel(sr=16000, n_fft=512, n_mels=96))
  p.mel_slaney_norm = true;
  p.window_symmetric = true;
  p.pad_zeros = true;
  p.log_scale = 10000;
  return p;
}

bool is_essentia_arch(const std::string& arch) { return arch.rfind("essentia-", 0) == 0; }

torch::Tensor essentia_patches(const torch::Tensor& x, const std::function<torch::Tensor(const torch::Tensor&)>& embed) {
  const int64_t n = x.size(0), k = x.size(3) / kEssentiaPatchFrames;
  const torch::Tensor patches = x.narrow(3, 0, k * kEssentiaPatchFrames)
                                    .reshape({n, 96, k, kEssentiaPatchFrames})
                                    .permute({0, 2, 3, 1})
                                    .reshape({n * k, 1, kEssentiaPatchFrames, 96});
  const torch::Tensor e = embed(patches);
  return e.reshape({n, k, e.size(1)}).mean(1);
}

FrontEndParams backbone_frontend(const std::vector<std::string>& archs, double hop) {
  size_t essentia = 0;
  for (const auto& a : archs) essentia += is_essentia_arch(a);
  if (essentia == 0) return tagger_frontend(29.0, hop > 0 ? hop : 14.5);
  if (essentia < archs.size())
    throw std::invalid_argument("backbones: Essentia's taggers (3 s log10 patches) and the MIT taggers (29 s dB windows) "
                                "have different front ends and cannot be stacked");
  if (hop > 0) throw std::invalid_argument("backbones: Essentia's taggers step by their own patch hop (1.488 s): no --hop");
  return essentia_frontend();
}

namespace {

std::string arch_of(const std::string& name) {
  for (const char* a : {"musicnn", "crnn", "fcn"})
    if (name.size() >= std::strlen(a) && name.compare(name.size() - std::strlen(a), std::string::npos, a) == 0) return a;
  throw std::runtime_error(name + ": not a pretrained tagger folder (its name ends in fcn, crnn or musicnn)");
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

const StoredTensor& tensor(const TensorFile& f, const std::string& name, const std::string& path) {
  const auto it = f.tensors.find(name);
  if (it == f.tensors.end()) throw std::runtime_error(path + ": no tensor " + name);
  return it->second;
}

// The stored window and filter bank must be the ones genre's tagger front end runs on
// (genre/mel.h: tagger_window, tagger_mel_bank), value for value.
void check_frontend_buffers(const TensorFile& f, const std::string& path) {
  const StoredTensor& w = tensor(f, "spec.spectrogram.window", path);
  const StoredTensor& fb = tensor(f, "spec.mel_scale.fb", path);
  const FrontEndParams p = tagger_frontend();
  if (w.dtype != "F32" || w.numel() != int64_t(p.n_fft) || fb.dtype != "F32" ||
      fb.shape != std::vector<int64_t>{int64_t(p.n_fft / 2 + 1), int64_t(p.n_mels)})
    throw std::runtime_error(path + ": the front-end buffers are not a 512-point window and a 257 x 96 filter bank");
  const auto* wv = reinterpret_cast<const float*>(w.bytes.data());
  const auto& window = *tagger_window();
  for (size_t i = 0; i < p.n_fft; ++i)
    if (double(wv[i]) != window[i]) throw std::runtime_error(path + ": the stored window is not the taggers' window");
  const Matrix ours = tagger_mel_bank().dense();  // n_mels x bins
  const auto* fv = reinterpret_cast<const float*>(fb.bytes.data());
  for (size_t k = 0; k < ours.cols; ++k)
    for (size_t m = 0; m < ours.rows; ++m)
      if (fv[k * ours.rows + m] != ours(m, k))
        throw std::runtime_error(path + ": the stored mel filter bank is not the taggers' bank");
}

void copy_state(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard g;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
  auto srcb = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(srcb[b.key()]);
}

}  // namespace

LoadedModel load_pretrained(const std::string& dir, const std::string& layer) {
  const std::string name = fs::path(dir).lexically_normal().filename().string().empty()
                               ? fs::path(dir).lexically_normal().parent_path().filename().string()
                               : fs::path(dir).lexically_normal().filename().string();
  const std::string weights = (fs::path(dir) / "weights.safetensors").string();
  const TensorFile f = read_safetensors(weights);
  // Essentia's ports are known by their tensors (their front end is outside the network); the MIT
  // taggers by their name, and their stored front-end buffers must be genre's.
  std::string arch = f.tensors.count("timbral1.weight") ? "essentia-musicnn" : f.tensors.count("convs.0.weight") ? "essentia-vgg" : arch_of(name);
  const bool essentia = is_essentia_arch(arch);
  if (!essentia) check_frontend_buffers(f, weights);
  LoadedModel m;
  m.path = dir;
  m.labels = read_lines((fs::path(dir) / "tags.txt").string());
  if (!layer.empty()) {
    if (layer != "pool" || arch != "musicnn")
      throw std::runtime_error(name + ":" + layer + ": no such embedding layer (musicnn taggers have ':pool')");
    arch = "musicnn-pool";
  }
  m.frontend = find_model(arch).frontend();  // the registry's: 3 s windows for musicnn, 29 s for fcn and crnn
  m.config = {arch, FrontEnd(m.frontend).shape(), int64_t(m.labels.size()), 0.5, "sigmoid", {}, ""};
  m.net = create_model(m.config);
  // Upstream names, but no input standardisation (the model's own spec_bn does that).
  for (auto& p : m.net->named_parameters()) load_into(p.value(), f, p.key(), weights);
  for (auto& b : m.net->named_buffers())
    if (b.key() != "input_mean" && b.key() != "input_std") load_into(b.value(), f, b.key(), weights);
  m.net->eval();
  int64_t n = 0;
  for (const auto& p : m.net->parameters()) n += p.numel();
  m.parameters = n;
  m.meta = {{"labels", m.labels}, {"frontend", to_json(m.frontend)}, {"description", "pretrained tagger " + name + (layer.empty() ? "" : ":" + layer)},
            {"pretrained", {{"name", name}, {"licence", essentia ? "CC BY-NC-SA 4.0 (for comparison only: do not ship)" : "MIT"},
                            {"source", essentia ? "MTG Essentia msd-" + arch.substr(9) + "-1, PyTorch port" : "minzwon/sota-music-tagging-models"}}}};
  return m;
}

std::string find_pretrained(const std::string& name) {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("GENRE_WEIGHTS_DIR")) roots.emplace_back(env);
  for (fs::path d = fs::current_path();; d = d.parent_path()) {
    roots.push_back(d / "shared" / "weights");
    if (d == d.parent_path()) break;
  }
  roots.push_back(fs::path(GENRE_SOURCE_TREE).parent_path() / "shared" / "weights");
  for (const auto& r : roots)
    if (fs::is_regular_file(r / name / "weights.safetensors")) return (r / name).string();
  return "";
}

namespace {
// The weightless narrowband detector (bandwidth.cpp), named as a backbone.
LoadedModel bandwidth_detector() {
  LoadedModel m;
  m.frontend = tagger_frontend();
  m.labels = {"narrowband"};
  m.config = {"bandwidth", FrontEnd(m.frontend).shape(), 1, 0.0, "sigmoid", {}, ""};
  m.net = create_model(m.config);
  m.net->eval();
  m.meta = {{"labels", m.labels}, {"frontend", to_json(m.frontend)}, {"description", "narrowband detector"}};
  return m;
}

LoadedModel load_one(const std::string& spec) {
  if (spec == "bandwidth") return bandwidth_detector();
  if (fs::is_regular_file(spec)) return load_model(spec);
  if (fs::is_regular_file(fs::path(spec) / "weights.safetensors")) return load_pretrained(spec);
  // NAME:LAYER picks another embedding layer of a pretrained tagger (jamendo-musicnn:pool).
  const size_t colon = spec.rfind(':');
  const std::string name = colon == std::string::npos ? spec : spec.substr(0, colon);
  const std::string layer = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (fs::is_regular_file(fs::path(name) / "weights.safetensors")) return load_pretrained(name, layer);
  const std::string dir = find_pretrained(name);
  if (dir.empty())
    throw std::runtime_error(spec + ": no such model file or pretrained tagger (set GENRE_WEIGHTS_DIR to the folder of "
                                    "msd-fcn, msd-crnn, jamendo-musicnn, ...)");
  return load_pretrained(dir, layer);
}
}  // namespace

namespace {
// Backbones of taggers and of transfer models (their backbones only) as one frozen stack, whose
// embedding is their embeddings concatenated.
Classifier stack_backbones(const std::vector<const LoadedModel*>& parts, std::vector<std::string>* archs_out) {
  std::vector<std::string> archs;
  for (const auto* part : parts) {
    const auto& c = part->config;
    if (c.arch == "transfer") archs.insert(archs.end(), c.backbones.begin(), c.backbones.end());
    else archs.push_back(c.arch);
  }
  const FrontEnd fe(backbone_frontend(archs));
  ModelConfig cfg{"transfer", fe.shape(), 1, 0.0, "softmax", archs, ""};
  Classifier stack = create_model(cfg);
  auto& list = *stack->named_children()["backbones"]->as<torch::nn::ModuleList>();
  size_t i = 0;
  for (const auto* part : parts) {
    if (part->config.arch == "transfer") {
      auto& inner = *part->net->named_children()["backbones"]->as<torch::nn::ModuleList>();
      for (size_t k = 0; k < inner.size(); ++k) copy_state(*inner[k], *list[i++]);
    } else {
      copy_state(*part->net, *list[i++]);
    }
  }
  stack->eval();
  if (archs_out) *archs_out = archs;
  return stack;
}
}  // namespace

Classifier load_backbone(const std::string& spec, std::vector<std::string>* archs_out, bool bandwidth_last) {
  std::vector<LoadedModel> parts;
  for (size_t a = 0; a <= spec.size();) {
    size_t b = spec.find(',', a);
    if (b == std::string::npos) b = spec.size();
    if (b > a) parts.push_back(load_one(spec.substr(a, b - a)));
    a = b + 1;
  }
  if (parts.empty()) throw std::runtime_error("--backbone: no backbone named");
  if (bandwidth_last) {
    const ModelConfig& c = parts.back().config;
    const std::string& last = c.arch == "transfer" ? c.backbones.back() : c.arch;  // a transfer model's own backbones
    if (last != "bandwidth") parts.push_back(bandwidth_detector());
  }
  std::vector<const LoadedModel*> ptrs;
  for (const auto& p : parts) ptrs.push_back(&p);
  return stack_backbones(ptrs, archs_out);
}

std::optional<TransferParts> transfer_parts(const LoadedModel& m) {
  if (!m.net || m.config.arch != "transfer" || m.config.head.empty()) return std::nullopt;
  // A fine-tuned transfer model may standardise its input before the backbones: not split then.
  for (const auto& b : m.net->named_buffers(/*recurse=*/false)) {
    if (b.key() == "input_mean" && !b.value().eq(0).all().item<bool>()) return std::nullopt;
    if (b.key() == "input_std" && !b.value().eq(1).all().item<bool>()) return std::nullopt;
  }
  std::vector<std::string> archs;
  Classifier stack = stack_backbones({&m}, &archs);
  if (!(stack->config().input == m.config.input)) return std::nullopt;
  auto head = std::dynamic_pointer_cast<ClassifierImpl>(m.net->named_children()["head"]);
  if (!head) return std::nullopt;
  head->eval();
  TransferParts t;
  t.embedder = backbone_embedder(stack, backbone_key(archs, *stack));
  t.head = [head](const float* x, int64_t n, double* out) { network_probabilities(*head, x, n, out); };
  return t;
}

namespace {
struct BackboneEmbedder : Embedder {
  BackboneEmbedder(Classifier net, std::string key) : net_(std::move(net)), key_(std::move(key)) {}
  int64_t size() const override { return net_->embedding_size(); }
  std::string key() const override { return key_; }
  void embed(const float* x, int64_t n, float* out) const override {
    torch::NoGradGuard g;
    // The taggers' activations underflow to denormals, which cost this CPU about 10x (measured on
    // CRNN: 4.3 s -> 0.37 s a window); the flag is per thread.
    at::globalContext().setFlushDenormal(true);
    const auto& s = net_->config().input;
    const torch::Tensor in = torch::from_blob(const_cast<float*>(x), {n, s.c, s.h, s.w}, torch::kFloat32);
    const torch::Tensor e = net_->embedding(in).contiguous();
    std::memcpy(out, e.data_ptr<float>(), size_t(e.numel()) * sizeof(float));
  }
  Classifier net_;
  std::string key_;
};
}  // namespace

std::string backbone_key(const std::vector<std::string>& archs, torch::nn::Module& m) {
  // The embeddings depend on the architectures and every weight and buffer, not on how the
  // backbone was named (a zoo name, a weights file, a trained model): hash exactly those bytes.
  std::string key;
  for (const auto& a : archs) key += (key.empty() ? "" : ",") + a;
  uint64_t h = kHashSeed;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    h = hash_bytes(name.data(), name.size(), h);
    h = hash_bytes(c.data_ptr(), size_t(c.nbytes()), h);
  };
  for (const auto& p : m.named_parameters()) add(p.key(), p.value());
  for (const auto& b : m.named_buffers()) add(b.key(), b.value());
  char s[24];
  std::snprintf(s, sizeof s, " %016llx", static_cast<unsigned long long>(h));
  return key + s;
}

std::shared_ptr<const Embedder> backbone_embedder(Classifier backbone, const std::string& key) {
  backbone->eval();
  return std::make_shared<BackboneEmbedder>(std::move(backbone), key);
}

Classifier make_transfer(Classifier backbone, const std::vector<std::string>& archs, Classifier head, int64_t n_classes) {
  ModelConfig cfg{"transfer", backbone->config().input, n_classes, head->config().dropout, "softmax", archs,
                  head->config().arch};
  Classifier m = create_model(cfg);
  auto& to = *m->named_children()["backbones"]->as<torch::nn::ModuleList>();
  auto& from = *backbone->named_children()["backbones"]->as<torch::nn::ModuleList>();
  for (size_t i = 0; i < to.size(); ++i) copy_state(*from[i], *to[i]);
  copy_state(*head, *m->named_children()["head"]);
  m->eval();
  return m;
}

}  // namespace genre
