// Internal: sums in double with four independent partial sums. A single running sum is bound by
// the latency of one add chain; numpy itself sums pairwise (in no particular order), so splitting
// the sum keeps the same accuracy class at up to four times the speed.
#pragma once

#include <cstddef>

namespace genre::detail {

template <class F>
inline double sum_of(size_t n, F term) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += term(i);
    s1 += term(i + 1);
    s2 += term(i + 2);
    s3 += term(i + 3);
  }
  for (; i < n; ++i) s0 += term(i);
  return (s0 + s1) + (s2 + s3);
}

}  // namespace genre::detail
