// genre models / genre summary: the model zoo.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "genre/model.h"

namespace genre::cli {
namespace {

// The default input of a model: its first front end with default parameters (tables: 57 features).
ModelConfig default_config(const std::string& name, const std::string& input, int64_t classes) {
  const ModelInfo& info = find_model(name);
  FrontEndParams p = info.frontend ? info.frontend() : FrontEndParams{};
  p.input = input.empty() ? info.inputs.front() : parse_input(input);
  ModelConfig c;
  c.arch = name;
  c.input = p.input == InputKind::Table ? Shape{57, 1, 1} : FrontEnd(p).shape();
  c.n_classes = classes;
  return c;
}

}  // namespace

void register_models(CLI::App& app) {
  auto* models = app.add_subcommand("models", "List the model architectures with their trainable parameter counts");
  models->callback([] {
    std::printf("%-18s %-8s %12s  %s\n", "model", "input", "parameters", "description");
    for (const auto& m : model_registry()) {
      const ModelConfig c = default_config(m.name, "", 10);
      std::printf("%-18s %-8s %12lld  %s\n", m.name.c_str(), input_name(m.inputs.front()),
                  static_cast<long long>(count_parameters(*create_model(c), true)), m.description.c_str());
    }
    std::printf("%-18s %-8s %12s  %s\n", "xgboost", "table", "(trees)",
                "gradient-boosted trees through XGBoost's C API (feature tables)");
    std::printf("\nParameter counts for 10 classes and each model's default input (mel: 1x128x173 for 4 s chunks;\n"
                "mfcc: 1x20x173; dual: 2x128x173; table: 57 features). Train with: genre train --model NAME\n");
  });

  auto name = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>();
  auto classes = std::make_shared<int64_t>(10);
  auto* summary = app.add_subcommand("summary", "Print a model's layers, output shapes and parameter counts");
  summary->add_option("-m,--model", *name, "Architecture name (see genre models)")->required();
  summary->add_option("--input", *input, "Front end: mel, stft, mfcc, dual, image, table (default: the model's own)");
  summary->add_option("--classes", *classes, "Number of classes")->capture_default_str();
  summary->callback([name, input, classes] {
    const ModelConfig c = default_config(*name, *input, *classes);
    Classifier m = create_model(c);
    std::printf("%s on %s input %lld x %lld x %lld, %lld classes\n\n%s", name->c_str(),
                input->empty() ? input_name(find_model(*name).inputs.front()) : input->c_str(),
                static_cast<long long>(c.input.c), static_cast<long long>(c.input.h), static_cast<long long>(c.input.w),
                static_cast<long long>(c.n_classes), model_summary(*m).c_str());
  });
}

}  // namespace genre::cli
