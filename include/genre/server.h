// The web server: a page to upload a song and see its genre, and a JSON API.
//   GET  /              the page (embedded in the binary: no external resources)
//   POST /api/classify  multipart field 'file' or the raw audio as the body (POST /api/tag: the same, with the tagger); ?timeline=1 adds the
//                       per-window genres, ?spectrogram=1 a PNG data URL of the log-mel spectrogram
//                       (first 60 s), ?top_k=N. The JSON is one element of `genre predict --format json`.
//   GET  /api/model     labels, architecture, front end, validation metrics
//   GET  /healthz       {"status": "ok"}
// Errors are JSON {"error", "status"}: 400 empty upload, 404 unknown path, 405 wrong method,
// 413 too large, 415 not audio, 422 audio that cannot be classified.
#pragma once

#include <functional>
#include <string>

#include "genre/predict.h"

namespace genre {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port (printed)
  size_t threads = 0;       // 0: max(2, cores)
  int max_upload_mb = 64;
  size_t max_inflight = 0;  // classifications at once (others wait); 0: the number of cores
  std::function<void()> on_listening;
};

// Serves until SIGINT or SIGTERM; returns 0, or 1 if the port cannot be bound.
// tagger, if given, answers POST /api/tag (the same upload rules; entries say "tag").
int serve(const ServerOptions& options, const Predictor& predictor, const Predictor* tagger = nullptr);

}  // namespace genre
