// Internal: real FFTs in double precision through FFTW. Plans are created once per size under a
// lock (FFTW's planner is not thread-safe) and executed on per-object aligned buffers, so any
// number of threads can each use their own RealFft.
#pragma once

#include <complex>
#include <cstddef>

namespace genre::detail {

class RealFft {
 public:
  explicit RealFft(size_t n);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  size_t size() const { return n_; }
  size_t bins() const { return n_ / 2 + 1; }
  double* real() { return real_; }                   // n values
  std::complex<double>* spectrum() { return spec_; }  // n/2 + 1 values

  void forward();  // real() -> spectrum(), unscaled (numpy.fft.rfft)
  void inverse();  // spectrum() -> real(), scaled by 1/n (numpy.fft.irfft); clobbers spectrum()

 private:
  size_t n_;
  double* real_;
  std::complex<double>* spec_;
  void* forward_plan_;
  void* inverse_plan_;
};

}  // namespace genre::detail
