// genre serve: the web app and JSON API.
#include <CLI/CLI.hpp>

#include <signal.h>

#include <memory>

#include "commands.h"
#include "genre/server.h"
#include "torch_plugin.h"

namespace genre::cli {

void register_serve(CLI::App& app) {
  auto o = std::make_shared<ServerOptions>();
  auto model = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("serve", "Serve a web page and a JSON API that classify uploaded songs");
  cmd->add_option("-m,--model", *model, "Model file (default: the bundled models/genre-default.genre)");
  cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o->port, "Port (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections, "Open connections served at once, one thread each (more wait)")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--max-inflight", o->max_inflight, "Classifications at once, others wait (0: the number of cores)")
      ->capture_default_str();
  cmd->add_option("--max-upload-mb", o->max_upload_mb, "Largest accepted upload, enforced while reading")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--max-duration", o->max_duration_s, "Longest accepted audio, in seconds (422 beyond)")
      ->check(CLI::Range(1.0, 86400.0))->capture_default_str();
  cmd->add_option("--read-timeout", o->read_timeout_s, "Seconds a connection may stay silent while sending a request")
      ->check(CLI::Range(1, 3600))->capture_default_str();
  cmd->add_option("--keep-alive", o->keep_alive_s, "Seconds an idle connection is kept open")
      ->check(CLI::Range(1, 3600))->capture_default_str();
  cmd->add_option("--upload-timeout", o->upload_timeout_s, "Seconds a whole upload may take (408 beyond)")
      ->check(CLI::Range(1, 86400))->capture_default_str();
  cmd->add_option("--classify-timeout", o->classify_timeout_s, "Seconds a classification may take (503 beyond)")
      ->check(CLI::Range(1, 86400))->capture_default_str();
  cmd->add_option("--drain", o->drain_s, "On SIGTERM, seconds given to classifications in flight")
      ->check(CLI::Range(0, 3600))->capture_default_str();
  auto tagger = std::make_shared<std::string>();
  cmd->add_option("--tagger", *tagger, "Tagger for POST /api/tag (default: the bundled models/genre-tagger.genre; 'none': no tagging)");
  cmd->callback([o, model, tagger] {
    // SIGINT/SIGTERM go to the server's signal thread (genre/server.h): block them before any other
    // thread exists, since threads libtorch starts while a model loads inherit this mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const std::string path = model->empty() ? default_model_path() : *model;
    if (path.empty()) throw std::runtime_error("no model given and no bundled model found; use --model FILE");
    const Predictor predictor = open_predictor(path, /*threads=*/1, /*background=*/false);  // one request per thread
    // POST /api/tag: the bundled tagger (or --tagger FILE), loaded before the server starts.
    const std::string tagger_path = *tagger == "none" ? "" : tagger->empty() ? default_tagger_path() : *tagger;
    std::unique_ptr<Predictor> tags;
    if (!tagger_path.empty()) tags = std::make_unique<Predictor>(open_predictor(tagger_path, 1, /*background=*/false));
    exit_status = serve(*o, predictor, tags.get());
  });
}

}  // namespace genre::cli
