// Block-wise decoding (libsndfile) -> mono downmix -> streaming resampling (libsoxr).
#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

#include "container_checks.h"
#include "genre/audio.h"

namespace genre {

AudioError::AudioError(const std::string& source, const std::string& reason, Kind kind)
    : std::runtime_error(source + ": " + reason), source_(source), reason_(reason), kind_(kind) {}

namespace {

constexpr sf_count_t kBlockFrames = 1 << 15;

// In-memory source for sf_open_virtual.
struct MemoryFile {
  const unsigned char* data = nullptr;
  sf_count_t size = 0;
  sf_count_t pos = 0;
};

sf_count_t mem_get_filelen(void* user) { return static_cast<MemoryFile*>(user)->size; }
sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
  m->pos = std::clamp<sf_count_t>(base + offset, 0, m->size);
  return m->pos;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t n = std::max<sf_count_t>(0, std::min(count, m->size - m->pos));
  if (n > 0) std::memcpy(ptr, m->data + m->pos, size_t(n));
  m->pos += n;
  return n;
}
sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

std::string format_name(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name) return fi.name;
  return "unknown";
}

// libsndfile opens a cut-off file by shortening its data to what is there, and says so only in its
// log, as "<chunk> : <declared> (should be <actual>)". A declared size above the actual one, by more
// than a pad byte, means the file was truncated. Streaming placeholders (0 or >= 2^31) are not.
bool log_reports_truncation(SNDFILE* sf) {
  char log[8192] = {0};
  sf_command(sf, SFC_GET_LOG_INFO, log, sizeof(log));
  for (const char* line = log; line && *line;) {
    const char* end = std::strchr(line, '\n');
    std::string l(line, end ? size_t(end - line) : std::strlen(line));
    auto colon = l.find(':');
    auto should = l.find("(should be ");
    if (colon != std::string::npos && should != std::string::npos && should > colon) {
      long long declared = std::atoll(l.c_str() + colon + 1);
      long long actual = std::atoll(l.c_str() + should + 11);
      if (declared > 0 && declared < 0x7FFFFFFFLL && declared - actual > 64) return true;
    }
    line = end ? end + 1 : nullptr;
  }
  return false;
}

}  // namespace

struct AudioStream::Impl {
  std::string source;
  AudioLimits limits;
  int fd = -1;                    // a file input, open while the container checks read it
  uint64_t file_size = 0;
  int64_t mp3_declared = -1;      // samples per channel from a Xing/Info header
  MemoryFile memory;
  SF_VIRTUAL_IO vio{};
  SNDFILE* sf = nullptr;
  SF_INFO sfinfo{};
  AudioInfo info;
  int target_sr = 0;
  soxr_t soxr = nullptr;
  std::vector<float> interleaved, mono, resampled;
  size_t resampled_pos = 0;  // first sample of `resampled` not handed out yet
  int64_t frames_in = 0;    // input frames decoded so far
  int64_t samples_out = 0;  // output samples handed out so far
  bool input_done = false;  // decoder reached its end
  bool flushed = false;     // resampler fully drained
  int64_t target_total = -1;  // ceil(frames_in * ratio), known once input_done

  ~Impl() {
    if (fd >= 0) ::close(fd);
    if (soxr) soxr_delete(soxr);
    if (sf) sf_close(sf);
  }

  [[noreturn]] void fail(const std::string& reason) const { throw AudioError(source, reason); }
  [[noreturn]] void unreadable(const std::string& reason) const {
    throw AudioError(source, reason, AudioError::Kind::Unreadable);
  }

  void open_checks() {
    if (!sf) {
      std::string why = sf_strerror(nullptr);
      unreadable("cannot decode (" + why + ")");
    }
    info.sample_rate = sfinfo.samplerate;
    info.channels = sfinfo.channels;
    info.frames = sfinfo.frames;
    info.format = format_name(sfinfo.format);
    if (sfinfo.samplerate <= 0) fail("invalid header: sample rate " + std::to_string(sfinfo.samplerate) + " Hz");
    if (sfinfo.channels <= 0) fail("invalid header: " + std::to_string(sfinfo.channels) + " channels");
    if (sfinfo.samplerate < limits.min_sample_rate || sfinfo.samplerate > limits.max_sample_rate)
      fail("invalid header: sample rate " + std::to_string(sfinfo.samplerate) + " Hz (genre accepts " +
           std::to_string(limits.min_sample_rate) + " to " + std::to_string(limits.max_sample_rate) + " Hz)");
    if (sfinfo.channels > limits.max_channels)
      fail("invalid header: " + std::to_string(sfinfo.channels) + " channels (at most " +
           std::to_string(limits.max_channels) + ")");
    if (log_reports_truncation(sf)) fail("truncated file: the header declares more audio than the file holds");
    if (sfinfo.frames == 0) fail("contains no audio (0 frames)");
    check_container();
    if (limits.max_seconds > 0 && sfinfo.frames != SF_COUNT_MAX &&
        double(sfinfo.frames) / sfinfo.samplerate > limits.max_seconds)
      fail(too_long(double(sfinfo.frames) / sfinfo.samplerate));
    if (target_sr <= 0) target_sr = sfinfo.samplerate;
    if (target_sr != sfinfo.samplerate) {
      soxr_error_t err = nullptr;
      soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
      soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);  // librosa's res_type='soxr_hq'
      soxr = soxr_create(double(sfinfo.samplerate), double(target_sr), 1, &err, &io, &q, nullptr);
      if (err) fail(std::string("cannot create resampler: ") + err);
    }
    interleaved.resize(size_t(kBlockFrames) * size_t(sfinfo.channels));
    mono.resize(size_t(kBlockFrames));
  }

  std::string too_long(double seconds) const {
    char b[160];
    std::snprintf(b, sizeof b, "too long: %.0f s of audio, the limit is %.0f s", seconds, limits.max_seconds);
    return b;
  }

  // The encoded input's own bytes, for the container checks: the memory buffer, or the file
  // through one descriptor held from open_path until the checks are done.
  detail::ReadAt reader() const {
    return [this](uint64_t offset, size_t n, unsigned char* out) -> size_t {
      if (fd < 0) {
        if (offset >= uint64_t(memory.size)) return 0;
        n = size_t(std::min<uint64_t>(n, uint64_t(memory.size) - offset));
        std::memcpy(out, memory.data + offset, n);
        return n;
      }
      size_t done = 0;
      while (done < n) {
        const ssize_t r = ::pread(fd, out + done, n - done, off_t(offset + done));
        if (r <= 0) break;
        done += size_t(r);
      }
      return done;
    };
  }

  // Truncated lossy streams that libsndfile would decode as shorter songs (container_checks.h).
  void check_container() {
    const int major = sfinfo.format & SF_FORMAT_TYPEMASK;
    if (major == SF_FORMAT_OGG) {
      const std::string why = detail::ogg_truncation(reader(), file_size);
      if (!why.empty()) fail(why);
    } else if (major == SF_FORMAT_MPEG) {
      mp3_declared = detail::mp3_declared_samples(reader(), file_size);
    }
  }

  // Before libsndfile sees an Ogg Vorbis input (container_checks.h: libsndfile 1.2.0 leaks on
  // headers it cannot parse).
  void check_vorbis_headers() {
    const std::string why = detail::vorbis_header_problem(reader(), file_size);
    if (!why.empty()) unreadable(why);
  }

  void open_path(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) unreadable(std::string("cannot open: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) unreadable("is a directory, not an audio file");
    if (!S_ISREG(st.st_mode)) unreadable("not a regular file (a pipe, socket or device)");
    if (st.st_size == 0) unreadable("empty file (0 bytes)");
    file_size = uint64_t(st.st_size);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) unreadable(std::string("cannot open: ") + std::strerror(errno));
    check_vorbis_headers();
    sf = sf_open(path.c_str(), SFM_READ, &sfinfo);
    open_checks();
    ::close(fd);
    fd = -1;
  }

  void open_memory(const void* data, size_t size) {
    if (size == 0) unreadable("empty file (0 bytes)");
    memory.data = static_cast<const unsigned char*>(data);
    memory.size = sf_count_t(size);
    file_size = size;
    check_vorbis_headers();
    vio = {mem_get_filelen, mem_seek, mem_read, mem_write, mem_tell};
    sf = sf_open_virtual(&vio, SFM_READ, &sfinfo, &memory);
    open_checks();
  }

  double ratio() const { return double(target_sr) / double(sfinfo.samplerate); }

  // Decodes one block into `mono`; returns the number of frames (0 at the end).
  size_t decode_block() {
    sf_count_t got = sf_readf_float(sf, interleaved.data(), kBlockFrames);
    if (got < 0) got = 0;
    if (got < kBlockFrames) {
      int err = sf_error(sf);
      if (err != SF_ERR_NO_ERROR) fail(std::string("corrupt data after ") + std::to_string(frames_in + got) +
                                        " frames (" + sf_error_number(err) + ")");
    }
    const int ch = sfinfo.channels;
    check_samples(size_t(got) * size_t(ch));
    if (ch == 1) {
      std::copy_n(interleaved.begin(), size_t(got), mono.begin());
    } else {
      for (sf_count_t i = 0; i < got; ++i) {
        const float* f = &interleaved[size_t(i) * ch];
        float s = 0.f;
        for (int c = 0; c < ch; ++c) s += f[c];
        mono[size_t(i)] = s / float(ch);  // librosa.to_mono: mean over channels
      }
    }
    frames_in += got;
    if (limits.max_seconds > 0 && double(frames_in) / sfinfo.samplerate > limits.max_seconds)
      fail(too_long(double(frames_in) / sfinfo.samplerate));
    return size_t(got);
  }

  // Float files can hold anything: NaN, Inf or absurd magnitudes are corrupt data, and would
  // come out as NaN probabilities. They are an error naming the first bad frame.
  void check_samples(size_t n) const {
    const float bound = limits.max_abs_sample;
    for (size_t i = 0; i < n; ++i) {
      const float v = interleaved[i];
      if (!(std::fabs(v) <= bound)) {
        const int64_t frame = frames_in + int64_t(i / size_t(sfinfo.channels));
        fail(std::string(std::isfinite(v) ? "sample value out of range" : "non-finite sample (NaN or Inf)") +
             " at frame " + std::to_string(frame) + ": corrupt data");
      }
    }
  }

  void finish_input() {
    input_done = true;
    if (frames_in == 0) fail("contains no audio (0 frames could be decoded)");
    bool exact_count = (sfinfo.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;
    if (exact_count && sfinfo.frames > 0 && sfinfo.frames != SF_COUNT_MAX && frames_in < sfinfo.frames)
      fail("truncated file: header declares " + std::to_string(sfinfo.frames) + " frames, only " +
           std::to_string(frames_in) + " could be decoded");
    // MP3: the Xing/Info header's count, less the encoder delay and padding (at most a few frames).
    if (mp3_declared > 0 && frames_in + 4 * 1152 < mp3_declared)
      fail("truncated file: the MP3 header declares " + std::to_string(mp3_declared) + " samples, only " +
           std::to_string(frames_in) + " could be decoded");
    target_total = soxr ? int64_t(std::ceil(double(frames_in) * ratio())) : frames_in;
  }

  size_t read(std::vector<float>& out, size_t max_samples) {
    size_t appended = 0;
    while (appended < max_samples && !flushed) {
      // Serve what the resampler already produced.
      if (resampled_pos < resampled.size()) {
        size_t n = std::min(max_samples - appended, resampled.size() - resampled_pos);
        if (input_done) n = size_t(std::min<int64_t>(int64_t(n), target_total - samples_out));
        auto first = resampled.begin() + long(resampled_pos);
        out.insert(out.end(), first, first + long(n));
        resampled_pos += n;
        appended += n;
        samples_out += int64_t(n);
        if (input_done && samples_out >= target_total) flushed = true;
        continue;
      }
      resampled_pos = 0;
      if (input_done) {
        if (!soxr) { flushed = true; break; }
        // Drain the resampler's tail, then pad with zeros to librosa's length ceil(N * ratio).
        size_t room = size_t(std::max<int64_t>(0, target_total - samples_out)) + 64;
        resampled.resize(room);
        size_t odone = 0;
        soxr_error_t err = soxr_process(soxr, nullptr, 0, nullptr, resampled.data(), room, &odone);
        if (err) fail(std::string("resampler: ") + err);
        resampled.resize(odone);
        if (odone == 0) {
          int64_t missing = target_total - samples_out;
          if (missing <= 0) { flushed = true; break; }
          resampled.assign(size_t(missing), 0.f);
        }
        continue;
      }
      size_t got = decode_block();
      if (got == 0) { finish_input(); continue; }
      if (!soxr) {
        resampled.assign(mono.begin(), mono.begin() + long(got));
        continue;
      }
      size_t room = size_t(std::ceil(double(got) * ratio())) + 64;
      resampled.resize(room);
      size_t idone = 0, odone = 0;
      soxr_error_t err = soxr_process(soxr, mono.data(), got, &idone, resampled.data(), room, &odone);
      if (err) fail(std::string("resampler: ") + err);
      resampled.resize(odone);
    }
    return appended;
  }
};

AudioStream::AudioStream(const std::string& path, int target_sr, const AudioLimits& limits)
    : impl_(std::make_unique<Impl>()) {
  impl_->source = path;
  impl_->target_sr = target_sr;
  impl_->limits = limits;
  try {
    impl_->open_path(path);
  } catch (const std::bad_alloc&) {
    throw AudioError(path, "out of memory while opening");
  }
}

AudioStream::AudioStream(const void* data, size_t size, int target_sr, const std::string& name,
                         const AudioLimits& limits)
    : impl_(std::make_unique<Impl>()) {
  impl_->source = name;
  impl_->target_sr = target_sr;
  impl_->limits = limits;
  try {
    impl_->open_memory(data, size);
  } catch (const std::bad_alloc&) {
    throw AudioError(name, "out of memory while opening");
  }
}

AudioStream::~AudioStream() = default;

size_t AudioStream::read(std::vector<float>& out, size_t max_samples) {
  try {
    return impl_->read(out, max_samples);
  } catch (const std::bad_alloc&) {
    throw AudioError(impl_->source, "out of memory after " + std::to_string(impl_->frames_in) + " decoded frames");
  }
}
const AudioInfo& AudioStream::info() const { return impl_->info; }
int AudioStream::sample_rate() const { return impl_->target_sr; }
const std::string& AudioStream::source() const { return impl_->source; }
int64_t AudioStream::expected_samples() const {
  const auto& i = impl_->info;
  if (i.frames <= 0 || i.frames == SF_COUNT_MAX) return -1;
  return impl_->soxr ? int64_t(std::ceil(double(i.frames) * impl_->ratio())) : i.frames;
}

namespace {
Audio read_all(AudioStream& stream) {
  Audio audio;
  audio.sample_rate = stream.sample_rate();
  int64_t expected = stream.expected_samples();
  // Reserve the exact output size up front, so that growth never holds two copies (up to 2^25
  // samples: a header's claim is not trusted with more before the audio is there).
  if (expected > 0) audio.samples.reserve(size_t(std::min<int64_t>(expected, int64_t(1) << 25)) + 16);
  while (stream.read(audio.samples, size_t(1) << 16) > 0) {
  }
  return audio;
}
}  // namespace

Audio load_audio(const std::string& path, int target_sr, const AudioLimits& limits) {
  AudioStream stream(path, target_sr, limits);
  return read_all(stream);
}

Audio load_audio_from_memory(const void* data, size_t size, int target_sr, const std::string& name,
                             const AudioLimits& limits) {
  AudioStream stream(data, size, target_sr, name, limits);
  return read_all(stream);
}

AudioInfo audio_info(const std::string& path) {
  AudioStream stream(path, 0);
  return stream.info();
}

const std::vector<std::string>& audio_extensions() {
  static const std::vector<std::string> exts = {".wav", ".au",   ".snd", ".flac", ".ogg", ".oga",
                                                ".opus", ".mp3", ".aif", ".aiff", ".w64", ".caf"};
  return exts;
}

bool has_audio_extension(const std::string& path) {
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const auto& all = audio_extensions();
  return std::find(all.begin(), all.end(), ext) != all.end();
}

}  // namespace genre
