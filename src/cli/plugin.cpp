// libgenre_torch.so: the torch side of the genre executable (src/cli/torch_plugin.h).
#include <CLI/CLI.hpp>

#include "commands.h"
#include "genre/torch_model.h"
#include "torch_plugin.h"

namespace genre::cli {

int exit_status = 0;  // this plugin's own; the executable reads it through TorchPlugin

namespace {
void register_commands(CLI::App& app) {
  register_train(app);
  register_evaluate(app);
  register_models(app);
  register_pretrained(app);
  register_gan(app);
}

ProbabilityFn load_probabilities(const std::string& path, int threads) {
  if (threads > 0) at::set_num_threads(threads);
  return load_model(path).probability_fn();
}

const TorchPlugin kPlugin{register_commands, load_probabilities, &exit_status};
}  // namespace

}  // namespace genre::cli

extern "C" __attribute__((visibility("default"))) const genre::cli::TorchPlugin* genre_torch_plugin() {
  return &genre::cli::kPlugin;
}
