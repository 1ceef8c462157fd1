#include "genre/model_file.h"

#include <filesystem>
#include <fstream>

#include "genre/version.h"

namespace genre {

namespace {
constexpr const char* kMetaKey = "genre_meta";
constexpr int kFormatVersion = 1;
}  // namespace

nlohmann::json to_json(const FrontEndParams& p) {
  return {{"input", input_name(p.input)}, {"sample_rate", p.sample_rate}, {"n_fft", p.n_fft},
          {"hop_length", p.hop_length},  {"n_mels", p.n_mels},           {"n_mfcc", p.n_mfcc},
          {"stft_n_fft", p.stft_n_fft},  {"top_db", p.top_db},           {"chunk_seconds", p.chunk_seconds},
          {"chunk_hop", p.chunk_hop},    {"trim_silence", p.trim_silence}, {"image_scale", p.image_scale}};
}

FrontEndParams frontend_from_json(const nlohmann::json& j) {
  FrontEndParams p;
  p.input = parse_input(j.at("input").get<std::string>());
  p.sample_rate = j.value("sample_rate", p.sample_rate);
  p.n_fft = j.value("n_fft", p.n_fft);
  p.hop_length = j.value("hop_length", p.hop_length);
  p.n_mels = j.value("n_mels", p.n_mels);
  p.n_mfcc = j.value("n_mfcc", p.n_mfcc);
  p.stft_n_fft = j.value("stft_n_fft", p.stft_n_fft);
  p.top_db = j.value("top_db", p.top_db);
  p.chunk_seconds = j.value("chunk_seconds", p.chunk_seconds);
  p.chunk_hop = j.value("chunk_hop", p.chunk_hop);
  p.trim_silence = j.value("trim_silence", p.trim_silence);
  p.image_scale = j.value("image_scale", p.image_scale);
  return p;
}

nlohmann::json to_json(const ModelConfig& c) {
  return {{"arch", c.arch}, {"input", {c.input.c, c.input.h, c.input.w}}, {"n_classes", c.n_classes}, {"dropout", c.dropout}};
}

ModelConfig model_config_from_json(const nlohmann::json& j) {
  ModelConfig c;
  c.arch = j.at("arch").get<std::string>();
  auto in = j.at("input");
  c.input = {in.at(0).get<int64_t>(), in.at(1).get<int64_t>(), in.at(2).get<int64_t>()};
  c.n_classes = j.at("n_classes").get<int64_t>();
  c.dropout = j.value("dropout", c.dropout);
  return c;
}

namespace {
void write_archive(const std::string& path, torch::serialize::OutputArchive& archive, nlohmann::json meta,
                   const ModelConfig& config) {
  meta["format"] = "genre-model";
  meta["format_version"] = kFormatVersion;
  meta["genre_version"] = GENRE_VERSION;
  meta["arch"] = config.arch;
  meta["model_config"] = to_json(config);
  archive.write(kMetaKey, c10::IValue(meta.dump()));
  // Write to a temporary name and rename: a crash never leaves a half-written model.
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}
}  // namespace

void save_model(const std::string& path, ClassifierImpl& net, nlohmann::json meta) {
  torch::serialize::OutputArchive archive;
  net.save(archive);
  write_archive(path, archive, std::move(meta), net.config());
}

void save_model(const std::string& path, const XgbModel& trees, const ModelConfig& config, nlohmann::json meta) {
  torch::serialize::OutputArchive archive;
  const auto& b = trees.bytes();
  archive.write("xgboost_model", torch::from_blob(const_cast<uint8_t*>(b.data()), {int64_t(b.size())}, torch::kUInt8).clone());
  meta["xgboost_best_round"] = trees.best_round();
  write_archive(path, archive, std::move(meta), config);
}

torch::Tensor LoadedModel::probabilities(const float* x, int64_t n) const {
  torch::NoGradGuard no_grad;
  const auto& s = config.input;
  if (xgb) {
    auto p = xgb->predict(x, size_t(n), size_t(s.size()));
    return torch::from_blob(p.data(), {n, int64_t(labels.size())}, torch::kFloat32).to(torch::kFloat64);
  }
  torch::Tensor in = torch::from_blob(const_cast<float*>(x), {n, s.c, s.h, s.w}, torch::kFloat32);
  return torch::softmax(net->forward(in), 1).to(torch::kFloat64).contiguous();
}

int64_t LoadedModel::parameters() const { return xgb ? int64_t(xgb->best_round()) : count_parameters(*net); }

LoadedModel load_model(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such model file");
  LoadedModel m;
  m.path = path;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a genre model file (" + std::string(e.what_without_backtrace()) + ")");
  }
  c10::IValue meta;
  if (!archive.try_read(kMetaKey, meta) || !meta.isString())
    throw std::runtime_error(path + ": not a genre model file (no metadata)");
  m.meta = nlohmann::json::parse(meta.toStringRef());
  if (m.meta.value("format", "") != "genre-model" || m.meta.value("format_version", 0) > kFormatVersion)
    throw std::runtime_error(path + ": unsupported model format");
  m.config = model_config_from_json(m.meta.at("model_config"));
  m.frontend = frontend_from_json(m.meta.at("frontend"));
  m.labels = m.meta.at("labels").get<std::vector<std::string>>();
  try {
    if (m.config.arch == "xgboost") {
      torch::Tensor bytes;
      archive.read("xgboost_model", bytes);
      bytes = bytes.contiguous();
      const uint8_t* d = bytes.data_ptr<uint8_t>();
      m.xgb = std::make_shared<XgbModel>(XgbModel::load(std::vector<uint8_t>(d, d + bytes.numel()), m.labels.size()));
      return m;
    }
    m.net = create_model(m.config);
    m.net->load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": damaged model parameters (" + std::string(e.what_without_backtrace()) + ")");
  }
  m.net->eval();
  return m;
}

std::vector<std::vector<double>> LoadedModel::predict_chunks(const ClipFeatures& f, size_t batch_size) const {
  std::vector<std::vector<double>> out;
  for (size_t start = 0; start < f.count; start += batch_size) {
    const int64_t n = int64_t(std::min(batch_size, f.count - start));
    torch::Tensor p = probabilities(f.chunk(start), n);
    const double* d = p.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) out.emplace_back(d + i * p.size(1), d + (i + 1) * p.size(1));
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
