// The model file without torch: safetensors' layout with genre's metadata (genre/model_file.h).
#include "genre/model_file.h"
#include "genre/atomic_file.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <filesystem>
#include <fstream>

#include "genre/gtzan_features.h"
#include "genre/version.h"

namespace genre {

nlohmann::json to_json(const FrontEndParams& p) {
  return {{"input", input_name(p.input)}, {"sample_rate", p.sample_rate}, {"n_fft", p.n_fft},
          {"hop_length", p.hop_length},  {"n_mels", p.n_mels},           {"n_mfcc", p.n_mfcc},
          {"stft_n_fft", p.stft_n_fft},  {"top_db", p.top_db},           {"chunk_seconds", p.chunk_seconds},
          {"chunk_hop", p.chunk_hop},    {"trim_silence", p.trim_silence}, {"image_scale", p.image_scale},
          {"mel_htk", p.mel_htk},        {"mel_slaney_norm", p.mel_slaney_norm}, {"loop_short", p.loop_short},
          {"window_symmetric", p.window_symmetric}, {"pad_zeros", p.pad_zeros}, {"log_scale", p.log_scale}};
}

namespace {
// Typed reads of metadata fields: a field of the wrong type (hop_length 0.5, a string where a
// number belongs) is an error naming it, never a silent conversion.
template <class T>
T field(const nlohmann::json& j, const char* name, T fallback) {
  const auto it = j.find(name);
  if (it == j.end()) return fallback;
  bool ok;
  if constexpr (std::is_same_v<T, bool>) ok = it->is_boolean();
  else if constexpr (std::is_integral_v<T>) ok = it->is_number_integer() && (std::is_signed_v<T> || it->template get<int64_t>() >= 0);
  else if constexpr (std::is_floating_point_v<T>) ok = it->is_number() && std::isfinite(it->template get<double>());
  else ok = it->is_string();
  if (!ok) throw std::invalid_argument(std::string(name) + " = " + it->dump() + " has the wrong type");
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const auto v = it->template get<int64_t>();
    if (v < int64_t(std::numeric_limits<int>::min()) || v > int64_t(std::numeric_limits<int>::max()))
      throw std::invalid_argument(std::string(name) + " = " + it->dump() + " is out of range");
  }
  return it->template get<T>();
}
}  // namespace

FrontEndParams frontend_from_json(const nlohmann::json& j) {
  FrontEndParams p;
  if (!j.is_object()) throw std::invalid_argument("the front end is not an object");
  p.input = parse_input(field<std::string>(j, "input", ""));
  p.sample_rate = field(j, "sample_rate", p.sample_rate);
  p.n_fft = field(j, "n_fft", p.n_fft);
  p.hop_length = field(j, "hop_length", p.hop_length);
  p.n_mels = field(j, "n_mels", p.n_mels);
  p.n_mfcc = field(j, "n_mfcc", p.n_mfcc);
  p.stft_n_fft = field(j, "stft_n_fft", p.stft_n_fft);
  p.top_db = field(j, "top_db", p.top_db);
  p.chunk_seconds = field(j, "chunk_seconds", p.chunk_seconds);
  p.chunk_hop = field(j, "chunk_hop", p.chunk_hop);
  p.trim_silence = field(j, "trim_silence", p.trim_silence);
  p.image_scale = field(j, "image_scale", p.image_scale);
  p.mel_htk = field(j, "mel_htk", p.mel_htk);
  p.mel_slaney_norm = field(j, "mel_slaney_norm", p.mel_slaney_norm);
  p.loop_short = field(j, "loop_short", p.loop_short);
  p.window_symmetric = field(j, "window_symmetric", p.window_symmetric);
  p.pad_zeros = field(j, "pad_zeros", p.pad_zeros);
  p.log_scale = field(j, "log_scale", p.log_scale);
  validate_frontend(p);
  return p;
}

nlohmann::json to_json(const ModelConfig& c) {
  nlohmann::json j = {{"arch", c.arch}, {"input", {c.input.c, c.input.h, c.input.w}}, {"n_classes", c.n_classes}, {"dropout", c.dropout}};
  if (c.output != "softmax") j["output"] = c.output;
  if (!c.backbones.empty()) j["backbones"] = c.backbones;
  if (!c.head.empty()) j["head"] = c.head;
  return j;
}

ModelConfig model_config_from_json(const nlohmann::json& j) {
  ModelConfig c;
  if (!j.is_object()) throw std::invalid_argument("model_config is not an object");
  c.arch = field<std::string>(j, "arch", "");
  const auto in = j.at("input");
  if (!in.is_array() || in.size() != 3) throw std::invalid_argument("input must be [C, H, W]");
  for (const auto& d : in)
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 65536)
      throw std::invalid_argument("input = " + in.dump() + ": each dimension must be an integer from 1 to 65536");
  c.input = {in.at(0).get<int64_t>(), in.at(1).get<int64_t>(), in.at(2).get<int64_t>()};
  if (c.input.size() > (int64_t(1) << 26)) throw std::invalid_argument("input = " + in.dump() + " is too large");
  if (!j.contains("n_classes")) throw std::invalid_argument("no n_classes");
  c.n_classes = field<int64_t>(j, "n_classes", 0);
  if (c.n_classes < 2 || c.n_classes > 10000) throw std::invalid_argument("n_classes must be from 2 to 10000");
  c.dropout = field(j, "dropout", c.dropout);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw std::invalid_argument("dropout must be in [0, 1)");
  c.output = field(j, "output", c.output);
  if (c.output != "softmax" && c.output != "sigmoid") throw std::runtime_error("unknown model output '" + c.output + "'");
  if (j.contains("backbones")) {
    if (!j["backbones"].is_array()) throw std::invalid_argument("backbones must be a list of names");
    for (const auto& b : j["backbones"]) {
      if (!b.is_string()) throw std::invalid_argument("backbones must be a list of names");
      c.backbones.push_back(b.get<std::string>());
    }
  }
  c.head = field(j, "head", c.head);
  return c;
}

int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

constexpr const char* kMetaKey = "genre";

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "U8" || dtype == "I8" || dtype == "BOOL") return 1;
  return 0;
}

// A JSON list of non-negative integers (a tensor's shape or byte range): anything else, a float
// like 2.5e79 included, is an error, never a conversion.
std::vector<uint64_t> natural_list(const nlohmann::json& j, const char* what) {
  if (!j.is_array() || j.size() > 64) throw std::out_of_range(std::string(what) + " is not a short list");
  std::vector<uint64_t> out;
  for (const auto& v : j) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
      throw std::out_of_range(std::string(what) + " holds " + v.dump() + ", not a non-negative integer");
    const uint64_t x = v.get<uint64_t>();
    if (x > (uint64_t(1) << 53)) throw std::out_of_range(std::string(what) + " holds " + v.dump() + ", too large");
    out.push_back(x);
  }
  return out;
}

std::runtime_error not_a_model(const std::string& path, const std::string& why) {
  return std::runtime_error(path + ": not a genre model file (" + why + ")");
}

// The header: its JSON, and the offset of the data section.
std::pair<nlohmann::json, uint64_t> read_header(std::ifstream& in, const std::string& path) {
  const uint64_t file_size = std::filesystem::file_size(path);
  unsigned char len[8];
  if (!in.read(reinterpret_cast<char*>(len), 8)) throw not_a_model(path, "too short");
  if (len[0] == 'P' && len[1] == 'K') throw not_a_model(path, "a torch archive: genre before 0.2 wrote those; retrain the model");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | len[i];
  if (n < 2 || n > file_size - 8 || n > (uint64_t(64) << 20)) throw not_a_model(path, "no safetensors header");
  std::string text(n, '\0');
  if (!in.read(text.data(), std::streamsize(n))) throw not_a_model(path, "truncated header");
  nlohmann::json h = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!h.is_object()) throw not_a_model(path, "the header is not JSON");
  return {h, 8 + n};
}

nlohmann::json genre_meta(const nlohmann::json& header, const std::string& path) {
  const auto m = header.find("__metadata__");
  if (m == header.end() || !m->is_object() || !m->contains(kMetaKey) || !(*m)[kMetaKey].is_string())
    throw not_a_model(path, "no genre metadata");
  nlohmann::json meta = nlohmann::json::parse((*m)[kMetaKey].get<std::string>(), nullptr, false);
  if (!meta.is_object() || meta.value("format", "") != "genre-model") throw not_a_model(path, "no genre metadata");
  const auto fv = meta.find("format_version");
  if (fv != meta.end() && !fv->is_number_integer()) throw not_a_model(path, "format_version is not an integer");
  const int64_t version = fv == meta.end() ? 0 : fv->get<int64_t>();
  if (version > kModelFormatVersion)
    throw std::runtime_error(path + ": written by a newer genre (model format " + std::to_string(version) + ")");
  return meta;
}

}  // namespace

ModelHeader model_header(const nlohmann::json& meta, const std::string& path) {
  ModelHeader h;
  h.path = path;
  h.meta = meta;
  try {
    h.config = model_config_from_json(meta.at("model_config"));
    h.frontend = frontend_from_json(meta.at("frontend"));
    h.labels = meta.at("labels").get<std::vector<std::string>>();
    h.parameters = field<int64_t>(meta, "parameters", 0);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": invalid model metadata (" + e.what() + ")");
  }
  if (h.labels.empty() || int64_t(h.labels.size()) != h.config.n_classes)
    throw std::runtime_error(path + ": the model's labels do not match its classes");
  // The network's declared input must be what its front end produces, or every forward pass
  // would read past a buffer.
  if (h.frontend.input != InputKind::Table) {
    const Shape made = FrontEnd(h.frontend).feature_shape();
    if (!(made == h.config.input))
      throw std::runtime_error(path + ": invalid model metadata (the front end makes " + std::to_string(made.c) +
                               " x " + std::to_string(made.h) + " x " + std::to_string(made.w) +
                               " inputs, the network declares " + std::to_string(h.config.input.c) + " x " +
                               std::to_string(h.config.input.h) + " x " + std::to_string(h.config.input.w) + ")");
  } else {
    // A table model reads its table_columns, or GTZAN's 57 features computed from audio.
    int64_t columns = int64_t(kGtzanFeatureCount);
    if (h.meta.contains("table_columns")) {
      const auto& cols = h.meta["table_columns"];
      if (!cols.is_array()) throw std::runtime_error(path + ": invalid model metadata (table_columns is not a list)");
      for (const auto& c : cols)
        if (!c.is_string()) throw std::runtime_error(path + ": invalid model metadata (table_columns holds a non-name)");
      columns = int64_t(cols.size());
    }
    if (h.config.input.size() != columns)
      throw std::runtime_error(path + ": invalid model metadata (the network reads " + std::to_string(h.config.input.size()) +
                               " values, the table has " + std::to_string(columns) + " columns)");
  }
  return h;
}

void write_model_file(const std::string& path, TensorFile file) {
  file.meta["format"] = "genre-model";
  file.meta["format_version"] = kModelFormatVersion;
  file.meta["genre_version"] = GENRE_VERSION;
  nlohmann::json header = {{"__metadata__", {{kMetaKey, file.meta.dump()}}}};
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (t.bytes.size() != size_t(t.numel()) * dtype_size(t.dtype))
      throw std::logic_error(name + ": " + std::to_string(t.bytes.size()) + " bytes do not match its shape and dtype");
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  {
    AtomicFile file_out(path, std::ios::binary);
    std::ofstream& out = file_out.stream();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const auto& [name, t] : file.tensors) out.write(reinterpret_cast<const char*>(t.bytes.data()), std::streamsize(t.bytes.size()));
    // A crash never leaves a half-written model under the real name.
    file_out.commit();
  }
}

TensorFile read_model_file(const std::string& path) { return read_safetensors(path, true); }

TensorFile read_safetensors(const std::string& path, bool genre_model) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such model file");
  std::ifstream in(path, std::ios::binary);
  auto [header, data_start] = read_header(in, path);
  TensorFile f;
  if (genre_model) f.meta = genre_meta(header, path);
  const uint64_t data_size = std::filesystem::file_size(path) - data_start;
  std::vector<uint8_t> data(data_size);
  if (!in.read(reinterpret_cast<char*>(data.data()), std::streamsize(data_size)))
    throw std::runtime_error(path + ": damaged model file (truncated data)");
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    StoredTensor t;
    try {
      t.dtype = entry.at("dtype").get<std::string>();
      if (dtype_size(t.dtype) == 0) throw std::out_of_range("unknown dtype " + t.dtype);
      const auto off = natural_list(entry.at("data_offsets"), "data_offsets");
      if (off.size() != 2 || off[0] > off[1] || off[1] > data_size) throw std::out_of_range("byte range outside the data");
      // The shape's product is checked against the bytes as it is formed: it cannot overflow.
      uint64_t elements = 1;
      for (uint64_t d : natural_list(entry.at("shape"), "shape")) {
        if (d != 0 && elements > (off[1] - off[0]) / d) throw std::out_of_range("size does not match the shape");
        elements *= d;
        t.shape.push_back(int64_t(d));
      }
      if (off[1] - off[0] != elements * dtype_size(t.dtype)) throw std::out_of_range("size does not match the shape");
      t.bytes.assign(data.begin() + long(off[0]), data.begin() + long(off[1]));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": damaged model file (tensor " + name + ": " + e.what() + ")");
    }
    f.tensors.emplace(name, std::move(t));
  }
  return f;
}

ModelHeader read_model_header(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such model file");
  std::ifstream in(path, std::ios::binary);
  return model_header(genre_meta(read_header(in, path).first, path), path);
}

}  // namespace genre
