// Small raster plots written as PNG through libpng: training curves, labelled heat maps
// (confusion matrices) and spectrogram images (magma colour map), with an embedded 5x7 bitmap
// font, so that reports need no plotting library.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "genre/png.h"

namespace genre {

using Rgb = std::array<uint8_t, 3>;

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = {255, 255, 255});
  void rect(int x, int y, int w, int h, Rgb c);
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  // An RGB(A) image with its top-left corner at (x, y), clipped to the canvas (alpha ignored).
  void paste(int x, int y, const Image& img);
  // Text with its top-left corner at (x, y); scale 1 = 5x7 pixel glyphs on a 6-pixel advance.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1);
  static int text_width(const std::string& s, int scale = 1) { return int(s.size()) * 6 * scale; }
  const Image& image() const { return img_; }
  Image& image() { return img_; }

 private:
  Image img_;
};

// matplotlib's magma colour map at t in [0, 1].
Rgb magma(double t);

struct Series {
  std::string name;
  std::vector<double> y;
  Rgb color;
};
// Line charts over a shared x axis (1..n), one panel per group, side by side.
Image line_charts(const std::vector<std::pair<std::string, std::vector<Series>>>& panels, const std::string& x_label);

// A labelled heat map of a square count matrix (rows true, columns predicted), with counts.
Image confusion_heatmap(const std::vector<std::vector<size_t>>& m, const std::vector<std::string>& labels,
                        const std::string& title);

// An H x W array (row 0 = lowest frequency, drawn at the bottom) as an image, scaled to [lo, hi].
Image spectrogram_image(const float* data, int height, int width, float lo, float hi, int scale = 1);

}  // namespace genre
