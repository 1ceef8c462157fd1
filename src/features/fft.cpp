#include "fft.h"

#include <fftw3.h>

#include <map>
#include <mutex>
#include <new>

namespace genre::detail {
namespace {

std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// One plan per (size, direction), made on fftw_malloc'd buffers so that their alignment matches
// every RealFft's buffers (also fftw_malloc'd); kept for the life of the process (never
// destroyed, so that threads still running at exit can use them; reachable, so no leak report).
fftw_plan cached_plan(size_t n, bool forward) {
  static auto& plans = *new std::map<std::pair<size_t, bool>, fftw_plan>;
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto key = std::make_pair(n, forward);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  double* r = fftw_alloc_real(n);
  fftw_complex* c = fftw_alloc_complex(n / 2 + 1);
  fftw_plan plan = forward ? fftw_plan_dft_r2c_1d(int(n), r, c, FFTW_ESTIMATE)
                           : fftw_plan_dft_c2r_1d(int(n), c, r, FFTW_ESTIMATE);
  fftw_free(r);
  fftw_free(c);
  if (!plan) throw std::bad_alloc();
  plans.emplace(key, plan);
  return plan;
}

}  // namespace

RealFft::RealFft(size_t n)
    : n_(n),
      real_(fftw_alloc_real(n)),
      spec_(reinterpret_cast<std::complex<double>*>(fftw_alloc_complex(n / 2 + 1))),
      forward_plan_(cached_plan(n, true)),
      inverse_plan_(cached_plan(n, false)) {
  if (!real_ || !spec_) throw std::bad_alloc();
}

RealFft::~RealFft() {
  fftw_free(real_);
  fftw_free(spec_);
}

void RealFft::forward() {
  fftw_execute_dft_r2c(static_cast<fftw_plan>(forward_plan_), real_, reinterpret_cast<fftw_complex*>(spec_));
}

void RealFft::inverse() {
  fftw_execute_dft_c2r(static_cast<fftw_plan>(inverse_plan_), reinterpret_cast<fftw_complex*>(spec_), real_);
  const double scale = 1.0 / double(n_);
  for (size_t i = 0; i < n_; ++i) real_[i] *= scale;
}

}  // namespace genre::detail
