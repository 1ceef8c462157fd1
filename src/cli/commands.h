// Each subcommand registers itself on the CLI11 app; its callback stores the exit status.
#pragma once

namespace CLI {
class App;
}

namespace genre::cli {

// Exit statuses: 0 success, 1 some input failed (the rest were processed), 2 usage error.
extern int exit_status;

void register_features(CLI::App& app);
void register_models(CLI::App& app);  // models, summary
void register_train(CLI::App& app);   // train, augment-preview
void register_evaluate(CLI::App& app);
void register_predict(CLI::App& app);
void register_ensemble(CLI::App& app);
void register_serve(CLI::App& app);
void register_pretrained(CLI::App& app);  // embed, import-tagger
void register_tag(CLI::App& app);
void register_gan(CLI::App& app);  // gan train, gan sample

}  // namespace genre::cli
