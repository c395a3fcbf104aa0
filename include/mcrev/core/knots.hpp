// mcrev: bid functions tabulated at value knots (StrategyKind::ValueTable): the asymmetric first-price
// equilibrium (host/asymmetric_bne.hpp) and bid functions read from a file (`strategy = "table"`).
#pragma once

#include "mcrev/core/config.hpp"

namespace mcrev {

/// Piecewise-linear interpolation through knots (x_k, y_k), k < n, x strictly increasing, with
/// constant extension beyond the ends: y_0 for v <= x_0, y_{n−1} for v >= x_{n−1}. `knots` holds
/// x_0..x_{n−1} followed by y_0..y_{n−1}. O(log n) by bisection.
MCREV_HD inline double interpolate_knots(double v, const double* knots, int n) {
  const double* xs = knots;
  const double* ys = knots + n;
  if (!(v > xs[0])) return ys[0];
  if (v >= xs[n - 1]) return ys[n - 1];
  int lo = 0, hi = n - 1;  // xs[lo] <= v < xs[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (xs[mid] <= v) lo = mid; else hi = mid;
  }
  return ys[lo] + (ys[hi] - ys[lo]) * ((v - xs[lo]) / (xs[hi] - xs[lo]));
}

}  // namespace mcrev
