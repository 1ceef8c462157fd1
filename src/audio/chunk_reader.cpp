#include <algorithm>
#include <cmath>

#include "genre/audio.h"

namespace genre {

bool keep_window(size_t available, size_t chunk_len, bool first_window, double min_fraction) {
  if (available == 0) return false;
  if (available >= chunk_len || first_window) return true;
  return double(available) >= min_fraction * double(chunk_len);
}

void loop_to_fill(std::vector<float>& chunk, size_t valid) {
  if (valid == 0) return;
  for (size_t i = valid; i < chunk.size(); ++i) chunk[i] = chunk[i % valid];
}

std::vector<std::vector<float>> chunk_audio(const std::vector<float>& samples, int sample_rate,
                                            const ChunkParams& params) {
  const size_t chunk_len = size_t(std::llround(params.chunk_seconds * sample_rate));
  const size_t hop_len = size_t(std::llround(params.hop_seconds * sample_rate));
  if (chunk_len == 0 || hop_len == 0) throw std::invalid_argument("chunk_audio: chunk and hop must be positive");
  std::vector<std::vector<float>> out;
  for (size_t start = 0; start < samples.size(); start += hop_len) {
    size_t available = samples.size() - start;
    if (!keep_window(available, chunk_len, out.empty(), params.min_fraction)) break;
    std::vector<float> w(chunk_len, 0.f);
    std::copy_n(samples.begin() + long(start), std::min(available, chunk_len), w.begin());
    if (params.loop_short && out.empty() && available < chunk_len) loop_to_fill(w, available);
    out.push_back(std::move(w));
  }
  return out;
}

ChunkReader::ChunkReader(std::unique_ptr<AudioStream> stream, ChunkParams params)
    : stream_(std::move(stream)), params_(params) {
  const double sr = stream_->sample_rate();
  if (params_.chunk_seconds <= 0 || params_.hop_seconds <= 0)
    throw std::invalid_argument("ChunkReader: chunk and hop must be positive");
  chunk_len_ = size_t(std::llround(params_.chunk_seconds * sr));
  hop_len_ = size_t(std::llround(params_.hop_seconds * sr));
  if (chunk_len_ == 0 || hop_len_ == 0) throw std::invalid_argument("ChunkReader: chunk shorter than a sample");
}

ChunkReader::ChunkReader(const std::string& path, ChunkParams params, int target_sr)
    : ChunkReader(std::make_unique<AudioStream>(path, target_sr), params) {}

bool ChunkReader::next(std::vector<float>& chunk, double* start_seconds, size_t* valid) {
  // Fill the buffer until it covers [next_start_, next_start_ + chunk_len_) or the stream ends.
  const int64_t need_end = next_start_ + int64_t(chunk_len_);
  while (!eof_ && buffer_start_ + int64_t(buffer_.size()) < need_end) {
    size_t want = size_t(need_end - (buffer_start_ + int64_t(buffer_.size())));
    const size_t got = stream_->read(buffer_, std::max<size_t>(want, 1 << 14));
    if (got == 0) eof_ = true;
    else if (tap_) tap_(buffer_.data() + buffer_.size() - got, got);
  }
  const int64_t available = buffer_start_ + int64_t(buffer_.size()) - next_start_;
  if (available <= 0 || !keep_window(size_t(available), chunk_len_, !emitted_, params_.min_fraction)) return false;
  chunk.assign(chunk_len_, 0.f);
  const size_t offset = size_t(next_start_ - buffer_start_);
  const size_t n = size_t(std::min<int64_t>(available, int64_t(chunk_len_)));
  std::copy_n(buffer_.begin() + long(offset), n, chunk.begin());
  if (params_.loop_short && !emitted_ && n < chunk_len_) loop_to_fill(chunk, n);
  if (start_seconds) *start_seconds = double(next_start_) / stream_->sample_rate();
  if (valid) *valid = n;
  emitted_ = true;
  next_start_ += int64_t(hop_len_);
  // Drop samples no later window needs.
  if (next_start_ > buffer_start_) {
    size_t drop = size_t(std::min<int64_t>(next_start_ - buffer_start_, int64_t(buffer_.size())));
    buffer_.erase(buffer_.begin(), buffer_.begin() + long(drop));
    buffer_start_ += int64_t(drop);
  }
  return true;
}

}  // namespace genre
