// A dense row-major 2-D array. Spectrogram-like matrices in genre are frame-major:
// row t is frame t, column k is frequency bin (or mel band, chroma, coefficient) k.
// This is the transpose of librosa's (n_bins, n_frames) layout and keeps each frame contiguous.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace genre {

template <class T>
struct Array2D {
  size_t rows = 0, cols = 0;
  std::vector<T> data;

  Array2D() = default;
  Array2D(size_t r, size_t c, T value = T()) : rows(r), cols(c), data(r * c, value) {}

  T* row(size_t r) { return data.data() + r * cols; }
  const T* row(size_t r) const { return data.data() + r * cols; }
  T& operator()(size_t r, size_t c) { return data[r * cols + c]; }
  const T& operator()(size_t r, size_t c) const { return data[r * cols + c]; }
  size_t size() const { return data.size(); }
  bool empty() const { return data.empty(); }
};

using Matrix = Array2D<float>;
using ComplexMatrix = Array2D<std::complex<float>>;

Matrix transpose(const Matrix& m);

}  // namespace genre
