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
//   [0] mode  [1] lo  [2] hi  [3] parameter (1/λ or k)
//   [4] node offset: (x_j, yl_j, yr_j, m_j) interleaved, m_j = (yl_{j+1} − yr_j)/(x_{j+1} − x_j) the
//       segment's slope (0 on flats, so flats stay exact)  [5] n
//   [6] guide offset (buckets + 1 segment indices)  [7] buckets  [8] x_0  [9] 1 / bucket width
//   [10] 1 if ψ̄ is capped at the top node, 0 if extrapolated
//   [11] level-guide offset (ybuckets + 1 node indices: the first node with yr >= y_a + k / inv_hy)
//   [12] ybuckets (0: none)  [13] y_a  [14] 1 / level bucket width  [15] unused
// The level guide makes the threshold search O(1) expected too (levels below y_a, the far lower
// tail, fall back to a binary search).
#pragma once

#include "mcrev/core/config.hpp"

#include <cmath>

namespace mcrev {

enum class VirtualValueMode : int { Uniform = 0, Exponential = 1, Power = 2, Table = 3 };

inline constexpr int kVirtualValueHeader = 16;

struct VirtualValue {
  VirtualValueMode mode = VirtualValueMode::Uniform;
  double lo = 0.0, hi = 1.0, param = 0.0;
  const double* node = nullptr;   ///< Table: interleaved (x_j, yl_j, yr_j, slope_j), j < n
  const double* guide = nullptr;  ///< Table: segment index at the start of each bucket
  const double* yguide = nullptr; ///< Table: first node reaching each level bucket
  int n = 0, buckets = 0, ybuckets = 0;
  double x0 = 0.0, inv_h = 0.0, y_a = 0.0, inv_hy = 0.0;
  bool capped_top = true;

  MCREV_HD static VirtualValue load(const double* arena, int offset) {
    const double* h = arena + offset;
    VirtualValue v;
    v.mode = static_cast<VirtualValueMode>(static_cast<int>(h[0]));
    v.lo = h[1];
    v.hi = h[2];
    v.param = h[3];
    if (v.mode == VirtualValueMode::Table) {
      v.node = arena + static_cast<int>(h[4]);
      v.n = static_cast<int>(h[5]);
      v.guide = arena + static_cast<int>(h[6]);
      v.buckets = static_cast<int>(h[7]);
      v.x0 = h[8];
      v.inv_h = h[9];
      v.capped_top = h[10] != 0.0;
      v.yguide = arena + static_cast<int>(h[11]);
      v.ybuckets = static_cast<int>(h[12]);
      v.y_a = h[13];
      v.inv_hy = h[14];
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

  /// a = inf{ x >= lo : ψ̄(x) >= c } (the threshold of a bidder facing level c) and
  /// e = inf{ x >= lo : ψ̄(x) > c } (the end of a flat piece at level c; e = a where there is none);
  /// +∞ where no report qualifies. One search (two only when a flat sits exactly at level c).
  MCREV_HD void thresholds(double c, double* a, double* e) const {
    if (mode != VirtualValueMode::Table) {
      *a = closed_crossing(c, false);
      *e = closed_crossing(c, true);
      return;
    }
    const int ja = first_node(c, false, 0);
    *a = table_crossing(c, false, ja);
    *e = (ja < n && yr(ja) == c) ? table_crossing(c, true, first_node(c, true, ja)) : *a;
  }
  MCREV_HD double lowest_reaching(double c) const {
    double a, e;
    thresholds(c, &a, &e);
    return a;
  }
  MCREV_HD double lowest_exceeding(double c) const {
    double a, e;
    thresholds(c, &a, &e);
    return e;
  }

 private:
  MCREV_HD double x(int j) const { return node[4 * j]; }
  MCREV_HD double yl(int j) const { return node[4 * j + 1]; }
  MCREV_HD double yr(int j) const { return node[4 * j + 2]; }
  MCREV_HD double slope(int j) const { return node[4 * j + 3]; }

  MCREV_HD double power_g(double z) const {
    const double k = param;
    if (z <= 0.0) return k == 1.0 ? -1.0 : -HUGE_VAL;
    return z * (1.0 + 1.0 / k) - pow(z, 1.0 - k) / k;
  }

  MCREV_HD double table_value(double b) const {
    if (n < 2 || b == x(0)) return yr(0);
    if (b < x(0)) return yr(0) - slope(0) * (x(0) - b);
    if (b >= x(n - 1)) {
      if (capped_top) return yr(n - 1);
      return yr(n - 1) + slope(n - 2) * (b - x(n - 1));
    }
    int j = 0;
    if (n > 8) {  // small tables (linear pieces, flats) are scanned directly
      int g = static_cast<int>((b - x0) * inv_h);
      g = g < 0 ? 0 : (g > buckets - 1 ? buckets - 1 : g);
      j = static_cast<int>(guide[g]);
      const int last = static_cast<int>(guide[g + 1]);
      int len = last - j;  // largest j in [guide[g], guide[g+1]] with x_j <= b
      while (len > 0) {
        const int half = (len + 1) / 2;
        if (x(j + half) <= b) j += half;
        len -= half;
      }
    }
    while (j > 0 && x(j) > b) --j;  // guards against bucket rounding
    while (j < n - 2 && x(j + 1) <= b) ++j;
    const double* p = node + 4 * j;  // x_j, yl_j, yr_j, slope_j
    return p[2] + p[3] * (b - p[0]);
  }

  /// Smallest j >= from with yr_j >= c (strict: > c); n if none. The level guide narrows the range;
  /// a branch-free binary search finishes (over every node when c lies outside the guide).
  MCREV_HD int first_node(double c, bool strict, int from) const {
    if (ybuckets > 0 && c >= y_a) {
      const double s = (c - y_a) * inv_hy;
      if (s < ybuckets) {
        const int k = static_cast<int>(s);
        int lo = static_cast<int>(yguide[k]), hi = static_cast<int>(yguide[k + 1]);
        lo = lo > from ? lo : from;
        hi = hi < n - 1 ? hi : n - 1;
        if (lo <= hi) {
          const int r = search(c, strict, lo, hi + 1);
          // valid unless bucket rounding put the answer outside [lo, hi]
          if ((r == from || !reaches(yr(r - 1), c, strict)) && (r < n && reaches(yr(r), c, strict))) return r;
        }
      }
    }
    return search(c, strict, from, n);
  }

  /// Smallest j in [from, to) with yr_j reaching c, or `to`.
  MCREV_HD int search(double c, bool strict, int from, int to) const {
    int first = from, len = to - from;
    while (len > 0) {
      const int half = len / 2;
      const double y = yr(first + half);
      const bool below = strict ? y <= c : y < c;
      first = below ? first + half + 1 : first;
      len = below ? len - half - 1 : half;
    }
    return first;
  }

  MCREV_HD bool reaches(double y, double c, bool strict) const { return strict ? y > c : y >= c; }

  /// Where ψ̄ first reaches c (strict: exceeds c), given j = first_node(c, strict, 0).
  MCREV_HD double table_crossing(double c, bool strict, int j) const {
    if (j == 0) {  // at or below the first node: the bottom extension
      if (n < 2 || !(x(0) > lo)) return lo;
      const double m = slope(0);
      if (!(m > 0.0)) return lo;
      const double x_c = x(0) - (yr(0) - c) / m;
      return x_c > lo ? x_c : lo;
    }
    if (j >= n) {  // above the last node: the top extension (capped: never)
      if (capped_top || n < 2) return HUGE_VAL;
      const double m = slope(n - 2);
      return m > 0.0 ? x(n - 1) + (c - yr(n - 1)) / m : HUGE_VAL;
    }
    if (!reaches(yl(j), c, strict)) return x(j);  // a jump at x_j crosses c
    const double y0 = yr(j - 1), y1 = yl(j);      // the segment (x_{j−1}, x_j) crosses c
    const double x_c = x(j - 1) + (c - y0) / (y1 - y0) * (x(j) - x(j - 1));
    return x_c < x(j - 1) ? x(j - 1) : (x_c > x(j) ? x(j) : x_c);
  }

  MCREV_HD double closed_crossing(double c, bool strict) const {
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
      case VirtualValueMode::Table: break;
    }
    return HUGE_VAL;
  }
};

}  // namespace mcrev
