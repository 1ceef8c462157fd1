#include "genre/png.h"
#include "genre/atomic_file.h"

#include <png.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace genre {

Image read_png(const std::string& path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str()))
    throw std::runtime_error(path + ": not a readable PNG (" + img.message + ")");
  img.format = PNG_FORMAT_RGBA;
  Image out;
  out.width = int(img.width);
  out.height = int(img.height);
  out.channels = 4;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw std::runtime_error(path + ": corrupt PNG (" + msg + ")");
  }
  return out;
}

namespace {
png_image describe(const Image& image) {
  if (image.channels != 3 && image.channels != 4) throw std::invalid_argument("png: 3 or 4 channels");
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = png_uint_32(image.width);
  img.height = png_uint_32(image.height);
  img.format = image.channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  return img;
}
}  // namespace

void write_png(const std::string& path, const Image& image) {
  png_image img = describe(image);
  write_atomically(path, [&](const std::string& tmp) {
    if (!png_image_write_to_file(&img, tmp.c_str(), 0, image.pixels.data(), 0, nullptr))
      throw std::runtime_error(path + ": cannot write PNG (" + img.message + ")");
  });
}

std::vector<uint8_t> encode_png(const Image& image) {
  png_image img = describe(image);
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("cannot encode PNG: ") + img.message);
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("cannot encode PNG: ") + img.message);
  out.resize(size);
  return out;
}

}  // namespace genre
