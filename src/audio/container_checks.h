// What a lossy container says about its own length, read from its bytes (libsndfile decodes a
// cut-off Ogg or MP3 file as a shorter song and does not say so):
//   Ogg (Vorbis, Opus, FLAC-in-Ogg): the last page must be complete (its CRC checks) and carry
//     the end-of-stream flag;
//   MP3: the Xing/Info (or VBRI) header of the first frame declares the number of frames.
// Internal to src/audio (audio_stream.cpp and its tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace genre::detail {

// Reads up to n bytes at offset into out; returns how many were read.
using ReadAt = std::function<size_t(uint64_t offset, size_t n, unsigned char* out)>;

// Empty if the Ogg stream of `size` bytes ends properly, else the reason it is truncated.
std::string ogg_truncation(const ReadAt& read_at, uint64_t size);

// Empty if the input is not Ogg Vorbis or its three Vorbis headers parse (with libvorbis, as
// libsndfile parses them), else the reason. Checked before libsndfile opens the input: libsndfile
// 1.2.0 leaks 5.8 KB (libvorbis's codec setup) whenever these headers fail to parse, so a server
// fed such uploads would grow without bound.
std::string vorbis_header_problem(const ReadAt& read_at, uint64_t size);

// Samples per channel the MP3's Xing/Info/VBRI header declares (frames x samples per frame),
// or -1 when the file has no such header (plain CBR: its length is only an estimate).
int64_t mp3_declared_samples(const ReadAt& read_at, uint64_t size);

}  // namespace genre::detail
