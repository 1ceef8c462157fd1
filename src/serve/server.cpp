// genre serve: the web page and the JSON API on cpp-httplib.
#include "genre/server.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <thread>

#include "genre/mel.h"
#include "genre/plot.h"

namespace genre {

namespace detail {
extern const char* const kIndexHtml;  // src/serve/index.html, embedded at build time
}

namespace {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
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

}  // namespace

// At most `limit` holders at a time: bounds the memory of concurrent classifications (each holds
// a clip's spectrograms) without refusing requests; waiting ones are served in turn.
class Gate {
 public:
  explicit Gate(size_t limit) : free_(limit) {}
  void enter() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(m_);
    ++free_;
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  size_t free_;
};

int serve(const ServerOptions& o, const Predictor& predictor, const Predictor* tagger) {
  httplib::Server svr;
  const size_t threads = o.threads ? o.threads : std::max(2u, std::thread::hardware_concurrency());
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_payload_max_length(size_t(o.max_upload_mb) * 1024 * 1024);
  Gate gate(o.max_inflight ? o.max_inflight : std::max(1u, std::thread::hardware_concurrency()));

  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(detail::kIndexHtml, "text/html; charset=utf-8");
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, {{"status", "ok"}}); });
  svr.Get("/api/model", [&](const httplib::Request&, httplib::Response& res) { send_json(res, 200, predictor.describe()); });
  // One handler for /api/classify (the genre model) and /api/tag (the tagger): the same upload
  // rules, limits and errors.
  auto classify_with = [&](const Predictor& predictor, const httplib::Request& req, httplib::Response& res) {
    std::string name = "upload";
    const std::string* body = &req.body;
    httplib::MultipartFormData part;  // get_file_value returns a copy: keep it alive with `body`
    if (req.is_multipart_form_data()) {
      if (!req.has_file("file")) return send_error(res, 400, "multipart upload without a 'file' field");
      part = req.get_file_value("file");
      body = &part.content;
      if (!part.filename.empty()) name = part.filename;
    }
    if (body->empty()) return send_error(res, 400, "empty upload: send the audio as the body or as the form field 'file'");
    const bool timeline = req.get_param_value("timeline") == "1";
    const size_t top_k = req.has_param("top_k") ? size_t(std::max(1, std::atoi(req.get_param_value("top_k").c_str()))) : 3;
    // The spectrogram shows the first 60 s, taken from the samples the classification decodes.
    const bool spectrogram = req.get_param_value("spectrogram") == "1";
    const int sr = predictor.model().frontend.sample_rate;
    const size_t head_limit = spectrogram ? size_t(60 * sr) : 0;
    std::vector<float> head;
    auto keep_head = [&](const float* x, size_t n) {
      head.insert(head.end(), x, x + std::min(n, head_limit - head.size()));
    };
    gate.enter();
    Prediction p;
    try {
      p = predictor.predict_memory(body->data(), body->size(), name, timeline,
                                   spectrogram ? ChunkReader::SampleTap(keep_head) : ChunkReader::SampleTap());
    } catch (...) {
      gate.leave();
      throw;
    }
    gate.leave();
    if (!p.error.empty()) {
      // Nothing decodable at all is the wrong media type; decodable but unusable audio is unprocessable.
      return send_error(res, p.unreadable ? 415 : 422, p.error);
    }
    nlohmann::json j = predictor.to_json(p, top_k, timeline);
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
  svr.Post("/api/classify", [&](const httplib::Request& req, httplib::Response& res) { classify_with(predictor, req, res); });
  if (tagger)
    svr.Post("/api/tag", [&](const httplib::Request& req, httplib::Response& res) { classify_with(*tagger, req, res); });
  // Known paths with other methods: 405 with the allowed ones.
  auto not_allowed = [](const std::string& allow) {
    return [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      send_error(res, 405, req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
    };
  };
  for (const char* path : {"/", "/healthz", "/api/model"}) {
    svr.Post(path, not_allowed("GET"));
    svr.Put(path, not_allowed("GET"));
    svr.Delete(path, not_allowed("GET"));
  }
  svr.Get("/api/tag", not_allowed("POST"));
  svr.Get("/api/classify", not_allowed("POST"));
  svr.Put("/api/classify", not_allowed("POST"));
  svr.Delete("/api/classify", not_allowed("POST"));
  // Errors httplib raises itself (unknown path, body too large) become JSON too.
  svr.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send_error(res, 404, "no such page or endpoint: " + req.path);
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

  // SIGINT / SIGTERM: a thread waits for them and stops the server; requests in flight finish.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) svr.stop();
  });

  int port = o.port;
  const bool bound = port == 0 ? (port = svr.bind_to_any_port(o.host.c_str())) > 0 : svr.bind_to_port(o.host.c_str(), port);
  if (!bound) {
    std::fprintf(stderr, "genre: error: cannot listen on %s:%d\n", o.host.c_str(), o.port);
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
    return 1;
  }
  std::fprintf(stderr, "genre serve: listening on http://%s:%d/ (model %s, %zu threads)\n", o.host.c_str(), port,
               predictor.model().path.c_str(), threads);
  if (o.on_listening) o.on_listening();
  svr.listen_after_bind();
  // Wake the signal thread if the server stopped for another reason.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  std::fprintf(stderr, "genre serve: stopped\n");
  return 0;
}

}  // namespace genre
