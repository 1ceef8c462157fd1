// genre serve: the web page and the JSON API on cpp-httplib.
#include "genre/server.h"
#include "genre/runtime.h"
#include "genre/json_text.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <thread>

#include "genre/files.h"
#include "genre/mel.h"
#include "genre/plot.h"
#include "guards.h"

namespace genre {

namespace detail {
extern const char* const kIndexHtml;  // src/serve/index.html, embedded at build time
}

namespace {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(json_text(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

std::string base64(const std::vector<uint8_t>& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    const uint32_t n = uint32_t(in[i]) << 16 | (i + 1 < in.size() ? uint32_t(in[i + 1]) << 8 : 0) |
                       (i + 2 < in.size() ? uint32_t(in[i + 2]) : 0);
    out += t[n >> 18 & 63];
    out += t[n >> 12 & 63];
    out += i + 1 < in.size() ? t[n >> 6 & 63] : '=';
    out += i + 2 < in.size() ? t[n & 63] : '=';
  }
  return out;
}

// The log-mel spectrogram of the samples y (at sample_rate), as a PNG data URL (at most 600
// columns: frames are averaged in groups).
std::string spectrogram_png(const std::vector<float>& y, int sample_rate) {
  LogMelParams lp;
  lp.sample_rate = sample_rate;
  const Matrix db = LogMelSpectrogram(lp)(y);  // frames x 128
  const size_t group = std::max<size_t>(1, (db.rows + 599) / 600);
  const int width = int((db.rows + group - 1) / group), height = int(db.cols);
  std::vector<float> img(size_t(width) * size_t(height), 0.f);
  for (int x = 0; x < width; ++x)
    for (int h = 0; h < height; ++h) {
      float sum = 0;
      size_t n = 0;
      for (size_t t = size_t(x) * group; t < std::min(db.rows, size_t(x + 1) * group); ++t, ++n) sum += db(t, size_t(h));
      img[size_t(h) * size_t(width) + size_t(x)] = n ? sum / float(n) : 0.f;
    }
  const float hi = db.empty() ? 0.f : *std::max_element(db.data.begin(), db.data.end());
  const Image png = spectrogram_image(img.data(), height, width, hi - 80.f, hi, 2);
  return "data:image/png;base64," + base64(encode_png(png));
}

// The query's switches: absent, "0"/"1" or "false"/"true"; anything else is a client error.
bool flag(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  const std::string v = req.get_param_value(name);
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  throw std::invalid_argument(std::string(name) + " must be 0 or 1, not '" + printable_name(v, 40) + "'");
}

size_t top_k_param(const httplib::Request& req, size_t labels) {
  if (!req.has_param("top_k")) return std::min<size_t>(3, labels);
  const std::string v = req.get_param_value("top_k");
  size_t used = 0;
  long k = 0;
  try {
    k = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || k < 1 || size_t(k) > labels)
    throw std::invalid_argument("top_k must be an integer from 1 to " + std::to_string(labels) + ", not '" +
                                printable_name(v, 40) + "'");
  return size_t(k);
}

// Media types accepted as audio: audio/*, application/octet-stream, application/ogg, or none.
bool audio_media_type(std::string type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return type.empty() || type.rfind("audio/", 0) == 0 || type == "application/octet-stream" || type == "application/ogg";
}

// A client's file name, as genre shows it: the last path component, printable, at most 255 bytes.
std::string client_file_name(const std::string& name) {
  const size_t slash = name.find_last_of("/\\");
  std::string base = printable_name(slash == std::string::npos ? name : name.substr(slash + 1), 255);
  return base.empty() ? "upload" : base;
}

// The declared body length; a malformed value counts as too large.
uint64_t content_length(const httplib::Request& req) {
  const std::string v = req.get_header_value("Content-Length");
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18) return UINT64_MAX;
  return std::stoull(v);
}

bool has_body(const httplib::Request& req) {
  return req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos ||
         req.get_header_value_count("Content-Length") > 0;
}

using Clock = std::chrono::steady_clock;

// Thrown from the decoder's sample tap to cancel a classification (shutdown, time bound).
struct Cancelled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

int serve(const ServerOptions& o, const Predictor& predictor, const Predictor* tagger) {
  using serve_detail::ConnectionPool;
  using serve_detail::Gate;
  using serve_detail::UploadBudget;
  httplib::Server svr;
  const size_t connections = o.max_connections ? o.max_connections : 512;
  svr.new_task_queue = [connections] { return new ConnectionPool(connections); };
  const size_t upload_limit = size_t(o.max_upload_mb) * 1024 * 1024;
  svr.set_payload_max_length(upload_limit);
  svr.set_read_timeout(o.read_timeout_s, 0);
  svr.set_write_timeout(o.read_timeout_s, 0);
  svr.set_keep_alive_timeout(o.keep_alive_s);
  svr.set_keep_alive_max_count(100);
  const size_t inflight = o.max_inflight ? o.max_inflight : cores();
  Gate gate(inflight);
  // Uploads being received at once hold at most this many bytes together.
  UploadBudget budget(upload_limit * std::max<size_t>(4, 2 * inflight));
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> drain_deadline{0};  // steady clock ticks; valid once stopping
  AudioLimits limits;
  limits.max_seconds = o.max_duration_s;

  // Every known path and its methods; anything else is answered before a byte of body is read.
  std::map<std::string, std::string> allowed = {
      {"/", "GET, HEAD"}, {"/healthz", "GET, HEAD"}, {"/api/model", "GET, HEAD"}, {"/api/classify", "POST"}};
  if (tagger) allowed["/api/tag"] = "POST";
  svr.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    const auto it = allowed.find(req.path);
    if (it == allowed.end()) {
      send_error(res, 404, "no such page or endpoint: " + printable_name(req.path, 200));
    } else {
      const std::string& allow = it->second;
      const bool ok = req.method == "POST" ? allow == "POST" : (req.method == "GET" || req.method == "HEAD") && allow != "POST";
      if (ok) return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("Allow", allow);
      send_error(res, 405, printable_name(req.method, 20) + " is not allowed on " + req.path + " (allowed: " + allow + ")");
    }
    if (has_body(req)) res.set_header("Connection", "close");  // its body is not read
    return httplib::Server::HandlerResponse::Handled;
  });
  // Clients that ask first (Expect: 100-continue) learn that an upload is too large before sending it.
  svr.set_expect_100_continue_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value_count("Content-Length") > 0 &&
        content_length(req) > upload_limit) {
      send_error(res, 413, "upload larger than " + std::to_string(o.max_upload_mb) + " MB");
      res.set_header("Connection", "close");
      return 413;
    }
    return 100;
  });

  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(detail::kIndexHtml, "text/html; charset=utf-8");
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, {{"status", "ok"}}); });
  svr.Get("/api/model", [&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = predictor.describe();
    j["tagger"] = tagger ? tagger->describe() : nlohmann::json(nullptr);  // POST /api/tag when not null
    send_json(res, 200, j);
  });

  // One handler for /api/classify (the genre model) and /api/tag (the tagger): the same upload
  // rules, limits and errors. The body is read here, as it arrives, never past the limit.
  auto classify_with = [&](const Predictor& model, const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& read_body) {
    auto refuse = [&](int status, const std::string& message) {
      send_error(res, status, message);
      res.set_header("Connection", "close");  // the rest of the body, if any, is not read
    };
    bool timeline = false, spectrogram = false;
    size_t top_k = 3;
    try {
      timeline = flag(req, "timeline");
      spectrogram = flag(req, "spectrogram");
      top_k = top_k_param(req, model.labels().size());
    } catch (const std::invalid_argument& e) {
      return refuse(400, e.what());
    }
    const bool multipart = req.is_multipart_form_data();
    if (!multipart && !audio_media_type(req.get_header_value("Content-Type")))
      return refuse(415, "content type '" + printable_name(req.get_header_value("Content-Type"), 80) +
                             "' is not audio: send audio/*, application/octet-stream or multipart/form-data");
    const bool has_length = req.get_header_value_count("Content-Length") > 0;
    if (has_length && content_length(req) > upload_limit)
      return refuse(413, "upload larger than " + std::to_string(o.max_upload_mb) + " MB");
    if (multipart && !has_length) return refuse(411, "a multipart upload needs a Content-Length");

    // Receive, within the size limit, the shared budget and the upload time bound.
    std::string body, name = "upload", part_type;
    size_t taken = 0;
    int why = 0;  // 413 too large, 503 busy or stopping, 408 too slow
    const auto upload_deadline = Clock::now() + std::chrono::seconds(o.upload_timeout_s);
    bool in_file = false, saw_file = false;
    auto receive = [&](const char* data, size_t n, bool keep) {
      if (stopping) return why = 503, false;
      if (Clock::now() > upload_deadline) return why = 408, false;
      if (taken + n > upload_limit) return why = 413, false;
      if (!budget.take(n)) return why = 503, false;
      taken += n;
      // One allocation of the most the body may be (pages are only touched as bytes arrive):
      // growth by doubling would briefly hold two copies.
      if (keep && body.capacity() == 0)
        body.reserve(has_length ? size_t(content_length(req)) : upload_limit);
      if (keep) body.append(data, n);
      return true;
    };
    struct Give {
      UploadBudget& b;
      size_t& n;
      ~Give() { b.give(n); }
    } give{budget, taken};
    bool read_ok;
    if (multipart) {
      read_ok = read_body(
          [&](const httplib::MultipartFormData& part) {
            in_file = part.name == "file" && !saw_file;
            if (in_file) {
              saw_file = true;
              if (!part.filename.empty()) name = client_file_name(part.filename);
              part_type = part.content_type;
            }
            return true;
          },
          [&](const char* data, size_t n) { return receive(data, n, in_file); });
    } else {
      read_ok = read_body([&](const char* data, size_t n) { return receive(data, n, true); });
    }
    if (why == 413) return refuse(413, "upload larger than " + std::to_string(o.max_upload_mb) + " MB");
    if (why == 408) return refuse(408, "upload took longer than " + std::to_string(o.upload_timeout_s) + " s");
    if (why == 503) return refuse(503, stopping ? "the server is shutting down" : "too many uploads at once; try again");
    if (!read_ok) return refuse(400, "the upload is incomplete or malformed");
    if (multipart && !saw_file) return refuse(400, "multipart upload without a 'file' field");
    if (multipart && !audio_media_type(part_type))
      return refuse(415, "the file's content type '" + printable_name(part_type, 80) + "' is not audio");
    if (body.empty()) return refuse(400, "empty upload: send the audio as the body or as the form field 'file'");

    // The spectrogram shows the first 60 s, taken from the samples the classification decodes.
    const int sr = model.model().frontend.sample_rate;
    const size_t head_limit = spectrogram ? size_t(60 * sr) : 0;
    std::vector<float> head;
    const auto classify_deadline = Clock::now() + std::chrono::seconds(o.classify_timeout_s);
    int cancelled = 0;  // 503: stopped by shutdown; 503 too: over the time bound
    std::string cancel_reason;
    // Runs with every decoded block: the place where a long classification is cut off.
    auto tap = [&](const float* x, size_t n) {
      const auto now = Clock::now();
      if (stopping && now.time_since_epoch().count() > drain_deadline) {
        cancelled = 503, cancel_reason = "the server is shutting down";
        throw Cancelled(cancel_reason);
      }
      if (now > classify_deadline) {
        cancelled = 503, cancel_reason = "classification took longer than " + std::to_string(o.classify_timeout_s) + " s";
        throw Cancelled(cancel_reason);
      }
      if (head_limit) head.insert(head.end(), x, x + std::min(n, head_limit - head.size()));
    };
    if (!gate.enter()) return refuse(503, "the server is shutting down");
    Prediction p;
    try {
      p = model.predict_memory(body.data(), body.size(), name, timeline, tap, limits);
    } catch (...) {
      gate.leave();
      throw;
    }
    gate.leave();
    body = std::string();
    if (cancelled) return refuse(cancelled, cancel_reason);
    if (!p.error.empty()) {
      // Nothing decodable at all is the wrong media type; decodable but unusable audio is unprocessable.
      return send_error(res, p.unreadable ? 415 : 422, p.error);
    }
    nlohmann::json j = model.to_json(p, top_k, timeline);
    if (spectrogram) {
      try {
        j["spectrogram_png"] = spectrogram_png(head, sr);
        j["spectrogram_seconds"] = double(head.size()) / sr;
      } catch (const std::exception&) {
        // The classification stands; the picture is optional.
      }
    }
    send_json(res, 200, j);
  };
  svr.Post("/api/classify", [&](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& r) {
    classify_with(predictor, req, res, r);
  });
  if (tagger)
    svr.Post("/api/tag", [&](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& r) {
      classify_with(*tagger, req, res, r);
    });
  // Errors httplib raises itself (a malformed request line, headers too long) become JSON too.
  svr.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send_error(res, 404, "no such page or endpoint: " + printable_name(req.path, 200));
    else if (res.status == 413) send_error(res, 413, "upload larger than " + std::to_string(o.max_upload_mb) + " MB");
    else send_error(res, res.status, "request failed");
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });

  // SIGINT / SIGTERM: a thread waits for them, then stops accepting, answers waiting requests
  // 503, lets classifications in flight finish for up to drain_s (then cancels them), and stops.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    drain_deadline = (Clock::now() + std::chrono::seconds(o.drain_s)).time_since_epoch().count();
    stopping = true;
    gate.stop();
    svr.stop();
  });

  // httplib listens with a backlog of 5: a burst of connections would wait for SYN retries
  // (seconds). The socket is captured here and listened on again with a deeper queue.
  int listen_fd = -1;
  svr.set_socket_options([&](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  int port = o.port;
  const bool bound = port == 0 ? (port = svr.bind_to_any_port(o.host.c_str())) > 0 : svr.bind_to_port(o.host.c_str(), port);
  if (bound && listen_fd >= 0) ::listen(listen_fd, 1024);
  if (!bound) {
    std::fprintf(stderr, "genre: error: cannot listen on %s:%d\n", o.host.c_str(), o.port);
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
    return 1;
  }
  std::fprintf(stderr, "genre serve: listening on http://%s:%d/ (model %s, %zu classifications at once, up to %zu connections)\n",
               o.host.c_str(), port, predictor.model().path.c_str(), inflight, connections);
  // httplib 0.11 retries accept() on EINTR, EAGAIN and EMFILE, but on any other error (ENFILE,
  // ENOBUFS, ENOMEM, an error pending on the new connection) it closes its listening socket and
  // returns: the process would live on without listening. Listen again on the same port instead.
  if (o.on_listening) o.on_listening();
  int status = 0;
  for (int relisten = 0;; ++relisten) {
    svr.listen_after_bind();
    if (stopping) break;
    std::fprintf(stderr, "genre serve: the listening socket failed (accept error); listening again on port %d\n", port);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << std::min(relisten, 6))));
    if (stopping) break;
    listen_fd = -1;
    if (!svr.bind_to_port(o.host.c_str(), port)) {
      std::fprintf(stderr, "genre: error: cannot listen on %s:%d again\n", o.host.c_str(), port);
      status = 1;
      break;
    }
    if (listen_fd >= 0) ::listen(listen_fd, 1024);
  }
  // Wake the signal thread if the server stopped for another reason.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  std::fprintf(stderr, "genre serve: stopped\n");
  return status;
}

}  // namespace genre
