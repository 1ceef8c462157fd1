// The bad-file corpus of issue 11, generated at test time: every file here must be refused with
// an AudioError whose reason contains `reason`, quickly and in bounded memory. Used by test_audio
// (the library) and test_cli (genre predict over the whole folder).
#pragma once

#include <sys/stat.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "test_util.h"

namespace genre::test {

struct BadFile {
  std::string name, reason;
};

inline void put_le32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + size_t(i)] = char(v >> (8 * i));
}
inline void put_be32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + size_t(i)] = char(v >> (24 - 8 * i));
}

// Writes the corpus into dir; returns what each file must be refused for.
inline std::vector<BadFile> make_bad_corpus(const TempDir& dir) {
  std::vector<BadFile> out;
  const auto tone = sine(440, 22050, 22050 * 3, 0.4);
  auto add = [&](const std::string& name, const std::string& bytes, const std::string& reason) {
    write_bytes(dir.file(name), bytes);
    out.push_back({name, reason});
  };
  // A 65 KB WAV whose header says 1 Hz (2 Hz), and an AU that says 2 Hz: once resampled to
  // 22050 Hz these took gigabytes.
  const std::string wav = read_bytes(write_audio(dir.file("tmp.wav"), tone, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  for (uint32_t hz : {1u, 2u}) {
    std::string w = wav;
    put_le32(w, 24, hz);        // sample rate
    put_le32(w, 28, hz * 2);    // byte rate
    add("rate_" + std::to_string(hz) + "hz.wav", w, "sample rate");
  }
  std::string au = read_bytes(write_audio(dir.file("tmp.au"), tone, 22050, 1, SF_FORMAT_AU | SF_FORMAT_PCM_16));
  put_be32(au, 16, 2);
  add("rate_2hz.au", au, "sample rate");
  // 100 channels.
  std::vector<float> many(100 * 200, 0.1f);
  write_audio(dir.file("channels_100.wav"), many, 22050, 100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  out.push_back({"channels_100.wav", "channels"});
  // Float files of NaN, Inf and absurd magnitudes.
  for (auto [name, value, reason] : {std::tuple<const char*, float, const char*>{"nan.wav", std::numeric_limits<float>::quiet_NaN(), "non-finite"},
                                     {"inf.wav", std::numeric_limits<float>::infinity(), "non-finite"},
                                     {"huge.wav", 1e30f, "out of range"}}) {
    std::vector<float> y = tone;
    for (size_t i = 1000; i < y.size(); i += 7) y[i] = value;
    write_audio(dir.file(name), y, 22050, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    out.push_back({name, reason});
  }
  // Truncated lossy streams: Vorbis cut mid-page and at a page boundary, Opus cut mid-page.
  const std::string vorbis = read_bytes(write_audio(dir.file("tmp.ogg"), noise(22050 * 8, 0.2), 22050, 1, SF_FORMAT_OGG | SF_FORMAT_VORBIS));
  add("cut_mid_page.ogg", vorbis.substr(0, vorbis.size() * 6 / 10), "truncated");
  const size_t last_page = vorbis.rfind("OggS");
  add("cut_at_page.ogg", vorbis.substr(0, last_page), "truncated");
  // Damaged Vorbis headers (the second page holds the comment and setup headers): refused before
  // libsndfile, which leaks memory on them.
  std::string bad_headers = vorbis;
  const size_t second_page = vorbis.find("OggS", 4);
  for (size_t i = second_page + 60; i < second_page + 400 && i < bad_headers.size(); ++i) bad_headers[i] = char(0x5a);
  add("bad_headers.ogg", bad_headers, "corrupt Ogg Vorbis");
  const std::string opus = read_bytes(write_audio(dir.file("tmp.opus"), noise(48000 * 8, 0.2), 48000, 1, SF_FORMAT_OGG | SF_FORMAT_OPUS));
  add("cut.opus", opus.substr(0, opus.size() * 6 / 10), "truncated");
  const std::string mp3 = read_bytes(write_audio(dir.file("tmp.mp3"), noise(44100 * 8, 0.2), 44100, 1, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III));
  add("cut.mp3", mp3.substr(0, mp3.size() / 2), "truncated");
  add("cut.wav", wav.substr(0, wav.size() / 2), "truncated");
  add("empty.wav", "", "empty file");
  add("garbage.mp3", std::string(3000, 'x'), "cannot decode");
  // A FIFO named on the command line: refused at once, not read (it would block).
  ::mkfifo(dir.file("fifo.wav").c_str(), 0600);
  out.push_back({"fifo.wav", "not a regular file"});
  for (const char* tmp : {"tmp.wav", "tmp.au", "tmp.ogg", "tmp.opus", "tmp.mp3"}) std::remove(dir.file(tmp).c_str());
  return out;
}

}  // namespace genre::test
