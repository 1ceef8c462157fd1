// The 57 per-clip features of GTZAN's Kaggle tables (features_30_sec.csv / features_3_sec.csv),
// computed as librosa 0.7 did: chroma_stft, rms, spectral centroid / bandwidth / rolloff,
// zero-crossing rate, harmonic / percussive signals (HPSS), tempo, 20 MFCCs; mean and variance each.
#pragma once

#include <string>
#include <vector>

namespace genre {

constexpr size_t kGtzanFeatureCount = 57;

// The 57 feature column names in the Kaggle order (chroma_stft_mean ... mfcc20_var).
const std::vector<std::string>& gtzan_feature_names();
// The full CSV header: filename, length, the 57 features, label.
std::vector<std::string> gtzan_csv_header();

// One row of features for a signal at sample rate sr (22050 for GTZAN).
std::vector<double> gtzan_features(const std::vector<float>& y, double sr);

struct FeatureRow {
  std::string filename;  // e.g. blues.00000.wav, or blues.00000.3.wav for the 4th segment
  size_t length = 0;     // samples
  std::vector<double> values;
  std::string label;
};

// features_3_sec.csv's name of segment i of a file: "blues.00000.wav" -> "blues.00000.3.wav".
std::string segment_name(const std::string& filename, size_t i);

// Rows for a decoded clip: one for the whole clip (segment_seconds <= 0) or one per complete
// segment of segment_seconds (features_3_sec.csv: segment i is named <stem>.<i>.<ext>).
std::vector<FeatureRow> gtzan_feature_rows(const std::vector<float>& y, double sr, const std::string& filename,
                                           const std::string& label, double segment_seconds = 0.0);

// CSV text of a row, values printed with enough digits to round-trip.
std::string to_csv_line(const FeatureRow& row);

}  // namespace genre
