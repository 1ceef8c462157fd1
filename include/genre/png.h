// PNG files through libpng: 8-bit RGB(A) images in memory, read and written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genre {

struct Image {
  int width = 0, height = 0, channels = 3;  // 3: RGB, 4: RGBA
  std::vector<uint8_t> pixels;              // row-major, interleaved
  uint8_t* at(int x, int y) { return &pixels[(size_t(y) * size_t(width) + size_t(x)) * size_t(channels)]; }
  const uint8_t* at(int x, int y) const { return &pixels[(size_t(y) * size_t(width) + size_t(x)) * size_t(channels)]; }
};

// Reads any PNG as 8-bit RGBA; throws std::runtime_error naming the file and the reason.
Image read_png(const std::string& path);
// Writes RGB or RGBA; throws std::runtime_error on failure.
void write_png(const std::string& path, const Image& image);
// Encodes to memory (for the web server).
std::vector<uint8_t> encode_png(const Image& image);

}  // namespace genre
