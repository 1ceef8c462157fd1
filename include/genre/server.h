// The web server: a page to upload a song and see its genre, and a JSON API.
//   GET  /              the page (embedded in the binary: no external resources)
//   POST /api/classify  multipart field 'file' or the raw audio as the body (POST /api/tag: the same, with the tagger); ?timeline=1 adds the
//                       per-window genres, ?spectrogram=1 a PNG data URL of the log-mel spectrogram
//                       (first 60 s), ?top_k=N. The JSON is one element of `genre predict --format json`.
//   GET  /api/model     labels, architecture, front end, validation metrics
//   GET  /healthz       {"status": "ok"}
// Errors are JSON {"error", "status"}: 400 empty upload or bad query, 404 unknown path, 405 wrong
// method (with Allow), 408 upload too slow, 411 multipart without Content-Length, 413 too large,
// 415 not audio, 422 audio that cannot be classified, 503 shutting down or over a time bound.
#pragma once

#include <functional>
#include <string>

#include "genre/predict.h"

namespace genre {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (printed)
  size_t max_connections = 512; // open connections served at once (one thread each); more wait
  int max_upload_mb = 64;       // enforced while reading, for Content-Length and chunked bodies
  size_t max_inflight = 0;      // classifications at once (others wait); 0: the number of cores
  double max_duration_s = 1800; // seconds of audio per upload (422 beyond)
  int read_timeout_s = 10;      // per read or write on a connection (headers, body)
  int keep_alive_s = 5;         // an idle connection is closed after this
  int upload_timeout_s = 120;   // a whole upload must arrive within this (408)
  int classify_timeout_s = 300; // a classification is cut off after this (503)
  int drain_s = 10;             // on SIGTERM: time given to classifications in flight
  std::function<void()> on_listening;
};

// Serves until SIGINT or SIGTERM; returns 0, or 1 if the port cannot be bound. On a signal it
// stops accepting, answers requests still waiting for a classification slot with 503, gives those
// in flight drain_s to finish (then cancels them with 503), and returns.
// tagger, if given, answers POST /api/tag (the same upload rules; entries say "tag").
int serve(const ServerOptions& options, const Predictor& predictor, const Predictor* tagger = nullptr);

}  // namespace genre
