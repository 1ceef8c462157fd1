// genre/ensemble.h: the ensemble model file (metadata only) and its members.
#include "genre/ensemble.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace genre {

namespace {
constexpr const char* kArch = "ensemble";

void check_weight(double w, const std::string& who) {
  if (!std::isfinite(w) || w <= 0) throw std::invalid_argument(who + ": an ensemble weight must be positive (" + std::to_string(w) + ")");
}
}  // namespace

bool is_ensemble(const ModelHeader& header) { return header.config.arch == kArch; }

void write_ensemble(const std::string& out, const std::vector<EnsembleMember>& members, const std::string& description) {
  if (members.size() < 2) throw std::invalid_argument("ensemble: give at least two member models");
  const fs::path folder = fs::absolute(fs::path(out)).parent_path();
  nlohmann::json list = nlohmann::json::array();
  ModelHeader first;
  int64_t parameters = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    check_weight(m.weight, m.path);
    ModelHeader h;
    try {
      h = read_model_header(m.path);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("ensemble member ") + e.what());
    }
    if (is_ensemble(h)) throw std::invalid_argument(m.path + ": an ensemble cannot be a member of an ensemble");
    if (h.frontend.input == InputKind::Image) throw std::invalid_argument(m.path + ": classifies images, not audio");
    if (h.config.output != "softmax") throw std::invalid_argument(m.path + ": a tagger (sigmoid outputs), not a genre model");
    if (i == 0) first = h;
    else if (h.labels != first.labels)
      throw std::invalid_argument(m.path + ": its labels are not those of " + members[0].path + " (same labels, same order)");
    parameters += h.parameters;
    list.push_back({{"file", fs::absolute(m.path).lexically_relative(folder).generic_string()}, {"weight", m.weight}});
  }
  ModelConfig cfg = first.config;
  cfg.arch = kArch;
  cfg.backbones.clear();
  cfg.head.clear();
  TensorFile f;
  f.meta = {{"labels", first.labels},
            {"frontend", first.meta.at("frontend")},  // the first member's: what the header reports
            {"model_config", to_json(cfg)},
            {"parameters", parameters},
            {"members", list}};
  if (first.meta.contains("table_columns")) f.meta["table_columns"] = first.meta["table_columns"];
  if (!description.empty()) f.meta["description"] = description;
  write_model_file(out, std::move(f));
}

std::vector<EnsembleMember> ensemble_members(const ModelHeader& header) {
  if (!is_ensemble(header)) throw std::invalid_argument(header.path + ": not an ensemble");
  const auto it = header.meta.find("members");
  if (it == header.meta.end() || !it->is_array() || it->size() < 2)
    throw std::runtime_error(header.path + ": damaged ensemble (no list of two or more members)");
  const fs::path folder = fs::absolute(fs::path(header.path)).parent_path();
  std::vector<EnsembleMember> out;
  double sum = 0;
  for (const auto& m : *it) {
    if (!m.is_object() || !m.contains("file") || !m["file"].is_string() || !m.contains("weight") || !m["weight"].is_number())
      throw std::runtime_error(header.path + ": damaged ensemble (a member without a file and weight)");
    const fs::path p = m["file"].get<std::string>();
    EnsembleMember e{(p.is_absolute() ? p : folder / p).lexically_normal().string(), m["weight"].get<double>()};
    try {
      check_weight(e.weight, e.path);
    } catch (const std::exception& x) {
      throw std::runtime_error(header.path + ": damaged ensemble (" + x.what() + ")");
    }
    if (!fs::is_regular_file(e.path))
      throw std::runtime_error(header.path + ": its member " + e.path + " is missing (keep the member files beside the ensemble)");
    e.header = read_model_header(e.path);
    if (is_ensemble(e.header))
      throw std::runtime_error(header.path + ": its member " + e.path + " is an ensemble itself");
    sum += e.weight;
    out.push_back(e);
  }
  for (auto& e : out) e.weight /= sum;
  return out;
}

}  // namespace genre
