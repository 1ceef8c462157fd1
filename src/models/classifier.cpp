#include <iomanip>
#include <sstream>

#include "genre/model.h"
#include "layers.h"

namespace genre {

ClassifierImpl::ClassifierImpl(const ModelConfig& cfg) : cfg_(cfg) {
  mean_ = register_buffer("input_mean", torch::zeros({1, cfg.input.c, 1, 1}));
  std_ = register_buffer("input_std", torch::ones({1, cfg.input.c, 1, 1}));
}

void ClassifierImpl::set_input_stats(const torch::Tensor& mean, const torch::Tensor& std) {
  torch::NoGradGuard g;
  mean_.copy_(mean.reshape({1, cfg_.input.c, 1, 1}));
  std_.copy_(std.reshape({1, cfg_.input.c, 1, 1}).clamp_min(1e-6));
}

void ClassifierImpl::add_head(int64_t features, int64_t hidden, bool global_pool) {
  if (global_pool) add("gap", layers::global_pool());
  add("flatten", layers::flatten());
  if (hidden > 0) {
    add("dense", torch::nn::Linear(features, hidden));
    add("relu", layers::relu());
    features = hidden;
  }
  add("dropout", layers::dropout(cfg_.dropout));
  add("classifier", torch::nn::Linear(features, cfg_.n_classes));
}

torch::Tensor ClassifierImpl::forward(torch::Tensor x) { return forward_standardised((x - mean_) / std_); }

torch::Tensor ClassifierImpl::embedding(torch::Tensor x) { return embed((x - mean_) / std_); }

torch::Tensor ClassifierImpl::forward_standardised(torch::Tensor x) {
  for (auto& s : stages_) x = s.module.forward(x);
  return x;
}

torch::Tensor ClassifierImpl::embed(torch::Tensor) {
  throw std::logic_error("model '" + cfg_.arch + "' has no embedding layer");
}

int64_t count_parameters(const torch::nn::Module& m, bool trainable) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad() == trainable) n += p.numel();
  if (!trainable)
    for (const auto& b : m.buffers()) n += b.numel();
  return n;
}

std::string model_summary(ClassifierImpl& model) {
  torch::NoGradGuard g;
  const bool was_training = model.is_training();
  model.eval();
  const auto& in = model.config().input;
  torch::Tensor x = torch::zeros({1, in.c, in.h, in.w});
  std::ostringstream s;
  auto shape = [](const torch::Tensor& t) {
    std::ostringstream o;
    o << "[";
    for (int64_t d = 0; d < t.dim(); ++d) o << (d ? ", " : "") << (d == 0 ? std::string("N") : std::to_string(t.size(d)));
    o << "]";
    return o.str();
  };
  s << std::left << std::setw(22) << "layer" << std::setw(34) << "output shape" << std::right << std::setw(14)
    << "trainable" << std::setw(16) << "non-trainable" << "\n";
  s << std::string(86, '-') << "\n";
  s << std::left << std::setw(22) << "input" << std::setw(34) << shape(x) << std::right << std::setw(14) << 0
    << std::setw(16) << 2 * in.c << "\n";
  for (auto& st : model.stages()) {
    x = st.module.forward(x);
    const auto* m = st.module.ptr().get();
    s << std::left << std::setw(22) << st.name << std::setw(34) << shape(x) << std::right << std::setw(14)
      << count_parameters(*m, true) << std::setw(16) << count_parameters(*m, false) << "\n";
  }
  s << std::string(86, '-') << "\n";
  s << "total trainable parameters:     " << count_parameters(model, true) << "\n";
  s << "total non-trainable parameters: " << count_parameters(model, false)
    << " (batch-norm statistics, input standardisation)\n";
  if (was_training) model.train();
  return s.str();
}

}  // namespace genre
