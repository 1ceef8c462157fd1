#include "container_checks.h"

#include <ogg/ogg.h>
#include <vorbis/codec.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace genre::detail {

namespace {

// Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, computed with the CRC
// field zeroed (RFC 3533).
uint32_t ogg_crc(const unsigned char* p, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t r = i << 24;
      for (int k = 0; k < 8; ++k) r = r & 0x80000000u ? (r << 1) ^ 0x04c11db7u : r << 1;
      t[i] = r;
    }
    return t;
  }();
  uint32_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char b = (i >= 22 && i < 26) ? 0 : p[i];
    crc = (crc << 8) ^ table[((crc >> 24) ^ b) & 0xff];
  }
  return crc;
}

constexpr size_t kOggHeader = 27;
constexpr size_t kMaxOggPage = kOggHeader + 255 + 255 * 255;

// Length of the page starting at buf[pos] (header + segment table + body) if its header is
// readable within n bytes; 0 when not even the header is there.
size_t ogg_page_length(const unsigned char* buf, size_t n, size_t pos) {
  if (pos + kOggHeader > n) return 0;
  const size_t segments = buf[pos + 26];
  if (pos + kOggHeader + segments > n) return 0;
  size_t body = 0;
  for (size_t i = 0; i < segments; ++i) body += buf[pos + kOggHeader + i];
  return kOggHeader + segments + body;
}

bool is_capture(const unsigned char* p) { return std::memcmp(p, "OggS", 4) == 0 && p[4] == 0; }

}  // namespace

std::string ogg_truncation(const ReadAt& read_at, uint64_t size) {
  // The tail holds at least two maximal pages: enough to find a complete page and walk to the end.
  const size_t want = size_t(std::min<uint64_t>(size, 2 * kMaxOggPage + 1024));
  std::vector<unsigned char> buf(want);
  const size_t n = read_at(size - want, want, buf.data());
  if (n != want) return "";  // cannot read the tail: let the decoder speak
  // The first CRC-valid page in the tail, then page after page to the end.
  size_t pos = 0;
  for (; pos + kOggHeader <= n; ++pos) {
    if (!is_capture(&buf[pos])) continue;
    const size_t len = ogg_page_length(buf.data(), n, pos);
    if (len == 0 || pos + len > n) continue;
    const uint32_t stored = uint32_t(buf[pos + 22]) | uint32_t(buf[pos + 23]) << 8 | uint32_t(buf[pos + 24]) << 16 |
             uint32_t(buf[pos + 25]) << 24;
    if (ogg_crc(&buf[pos], len) == stored) break;
  }
  if (pos + kOggHeader > n) return "";  // no complete page in the tail: not ours to judge
  bool last_eos = false;
  while (pos < n) {
    if (n - pos < 4 ? std::memcmp(&buf[pos], "OggS", n - pos) == 0 : is_capture(&buf[pos])) {
      const size_t len = ogg_page_length(buf.data(), n, pos);
      if (len == 0 || pos + len > n) return "truncated file: the last Ogg page is cut off";
      last_eos = (buf[pos + 5] & 0x04) != 0;
      pos += len;
    } else {
      break;  // trailing bytes that are not Ogg (a tag appended by some tool): judge by the last page
    }
  }
  if (!last_eos) return "truncated file: the Ogg stream ends without its end-of-stream page";
  return "";
}

std::string vorbis_header_problem(const ReadAt& read_at, uint64_t size) {
  unsigned char magic[4];
  if (read_at(0, 4, magic) != 4 || std::memcmp(magic, "OggS", 4) != 0) return "";
  ogg_sync_state sync;
  ogg_sync_init(&sync);
  ogg_stream_state stream{};
  bool stream_open = false;
  vorbis_info info;
  vorbis_comment comment;
  vorbis_info_init(&info);
  vorbis_comment_init(&comment);
  int headers = 0;  // Vorbis header packets accepted so far (3 make a stream)
  bool vorbis = true;
  std::string problem;
  uint64_t offset = 0;
  const uint64_t limit = std::min<uint64_t>(size, uint64_t(4) << 20);  // headers are in the first pages
  while (headers < 3 && vorbis && problem.empty()) {
    ogg_page page;
    const int got = ogg_sync_pageout(&sync, &page);
    if (got == 0) {
      if (offset >= limit) {
        problem = "corrupt Ogg Vorbis file: its headers are incomplete";
        break;
      }
      const size_t n = size_t(std::min<uint64_t>(4096, limit - offset));
      char* buf = ogg_sync_buffer(&sync, long(n));
      const size_t read = read_at(offset, n, reinterpret_cast<unsigned char*>(buf));
      ogg_sync_wrote(&sync, long(read));
      offset += n;
      if (read == 0) offset = limit;
      continue;
    }
    if (got < 0) continue;  // skipped bytes before a page
    if (!stream_open) {
      ogg_stream_init(&stream, ogg_page_serialno(&page));
      stream_open = true;
    }
    if (ogg_page_serialno(&page) != stream.serialno) continue;  // another logical stream
    ogg_stream_pagein(&stream, &page);
    ogg_packet packet;
    while (headers < 3 && ogg_stream_packetout(&stream, &packet) > 0) {
      if (headers == 0 && !(packet.bytes >= 7 && std::memcmp(packet.packet, "\x01vorbis", 7) == 0)) {
        vorbis = false;  // Opus, FLAC or something else: not this check's to judge
        break;
      }
      if (vorbis_synthesis_headerin(&info, &comment, &packet) != 0) {
        problem = "corrupt Ogg Vorbis file: header " + std::to_string(headers + 1) + " of 3 does not parse";
        break;
      }
      ++headers;
    }
  }
  vorbis_comment_clear(&comment);
  vorbis_info_clear(&info);
  if (stream_open) ogg_stream_clear(&stream);
  ogg_sync_clear(&sync);
  return problem;
}

int64_t mp3_declared_samples(const ReadAt& read_at, uint64_t size) {
  unsigned char head[10];
  uint64_t offset = 0;
  // Skip ID3v2 tags (there may be several).
  while (read_at(offset, 10, head) == 10 && std::memcmp(head, "ID3", 3) == 0) {
    const uint64_t tag = (uint64_t(head[6] & 0x7f) << 21) | (uint64_t(head[7] & 0x7f) << 14) |
                         (uint64_t(head[8] & 0x7f) << 7) | uint64_t(head[9] & 0x7f);
    offset += 10 + tag + ((head[5] & 0x10) ? 10 : 0);
    if (offset >= size) return -1;
  }
  std::vector<unsigned char> buf(4096);
  const size_t n = read_at(offset, buf.size(), buf.data());
  size_t p = 0;
  for (; p + 4 <= n; ++p)
    if (buf[p] == 0xff && (buf[p + 1] & 0xe0) == 0xe0 && ((buf[p + 1] >> 1) & 3) == 1 /* layer III */ &&
        ((buf[p + 1] >> 3) & 3) != 1 /* reserved version */ && ((buf[p + 2] >> 2) & 3) != 3 /* reserved rate */)
      break;
  if (p + 4 > n) return -1;
  const int version = (buf[p + 1] >> 3) & 3;  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const bool mono = ((buf[p + 3] >> 6) & 3) == 3;
  const int64_t per_frame = version == 3 ? 1152 : 576;
  const size_t side = version == 3 ? (mono ? 17 : 32) : (mono ? 9 : 17);
  auto be32 = [&](size_t at) {
    return uint32_t(buf[at]) << 24 | uint32_t(buf[at + 1]) << 16 | uint32_t(buf[at + 2]) << 8 | uint32_t(buf[at + 3]);
  };
  const size_t xing = p + 4 + side;
  if (xing + 12 <= n && (std::memcmp(&buf[xing], "Xing", 4) == 0 || std::memcmp(&buf[xing], "Info", 4) == 0)) {
    if (!(be32(xing + 4) & 1)) return -1;  // no frame count
    return int64_t(be32(xing + 8)) * per_frame;
  }
  const size_t vbri = p + 4 + 32;
  if (vbri + 18 <= n && std::memcmp(&buf[vbri], "VBRI", 4) == 0) return int64_t(be32(vbri + 14)) * per_frame;
  return -1;
}

}  // namespace genre::detail
