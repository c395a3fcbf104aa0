// mcrev: ironed virtual values ψ̄ of one bidder group, evaluated on host and device
// (THEORY.md "Myerson's optimal auction"; docs/myerson.md).
//
// ψ(v) = v − (1 − F(v)) / f(v). In quantile space q = 1 − F(v) the revenue curve is R(q) = q F^{-1}(1 − q);
// ψ̄ = R̄'(q(v)) with R̄ the concave hull of R. ψ̄ is a non-decreasing, right-continuous function of the
// report b; reports below the support's low end get −∞ (they never win).
//
// Modes:
//  Uniform     U[lo, hi]:             ψ(b) = 2b − hi                      (regular: ψ̄ = ψ)
//  Exponential rate λ, shift lo:      ψ(b) = b − 1/λ
//  Power       F = z^k, z = (b−lo)/w, k >= 1:  ψ(b) = lo + w (z (1 + 1/k) − z^{1−k}/k)
//  Table       every other distribution (and power with k < 1, which is irregular near lo): nodes
//              x_0 < … < x_{n−1} with left limits yl_j = ψ̄(x_j^−) and values yr_j = ψ̄(x_j); ψ̄ is
//              linear from (x_j, yr_j) to (x_{j+1}, yl_{j+1}) (jumps at atoms and at the ends of ironed
//              intervals are exact), tabulated on the host by host/virtual_value.cpp with a measured
//              interpolation error, and looked up through a guide table of equal-width buckets
//              (O(1) expected). Below x_0 and (unbounded support) above x_{n−1} the end segments
//              are extended linearly; with a bounded support ψ̄(b) = ψ̄(hi) for b >= hi.
// Reports above a bounded support count as hi. In every mode the function is non-decreasing, so the
// Myerson auction built on it is exactly dominant-strategy IC for the function implemented.
//
// Arena header (kVirtualValueHeader doubles at a mechanism's data + g·kVirtualValueHeader):
//   [0] mode  [1] lo  [2] hi  [3] parameter (1/λ or k)  [4] node offset (x[n], yl[n], yr[n])  [5] n
//   [6] guide offset (buckets + 1 segment indices)  [7] buckets  [8] x_0  [9] 1 / bucket width
//   [10] 1 if ψ̄ is capped at the top node, 0 if extrapolated  [11] unused
#pragma once

#include "mcrev/config.hpp"

#include <cmath>

namespace mcrev {

enum class VirtualValueMode : int { Uniform = 0, Exponential = 1, Power = 2, Table = 3 };

inline constexpr int kVirtualValueHeader = 12;

struct VirtualValue {
  VirtualValueMode mode = VirtualValueMode::Uniform;
  double lo = 0.0, hi = 1.0, param = 0.0;
  const double* x = nullptr;
  const double* yl = nullptr;
  const double* yr = nullptr;
  const double* guide = nullptr;
  int n = 0, buckets = 0;
  double x0 = 0.0, inv_h = 0.0;
  bool capped_top = true;

  MCREV_HD static VirtualValue load(const double* arena, int offset) {
    const double* h = arena + offset;
    VirtualValue v;
    v.mode = static_cast<VirtualValueMode>(static_cast<int>(h[0]));
    v.lo = h[1];
    v.hi = h[2];
    v.param = h[3];
    if (v.mode == VirtualValueMode::Table) {
      v.n = static_cast<int>(h[5]);
      v.x = arena + static_cast<int>(h[4]);
      v.yl = v.x + v.n;
      v.yr = v.yl + v.n;
      v.guide = arena + static_cast<int>(h[6]);
      v.buckets = static_cast<int>(h[7]);
      v.x0 = h[8];
      v.inv_h = h[9];
      v.capped_top = h[10] != 0.0;
    }
    return v;
  }

  /// ψ̄(b); −∞ for b < lo (and for kNoBid).
  MCREV_HD double operator()(double b) const {
    if (!(b >= lo)) return -HUGE_VAL;
    switch (mode) {
      case VirtualValueMode::Uniform: return b < hi ? 2.0 * b - hi : hi;
      case VirtualValueMode::Exponential: return b - param;
      case VirtualValueMode::Power: {
        const double w = hi - lo;
        const double z = b < hi ? (b - lo) / w : 1.0;
        return lo + w * power_g(z);
      }
      case VirtualValueMode::Table: return table_value(b);
    }
    return -HUGE_VAL;
  }

  /// inf{ x >= lo : ψ̄(x) >= c } (+∞ if no report reaches c): the threshold of a bidder facing level c.
  MCREV_HD double lowest_reaching(double c) const { return crossing(c, false); }
  /// inf{ x >= lo : ψ̄(x) > c } (+∞ if none): the end of a flat piece of ψ̄ at level c.
  MCREV_HD double lowest_exceeding(double c) const { return crossing(c, true); }

 private:
  MCREV_HD double power_g(double z) const {
    const double k = param;
    if (z <= 0.0) return k == 1.0 ? -1.0 : -HUGE_VAL;
    return z * (1.0 + 1.0 / k) - pow(z, 1.0 - k) / k;
  }

  MCREV_HD double table_value(double b) const {
    if (n < 2 || b == x[0]) return yr[0];
    if (b < x[0]) {
      const double slope = (yl[1] - yr[0]) / (x[1] - x[0]);
      return yr[0] - slope * (x[0] - b);
    }
    if (b >= x[n - 1]) {
      if (capped_top) return yr[n - 1];
      const double slope = (yl[n - 1] - yr[n - 2]) / (x[n - 1] - x[n - 2]);
      return yr[n - 1] + slope * (b - x[n - 1]);
    }
    int g = static_cast<int>((b - x0) * inv_h);
    g = g < 0 ? 0 : (g > buckets - 1 ? buckets - 1 : g);
    int lo_j = static_cast<int>(guide[g]), hi_j = static_cast<int>(guide[g + 1]) + 1;
    if (hi_j > n - 1) hi_j = n - 1;
    // largest j in [lo_j, hi_j) with x[j] <= b
    while (hi_j - lo_j > 1) {
      const int mid = (lo_j + hi_j) / 2;
      if (x[mid] <= b) lo_j = mid; else hi_j = mid;
    }
    int j = lo_j;
    while (j > 0 && x[j] > b) --j;            // guards against bucket rounding
    while (j < n - 2 && x[j + 1] <= b) ++j;
    return yr[j] + (yl[j + 1] - yr[j]) * ((b - x[j]) / (x[j + 1] - x[j]));
  }

  MCREV_HD double crossing(double c, bool strict) const {
    switch (mode) {
      case VirtualValueMode::Uniform: {
        const double bottom = 2.0 * lo - hi;
        if (strict ? c < bottom : c <= bottom) return lo;
        if (strict ? c >= hi : c > hi) return HUGE_VAL;
        return 0.5 * (c + hi);
      }
      case VirtualValueMode::Exponential: {
        const double x_c = c + param;
        return x_c > lo ? x_c : lo;
      }
      case VirtualValueMode::Power: {
        const double w = hi - lo;
        const double y = (c - lo) / w;
        if (strict ? y < power_g(0.0) : y <= power_g(0.0)) return lo;
        if (strict ? y >= 1.0 : y > 1.0) return HUGE_VAL;
        // g is increasing and concave on (0, 1]: Newton steps safeguarded by bisection.
        double a = 0.0, b = 1.0, z = 0.5;
        for (int it = 0; it < 200; ++it) {
          const double gz = power_g(z);
          if (gz >= y) b = z; else a = z;
          if (b - a <= 1e-16) break;
          const double k = param;
          const double dg = (1.0 + 1.0 / k) + (k - 1.0) / k * pow(z, -k);
          double zn = z - (gz - y) / dg;
          if (!(zn > a && zn < b)) zn = 0.5 * (a + b);
          if (fabs(zn - z) <= 1e-16 * z) {
            z = zn;
            break;
          }
          z = zn;
        }
        return lo + w * z;
      }
      case VirtualValueMode::Table: return table_crossing(c, strict);
    }
    return HUGE_VAL;
  }

  MCREV_HD bool reaches(double y, double c, bool strict) const { return strict ? y > c : y >= c; }

  MCREV_HD double table_crossing(double c, bool strict) const {
    if (reaches(yr[0], c, strict)) {
      if (n < 2 || !(x[0] > lo)) return lo;
      const double slope = (yl[1] - yr[0]) / (x[1] - x[0]);
      if (!(slope > 0.0)) return lo;
      const double x_c = x[0] - (yr[0] - c) / slope;
      return x_c > lo ? x_c : lo;
    }
    if (!reaches(yr[n - 1], c, strict)) {
      if (capped_top || n < 2) return HUGE_VAL;
      const double slope = (yl[n - 1] - yr[n - 2]) / (x[n - 1] - x[n - 2]);
      return slope > 0.0 ? x[n - 1] + (c - yr[n - 1]) / slope : HUGE_VAL;
    }
    // Positions p = 1 .. 2n−1 of the non-decreasing sequence yr_0, yl_1, yr_1, …, yl_{n−1}, yr_{n−1}
    // (p = 2j: yl_j, p = 2j + 1: yr_j); position 1 does not reach c, position 2n − 1 does.
    int lo_p = 1, hi_p = 2 * n - 1;
    while (hi_p - lo_p > 1) {
      const int mid = (lo_p + hi_p) / 2;
      const double y = (mid & 1) ? yr[mid / 2] : yl[mid / 2];
      if (reaches(y, c, strict)) hi_p = mid; else lo_p = mid;
    }
    const int j = hi_p / 2;
    if (hi_p & 1) return x[j];  // a jump at x_j crosses c
    const double y0 = yr[j - 1], y1 = yl[j];
    const double t = (c - y0) / (y1 - y0);
    const double x_c = x[j - 1] + t * (x[j] - x[j - 1]);
    return x_c < x[j - 1] ? x[j - 1] : (x_c > x[j] ? x[j] : x_c);
  }
};

}  // namespace mcrev
