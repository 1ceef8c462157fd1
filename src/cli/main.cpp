// genre: a thin command-line front end over libgenre.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.h"
#include "genre/runtime.h"
#include "genre/version.h"

namespace genre::cli {
int exit_status = 0;
}

int main(int argc, char** argv) {
  CLI::App app{"genre " GENRE_VERSION " - music genre classification from audio (GTZAN-style, librosa-exact features)",
               "genre"};
  app.set_version_flag("-V,--version", "genre " GENRE_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'genre <command> --help' for the options of a command.");
  genre::cli::register_predict(app);
  genre::cli::register_serve(app);
  genre::cli::register_features(app);
  genre::cli::register_train(app);
  genre::cli::register_evaluate(app);
  genre::cli::register_models(app);
  // Batch commands keep freed memory for reuse; the server sets its own policy (genre/runtime.h).
  genre::configure_allocator(argc > 1 && std::string(argv[1]) == "serve" ? genre::AllocatorUse::Server
                                                                          : genre::AllocatorUse::Batch);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "genre: error: %s\n", e.what());
    return 2;
  }
  return genre::cli::exit_status;
}
