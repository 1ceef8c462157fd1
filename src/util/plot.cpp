#include "genre/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace genre {

namespace {

// 5x7 glyphs, one byte per row (bit 4 = leftmost column), for ' ' .. '~'. Unknown characters
// draw as a box.
const uint8_t* glyph(char ch) {
  static const uint8_t box[7] = {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F};
  static const uint8_t font[95][7] = {
      {0, 0, 0, 0, 0, 0, 0},                     // ' '
      {4, 4, 4, 4, 4, 0, 4},                     // !
      {10, 10, 0, 0, 0, 0, 0},                   // "
      {10, 10, 31, 10, 31, 10, 10},              // #
      {4, 15, 20, 14, 5, 30, 4},                 // $
      {24, 25, 2, 4, 8, 19, 3},                  // %
      {12, 18, 20, 8, 21, 18, 13},               // &
      {4, 4, 0, 0, 0, 0, 0},                     // '
      {2, 4, 8, 8, 8, 4, 2},                     // (
      {8, 4, 2, 2, 2, 4, 8},                     // )
      {0, 4, 21, 14, 21, 4, 0},                  // *
      {0, 4, 4, 31, 4, 4, 0},                    // +
      {0, 0, 0, 0, 12, 4, 8},                    // ,
      {0, 0, 0, 31, 0, 0, 0},                    // -
      {0, 0, 0, 0, 0, 12, 12},                   // .
      {0, 1, 2, 4, 8, 16, 0},                    // /
      {14, 17, 19, 21, 25, 17, 14},              // 0
      {4, 12, 4, 4, 4, 4, 14},                   // 1
      {14, 17, 1, 2, 4, 8, 31},                  // 2
      {31, 2, 4, 2, 1, 17, 14},                  // 3
      {2, 6, 10, 18, 31, 2, 2},                  // 4
      {31, 16, 30, 1, 1, 17, 14},                // 5
      {6, 8, 16, 30, 17, 17, 14},                // 6
      {31, 1, 2, 4, 8, 8, 8},                    // 7
      {14, 17, 17, 14, 17, 17, 14},              // 8
      {14, 17, 17, 15, 1, 2, 12},                // 9
      {0, 12, 12, 0, 12, 12, 0},                 // :
      {0, 12, 12, 0, 12, 4, 8},                  // ;
      {2, 4, 8, 16, 8, 4, 2},                    // <
      {0, 0, 31, 0, 31, 0, 0},                   // =
      {8, 4, 2, 1, 2, 4, 8},                     // >
      {14, 17, 1, 2, 4, 0, 4},                   // ?
      {14, 17, 1, 13, 21, 21, 14},               // @
      {14, 17, 17, 17, 31, 17, 17},              // A
      {30, 17, 17, 30, 17, 17, 30},              // B
      {14, 17, 16, 16, 16, 17, 14},              // C
      {28, 18, 17, 17, 17, 18, 28},              // D
      {31, 16, 16, 30, 16, 16, 31},              // E
      {31, 16, 16, 30, 16, 16, 16},              // F
      {14, 17, 16, 23, 17, 17, 15},              // G
      {17, 17, 17, 31, 17, 17, 17},              // H
      {14, 4, 4, 4, 4, 4, 14},                   // I
      {7, 2, 2, 2, 2, 18, 12},                   // J
      {17, 18, 20, 24, 20, 18, 17},              // K
      {16, 16, 16, 16, 16, 16, 31},              // L
      {17, 27, 21, 21, 17, 17, 17},              // M
      {17, 17, 25, 21, 19, 17, 17},              // N
      {14, 17, 17, 17, 17, 17, 14},              // O
      {30, 17, 17, 30, 16, 16, 16},              // P
      {14, 17, 17, 17, 21, 18, 13},              // Q
      {30, 17, 17, 30, 20, 18, 17},              // R
      {15, 16, 16, 14, 1, 1, 30},                // S
      {31, 4, 4, 4, 4, 4, 4},                    // T
      {17, 17, 17, 17, 17, 17, 14},              // U
      {17, 17, 17, 17, 17, 10, 4},               // V
      {17, 17, 17, 21, 21, 21, 10},              // W
      {17, 17, 10, 4, 10, 17, 17},               // X
      {17, 17, 17, 10, 4, 4, 4},                 // Y
      {31, 1, 2, 4, 8, 16, 31},                  // Z
      {14, 8, 8, 8, 8, 8, 14},                   // [
      {0, 16, 8, 4, 2, 1, 0},                    // backslash
      {14, 2, 2, 2, 2, 2, 14},                   // ]
      {4, 10, 17, 0, 0, 0, 0},                   // ^
      {0, 0, 0, 0, 0, 0, 31},                    // _
      {8, 4, 0, 0, 0, 0, 0},                     // `
      {0, 0, 14, 1, 15, 17, 15},                 // a
      {16, 16, 22, 25, 17, 17, 30},              // b
      {0, 0, 14, 16, 16, 17, 14},                // c
      {1, 1, 13, 19, 17, 17, 15},                // d
      {0, 0, 14, 17, 31, 16, 14},                // e
      {6, 9, 8, 28, 8, 8, 8},                    // f
      {0, 15, 17, 17, 15, 1, 14},                // g
      {16, 16, 22, 25, 17, 17, 17},              // h
      {4, 0, 12, 4, 4, 4, 14},                   // i
      {2, 0, 6, 2, 2, 18, 12},                   // j
      {16, 16, 18, 20, 24, 20, 18},              // k
      {12, 4, 4, 4, 4, 4, 14},                   // l
      {0, 0, 26, 21, 21, 17, 17},                // m
      {0, 0, 22, 25, 17, 17, 17},                // n
      {0, 0, 14, 17, 17, 17, 14},                // o
      {0, 0, 30, 17, 30, 16, 16},                // p
      {0, 0, 13, 19, 15, 1, 1},                  // q
      {0, 0, 22, 25, 16, 16, 16},                // r
      {0, 0, 14, 16, 14, 1, 30},                 // s
      {8, 8, 28, 8, 8, 9, 6},                    // t
      {0, 0, 17, 17, 17, 19, 13},                // u
      {0, 0, 17, 17, 17, 10, 4},                 // v
      {0, 0, 17, 17, 21, 21, 10},                // w
      {0, 0, 17, 10, 4, 10, 17},                 // x
      {0, 0, 17, 17, 15, 1, 14},                 // y
      {0, 0, 31, 2, 4, 8, 31},                   // z
      {2, 4, 4, 8, 4, 4, 2},                     // {
      {4, 4, 4, 4, 4, 4, 4},                     // |
      {8, 4, 4, 2, 4, 4, 8},                     // }
      {0, 0, 8, 21, 2, 0, 0},                    // ~
  };
  if (ch < 32 || ch > 126) return box;
  return font[ch - 32];
}

std::string fmt(double v, int decimals) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

}  // namespace

Canvas::Canvas(int width, int height, Rgb bg) {
  img_.width = width;
  img_.height = height;
  img_.channels = 3;
  img_.pixels.resize(size_t(width) * size_t(height) * 3);
  for (size_t i = 0; i < img_.pixels.size(); i += 3) std::copy(bg.begin(), bg.end(), img_.pixels.begin() + long(i));
}

void Canvas::rect(int x, int y, int w, int h, Rgb c) {
  for (int yy = std::max(0, y); yy < std::min(img_.height, y + h); ++yy)
    for (int xx = std::max(0, x); xx < std::min(img_.width, x + w); ++xx) std::copy(c.begin(), c.end(), img_.at(xx, yy));
}

void Canvas::paste(int x, int y, const Image& img) {
  for (int yy = 0; yy < img.height; ++yy)
    for (int xx = 0; xx < img.width; ++xx) {
      const uint8_t* px = img.at(xx, yy);
      rect(x + xx, y + yy, 1, 1, {px[0], px[1], px[2]});
    }
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  const double len = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
  const int steps = std::max(1, int(std::ceil(len)));
  for (int i = 0; i <= steps; ++i) {
    const double t = double(i) / steps;
    const int x = int(std::lround(x0 + t * (x1 - x0))), y = int(std::lround(y0 + t * (y1 - y0)));
    rect(x - thickness / 2, y - thickness / 2, thickness, thickness, c);
  }
}

void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale) {
  for (size_t i = 0; i < s.size(); ++i) {
    const uint8_t* g = glyph(s[i]);
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col)
        if (g[row] & (0x10 >> col)) rect(x + int(i) * 6 * scale + col * scale, y + row * scale, scale, scale, c);
  }
}

Rgb magma(double t) {
  static const double stops[9][3] = {{0, 0, 4},       {28, 16, 68},    {79, 18, 123},   {129, 37, 129}, {181, 54, 122},
                                     {229, 80, 100}, {251, 135, 97}, {254, 194, 135}, {252, 253, 191}};
  t = std::clamp(t, 0.0, 1.0) * 8.0;
  const int i = std::min(7, int(t));
  const double f = t - i;
  Rgb c;
  for (int k = 0; k < 3; ++k) c[size_t(k)] = uint8_t(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  return c;
}

Image line_charts(const std::vector<std::pair<std::string, std::vector<Series>>>& panels, const std::string& x_label) {
  const int pw = 420, ph = 300, ml = 56, mr = 12, mt = 28, mb = 44;
  Canvas cv(int(panels.size()) * pw, ph);
  const Rgb ink{40, 40, 40}, grid{225, 225, 225};
  for (size_t p = 0; p < panels.size(); ++p) {
    const int ox = int(p) * pw;
    const auto& [title, series] = panels[p];
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    size_t n = 0;
    for (const auto& s : series) {
      for (double v : s.y)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      n = std::max(n, s.y.size());
    }
    if (!(hi > lo)) { lo = std::isfinite(lo) ? lo - 0.5 : 0; hi = lo + 1; }
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
    const int x0 = ox + ml, x1 = ox + pw - mr, y0 = mt, y1 = ph - mb;
    auto X = [&](size_t i) { return n > 1 ? x0 + double(i) * (x1 - x0) / double(n - 1) : (x0 + x1) / 2.0; };
    auto Y = [&](double v) { return y1 - (v - lo) * (y1 - y0) / (hi - lo); };
    for (int k = 0; k <= 4; ++k) {
      const double v = lo + (hi - lo) * k / 4.0;
      cv.line(x0, Y(v), x1, Y(v), grid);
      const std::string label = fmt(v, hi - lo < 0.5 ? 3 : hi - lo < 5 ? 2 : 1);
      cv.text(x0 - 4 - Canvas::text_width(label), int(Y(v)) - 3, label, ink);
    }
    cv.line(x0, y1, x1, y1, ink);
    cv.line(x0, y0, x0, y1, ink);
    for (size_t i = 0; i < n; i += std::max<size_t>(1, n / 8)) {
      const std::string label = std::to_string(i + 1);
      cv.text(int(X(i)) - Canvas::text_width(label) / 2, y1 + 6, label, ink);
    }
    cv.text(ox + (pw - Canvas::text_width(x_label)) / 2, ph - 16, x_label, ink);
    cv.text(ox + (pw - Canvas::text_width(title, 2)) / 2, 6, title, ink, 2);
    int legend_y = y0 + 6;
    for (const auto& s : series) {
      for (size_t i = 1; i < s.y.size(); ++i)
        if (std::isfinite(s.y[i - 1]) && std::isfinite(s.y[i])) cv.line(X(i - 1), Y(s.y[i - 1]), X(i), Y(s.y[i]), s.color, 2);
      cv.rect(x1 - 90, legend_y, 12, 4, s.color);
      cv.text(x1 - 74, legend_y - 2, s.name, ink);
      legend_y += 12;
    }
  }
  return cv.image();
}

Image confusion_heatmap(const std::vector<std::vector<size_t>>& m, const std::vector<std::string>& labels,
                        const std::string& title) {
  const int n = int(labels.size());
  const int cell = 40, scale = 1;
  int label_w = 0;
  for (const auto& l : labels) label_w = std::max(label_w, Canvas::text_width(l, scale));
  const int left = label_w + 40, top = 40 + 24, right = 20, bottom = label_w + 40;
  Canvas cv(left + n * cell + right, top + n * cell + bottom);
  const Rgb ink{30, 30, 30};
  cv.text((cv.image().width - Canvas::text_width(title, 2)) / 2, 8, title, ink, 2);
  cv.text(left + (n * cell - Canvas::text_width("predicted")) / 2, top + n * cell + label_w + 20, "predicted", ink);
  cv.text(4, top - 16, "true", ink);
  for (int r = 0; r < n; ++r) {
    size_t row_total = 0;
    for (size_t v : m[size_t(r)]) row_total += v;
    cv.text(left - 6 - Canvas::text_width(labels[size_t(r)]), top + r * cell + cell / 2 - 3, labels[size_t(r)], ink);
    for (int c = 0; c < n; ++c) {
      const size_t v = m[size_t(r)][size_t(c)];
      const double frac = row_total ? double(v) / double(row_total) : 0.0;  // shaded by recall share
      const Rgb bg = magma(0.15 + 0.85 * frac);
      cv.rect(left + c * cell, top + r * cell, cell - 1, cell - 1, bg);
      const std::string s = std::to_string(v);
      const Rgb fg = frac > 0.55 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
      cv.text(left + c * cell + (cell - Canvas::text_width(s)) / 2, top + r * cell + cell / 2 - 3, s, fg);
    }
  }
  // Column labels, written vertically (one character per line, top to bottom).
  for (int c = 0; c < n; ++c) {
    const std::string& l = labels[size_t(c)];
    for (size_t i = 0; i < l.size(); ++i)
      cv.text(left + c * cell + cell / 2 - 3, top + n * cell + 6 + int(i) * 9, std::string(1, l[i]), ink);
  }
  return cv.image();
}

Image spectrogram_image(const float* data, int height, int width, float lo, float hi, int scale) {
  Canvas cv(width * scale, height * scale);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float v = data[size_t(y) * size_t(width) + size_t(x)];
      cv.rect(x * scale, (height - 1 - y) * scale, scale, scale, magma(hi > lo ? (v - lo) / (hi - lo) : 0.0));
    }
  return cv.image();
}

}  // namespace genre
