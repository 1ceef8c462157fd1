// genre: a thin command-line front end over libgenre. The executable does not link libtorch: the
// commands that need it come from libgenre_torch.so (torch_plugin.h), loaded only for them.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "commands.h"
#include "torch_plugin.h"
#include "genre/runtime.h"
#include "genre/version.h"

namespace genre::cli {
int exit_status = 0;
}

namespace {
// predict, serve, features and --version run without the plugin; anything else (the torch
// commands, --help, a mistake) loads it so that every command is known.
bool needs_plugin(int argc, char** argv) {
  if (argc < 2) return true;
  for (const char* own : {"predict", "tag", "serve", "features", "-V", "--version"})
    if (std::strcmp(argv[1], own) == 0) return false;
  return true;
}
// Every command has closed its files and freed its models when it returns. What is left are the
// static destructors of libtorch and the libraries it pulls in, which took about 100 ms of a cold
// `genre predict` (bench/deploy.sh): flush the streams and leave without them.
[[noreturn]] void leave(int status) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"genre " GENRE_VERSION " - music genre classification from audio (GTZAN-style, librosa-exact features)",
               "genre"};
  app.set_version_flag("-V,--version", "genre " GENRE_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'genre <command> --help' for the options of a command.");
  genre::cli::register_predict(app);
  genre::cli::register_ensemble(app);
  genre::cli::register_tag(app);
  genre::cli::register_serve(app);
  genre::cli::register_features(app);
  const genre::cli::TorchPlugin* plugin = nullptr;
  if (needs_plugin(argc, argv)) {
    try {
      plugin = &genre::cli::torch_plugin();
      plugin->register_commands(app);
    } catch (const std::exception& e) {
      if (argc > 1 && argv[1][0] != '-') {
        std::fprintf(stderr, "genre: error: %s: %s\n", argv[1], e.what());
        leave(2);
      }
      // --help still lists predict, serve and features.
      std::fprintf(stderr, "genre: warning: %s\n", e.what());
    }
  }
  // Batch commands keep freed memory for reuse; the server sets its own policy (genre/runtime.h).
  genre::configure_memory(argc > 1 && std::string(argv[1]) == "serve" ? genre::MemoryUse::Server
                                                                          : genre::MemoryUse::Batch);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    leave(app.exit(e) == 0 ? 0 : 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "genre: error: %s\n", e.what());
    leave(2);
  }
  leave(std::max(genre::cli::exit_status, plugin ? *plugin->exit_status : 0));
}
