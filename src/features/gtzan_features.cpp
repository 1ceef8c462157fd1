#include "genre/gtzan_features.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "genre/chroma.h"
#include "genre/hpss.h"
#include "genre/mel.h"
#include "genre/rhythm.h"
#include "genre/spectral.h"
#include "genre/spectrum.h"
#include "sums.h"

namespace genre {

const std::vector<std::string>& gtzan_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const char* base : {"chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff",
                             "zero_crossing_rate", "harmony", "perceptr"}) {
      n.push_back(std::string(base) + "_mean");
      n.push_back(std::string(base) + "_var");
    }
    n.push_back("tempo");
    for (int i = 1; i <= 20; ++i) {
      n.push_back("mfcc" + std::to_string(i) + "_mean");
      n.push_back("mfcc" + std::to_string(i) + "_var");
    }
    return n;
  }();
  return names;
}

std::vector<std::string> gtzan_csv_header() {
  std::vector<std::string> h = {"filename", "length"};
  const auto& f = gtzan_feature_names();
  h.insert(h.end(), f.begin(), f.end());
  h.push_back("label");
  return h;
}

namespace {

// Population mean and variance (numpy mean / var with ddof=0), accumulated in double.
template <class C>
void push_mean_var(std::vector<double>& out, const C& c) {
  const size_t n = c.size();
  const auto* x = c.data();
  const double mean = n ? detail::sum_of(n, [x](size_t i) { return double(x[i]); }) / double(n) : 0.0;
  const double sq = detail::sum_of(n, [x, mean](size_t i) { return (double(x[i]) - mean) * (double(x[i]) - mean); });
  out.push_back(mean);
  out.push_back(n ? sq / double(n) : 0.0);
}

}  // namespace

std::vector<double> gtzan_features(const std::vector<float>& y, double sr) {
  if (y.empty()) throw std::invalid_argument("gtzan_features: empty signal");
  const StftParams sp;  // n_fft 2048, hop 512, centred, reflect padding
  std::vector<double> out;
  out.reserve(kGtzanFeatureCount);
  // The spectrograms live only as long as they are needed (genre serve computes two rows at once):
  // the power spectrogram until chroma and the mel bands are made, D and |D| until the HPSS.
  Matrix mel_db;  // one dB mel spectrogram (128 bands, 0 .. sr/2, Slaney): onset envelope and MFCCs
  {
    const ComplexMatrix D = stft(y, sp);
    const Matrix magnitude = spectrogram(D, 1.0);
    {
      const Matrix power = squared(magnitude);
      push_mean_var(out, chroma_stft(power, sr).data);
      mel_db = MelFilterBank(sr, sp.n_fft).apply(power);
    }
    push_mean_var(out, rms(y));
    const auto centroid = spectral_centroid(magnitude, sr);
    push_mean_var(out, centroid);
    push_mean_var(out, spectral_bandwidth(magnitude, sr, centroid));
    push_mean_var(out, spectral_rolloff(magnitude, sr));
    push_mean_var(out, zero_crossing_rate(y));
    const HpssSignals hp = hpss(D, magnitude, y.size(), {}, sp);
    push_mean_var(out, hp.harmonic);
    push_mean_var(out, hp.percussive);
  }
  power_to_db(mel_db);
  TempoParams tp;
  tp.hop_length = sp.hop_length;
  out.push_back(tempo(onset_strength(mel_db, Aggregate::Median, 1, sp.n_fft, sp.hop_length), sr, tp));
  const Matrix cc = mfcc_from_db(mel_db, 20);
  std::vector<float> column(cc.rows);
  for (size_t i = 0; i < 20; ++i) {
    for (size_t t = 0; t < cc.rows; ++t) column[t] = cc(t, i);
    push_mean_var(out, column);
  }
  return out;
}

std::vector<FeatureRow> gtzan_feature_rows(const std::vector<float>& y, double sr, const std::string& filename,
                                           const std::string& label, double segment_seconds) {
  std::vector<FeatureRow> rows;
  if (segment_seconds <= 0) {
    rows.push_back({filename, y.size(), gtzan_features(y, sr), label});
    return rows;
  }
  const size_t seg = size_t(std::llround(segment_seconds * sr));
  if (seg == 0) throw std::invalid_argument("segment shorter than one sample");
  for (size_t i = 0; (i + 1) * seg <= y.size(); ++i) {
    std::vector<float> part(y.begin() + long(i * seg), y.begin() + long((i + 1) * seg));
    rows.push_back({segment_name(filename, i), seg, gtzan_features(part, sr), label});
  }
  return rows;
}

std::string segment_name(const std::string& filename, size_t i) {
  const auto dot = filename.find_last_of('.');
  const std::string stem = dot == std::string::npos ? filename : filename.substr(0, dot);
  const std::string ext = dot == std::string::npos ? "" : filename.substr(dot);
  return stem + "." + std::to_string(i) + ext;
}

std::string to_csv_line(const FeatureRow& row) {
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string line = quoted(row.filename) + "," + std::to_string(row.length);
  char buf[40];
  for (double v : row.values) {
    std::snprintf(buf, sizeof buf, ",%.17g", v);
    line += buf;
  }
  return line + "," + quoted(row.label);
}

}  // namespace genre
