// mcrev: bidding strategies, bid = β(value).
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/core/knots.hpp"

#include <cmath>
#include <type_traits>

// Out of line in the g++ build only (see Strategy::mixed_bid).
#ifdef __CUDACC__
#define MCREV_HOST_NOINLINE
#else
#define MCREV_HOST_NOINLINE __attribute__((noinline))
#endif
// Inlined everywhere: the closed-form bids inside the CPU fast path's vectorized loops
// (host/backends/cpu_fast.cpp) and int_pow with a constant exponent there (the squarings unroll).
#ifdef __CUDACC__
#define MCREV_BID_INLINE __forceinline__
#else
#define MCREV_BID_INLINE inline __attribute__((always_inline))
#endif

namespace mcrev {

/// Report of a bidder who stays out (below every reserve, never wins, pays nothing).
inline constexpr double kNoBid = -HUGE_VAL;

enum class StrategyKind : int {
  Truthful,  ///< β(v) = v
  Shade,     ///< β(v) = factor · v
  Table,     ///< β tabulated at K points evenly spaced in w(F(v)); v < entry: no bid
  ValueTable,  ///< β linear in v through K knots (arena: K values, then K bids; mcrev/knots.hpp); v < entry: no bid
  /// Symmetric first-price BNE of n bidders with iid U[low, low + width] values, in closed form
  /// (THEORY.md, first price; β(v) = v − ∫_e^v (F(x)/F(v))^{n−1} dx): with t = (v − low)/width and
  /// t_e = F(entry) (0 when the reserve does not bind),
  ///   β(v) = v − width · t · (1 − (t_e/t)^n) / n,   v >= entry; below entry no bid.
  UniformFirstPrice,
  /// Symmetric all-pay BNE, iid uniform values, closed form (β(v) = v G(v) − ∫_e^v G(x) dx, G = F^{n−1}):
  ///   β(v) = max(floor, v · t^{n−1} − width · (t^n − t_e^n) / n),   v >= entry; below entry no bid.
  UniformAllPay,
  /// Symmetric first-price equilibrium of n bidders with iid discrete values (docs/single_item.md,
  /// "Mixed equilibria for discrete values"): a mixed strategy. Arena at `table`: table_n rows
  /// (x_k, F_{k−1}, p_k, U_k) over the atoms x_0 < ... (F_{k−1} = P(V < x_k), p_k = P(V = x_k), U_k
  /// the type's equilibrium utility). Type x_k with auxiliary uniform u in (0, 1) bids
  ///   max(floor, x_k − U_k / (F_{k−1} + p_k u)^{n−1})      (floor = the reserve),
  /// i.e. mixes over [b_{k−1}, b_k] with the CDF G_k that makes it indifferent; v < entry: no bid; a
  /// value between atoms plays the mix of the atom below it. bid() (no uniform) plays u = 1/2, the
  /// median bid of the type's mix (one bid of its support: the prescribed report of the interim
  /// estimator). Only multiplications, one division: CPU and GPU agree bit for bit.
  DiscreteMixed,
};

/// x^k for an integer k >= 0 by repeated squaring: only multiplications, so host and device agree bit
/// for bit (std::pow is not correctly rounded and differs between glibc and CUDA).
MCREV_HD MCREV_BID_INLINE double int_pow(double x, int k) {
  double r = 1.0;
  while (k > 0) {
    if (k & 1) r *= x;
    x *= x;
    k >>= 1;
  }
  return r;
}

/// A group's bid function. Table strategies (the Bayes–Nash equilibria) are computed on the host
/// (host/bne.cpp) at K nodes evenly spaced in w over [w0, w1], where
///   w = w_lin · t + w_lo · log(t + eps_lo) − w_hi · log(1 + eps_hi − t),  t = F(v),
/// with w_lin = 1, w_lo = 1/log(1/eps_lo), eps_lo = 1e-30, w_hi = 1/log(1/eps_hi), eps_hi = 1e-13:
/// about a third of the nodes evenly in F, a third evenly in log F and a third evenly in log(1 − F),
/// so both tails are resolved as well as the body — in particular the upper quantiles where the
/// winners of many bidders lie. Unbounded supports
/// are tabulated up to Q(1 − 1e-13); values above the last node bid its bid. Interpolation is cubic
/// Hermite when slopes dβ/dw are tabulated, else linear.
struct Strategy {
  StrategyKind kind = StrategyKind::Truthful;
  double factor = 1.0;
  double entry = -HUGE_VAL;  ///< Table: lowest value that bids (the reserve type)
  double w0 = 0.0, w1 = 1.0; ///< Table: node range in w
  double w_lin = 1.0;        ///< Table: weight of t in w
  double w_lo = 0.0;         ///< Table: weight of log(t + eps_lo) in w (0: none)
  double w_hi = 0.0;         ///< Table: weight of −log(1 + eps_hi − t) in w (0: none)
  double eps_lo = 0.0, eps_hi = 0.0;  ///< Table: offsets that keep w finite at t = 0 and t = 1
  int table = -1;            ///< Table: arena offset of K bids (ValueTable: K values, then K bids)
  int table_n = 0;           ///< K >= 2
  int slopes = -1;           ///< Table: arena offset of K slopes dβ/dw, or -1 (linear interpolation)
  double low = 0.0, width = 1.0;  ///< Uniform*: the values' support [low, low + width]
  double t_entry = 0.0;      ///< Uniform*: F(entry) (0: every value bids)
  double floor = -HUGE_VAL;  ///< UniformAllPay: the minimum bid (bids are floored at it)
  int n = 0;                 ///< Uniform*: number of bidders

  /// Table: the node coordinate w of t = F(v).
  MCREV_HD double table_w(double t) const {
    double w = w_lin * t;
    if (w_lo != 0.0) w += w_lo * log(t + eps_lo);
    if (w_hi != 0.0) w -= w_hi * log1p(eps_hi - t);
    return w;
  }

  /// Table: the interpolated bid at node coordinate w, from K bids b and slopes m (nullptr: linear).
  MCREV_HD double table_bid(double w, const double* b, const double* m) const {
    double s = (w - w0) / (w1 - w0) * (table_n - 1);
    if (!(s > 0)) return b[0];
    if (!(s < table_n - 1)) return b[table_n - 1];  // also t = 1 (w = inf)
    const int k = static_cast<int>(s);
    if (k >= table_n - 1) return b[table_n - 1];
    s -= k;
    if (!m) return b[k] + s * (b[k + 1] - b[k]);
    // Cubic Hermite on [w_k, w_k+1]; slopes scaled to the unit interval.
    const double h = (w1 - w0) / (table_n - 1);
    const double m0 = m[k] * h, m1 = m[k + 1] * h;
    const double s2 = s * s, s3 = s2 * s;
    return (2 * s3 - 3 * s2 + 1) * b[k] + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * b[k + 1] + (s3 - s2) * m1;
  }

  /// DiscreteMixed: the bid of value v at auxiliary uniform u in (0, 1) (see StrategyKind). Out of
  /// line on the host (the CPU batch loop's pure strategies stay as before); inlined on the device,
  /// where a call costs the kernels stack (scripts/check_kernel_resources.py).
  MCREV_HD MCREV_HOST_NOINLINE double mixed_bid(double v, double u, const double* arena) const {
    if (v < entry) return kNoBid;
    const double* rows = arena + table;
    int k = 0;  // the largest atom <= v (linear: a handful of atoms)
    while (k + 1 < table_n && rows[4 * (k + 1)] <= v) ++k;
    const double* r = rows + 4 * k;
    const double b = r[0] - r[3] / int_pow(r[1] + r[2] * u, n - 1);
    return b > floor ? b : floor;
  }

  /// β(v) of a closed-form strategy kind K known at compile time (Truthful, Shade, UniformFirstPrice,
  /// UniformAllPay; K == kind required): bid()'s case for K, shared with the single-item fast paths
  /// (mcrev/pipeline/fast_single_item.hpp), so both give the same bits.
  template <StrategyKind K>
  MCREV_HD MCREV_BID_INLINE double closed_form_bid(double v) const {
    if constexpr (K == StrategyKind::Truthful) {
      return v;
    } else if constexpr (K == StrategyKind::Shade) {
      return factor * v;
    } else if constexpr (K == StrategyKind::UniformFirstPrice) {
      // Every term computed, the result selected (no branch: loops over values vectorize); below
      // entry no bid, at t <= 0 the value itself.
      const double t = (v - low) / width;  // bitwise Distribution::cdf of the uniform
      const double q = t_entry > 0.0 ? int_pow(t_entry / t, n) : 0.0;
      const double b = v - width * t * (1.0 - q) / n;
      return v < entry ? kNoBid : (!(t > 0.0) ? v : b);
    } else {
      static_assert(K == StrategyKind::UniformAllPay, "closed_form_bid: not a closed-form strategy");
      const double t = (v - low) / width;
      const double b = v * int_pow(t, n - 1) - width * (int_pow(t, n) - int_pow(t_entry, n)) / n;
      return v < entry ? kNoBid : (b > floor ? b : floor);
    }
  }

  MCREV_HD double bid(double v, const Distribution& d, const double* arena) const {
    switch (kind) {
      case StrategyKind::DiscreteMixed: return mixed_bid(v, 0.5, arena);
      case StrategyKind::Truthful: return closed_form_bid<StrategyKind::Truthful>(v);
      case StrategyKind::Shade: return closed_form_bid<StrategyKind::Shade>(v);
      case StrategyKind::Table: {
        if (v < entry) return kNoBid;
        return table_bid(table_w(d.cdf(v, arena)), arena + table, slopes < 0 ? nullptr : arena + slopes);
      }
      case StrategyKind::ValueTable: return v < entry ? kNoBid : interpolate_knots(v, arena + table, table_n);
      case StrategyKind::UniformFirstPrice: return closed_form_bid<StrategyKind::UniformFirstPrice>(v);
      case StrategyKind::UniformAllPay: return closed_form_bid<StrategyKind::UniformAllPay>(v);
    }
    return v;
  }
};

static_assert(std::is_trivially_copyable_v<Strategy>);

}  // namespace mcrev
