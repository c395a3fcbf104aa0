// mcrev: bidding strategies, bid = β(value).
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/core/knots.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

/// Report of a bidder who stays out (below every reserve, never wins, pays nothing).
inline constexpr double kNoBid = -HUGE_VAL;

enum class StrategyKind : int {
  Truthful,  ///< β(v) = v
  Shade,     ///< β(v) = factor · v
  Table,     ///< β tabulated at K points evenly spaced in w(F(v)); v < entry: no bid
  ValueTable,  ///< β linear in v through K knots (arena: K values, then K bids; mcrev/knots.hpp); v < entry: no bid
};

/// A group's bid function. Table strategies (the Bayes–Nash equilibria) are computed on the host
/// (host/bne.cpp) at K nodes evenly spaced in w over [w0, w1], where w = t = F(v) for bounded
/// supports and w = −log(1 − F(v)) for unbounded ones (log_tail), so tails are resolved too.
/// Interpolation is cubic Hermite when slopes dβ/dw are tabulated, else linear.
struct Strategy {
  StrategyKind kind = StrategyKind::Truthful;
  double factor = 1.0;
  double entry = -HUGE_VAL;  ///< Table: lowest value that bids (the reserve type)
  double w0 = 0.0, w1 = 1.0; ///< Table: node range in w
  int log_tail = 0;          ///< Table: 1 if w = −log(1 − t)
  int table = -1;            ///< Table: arena offset of K bids (ValueTable: K values, then K bids)
  int table_n = 0;           ///< K >= 2
  int slopes = -1;           ///< Table: arena offset of K slopes dβ/dw, or -1 (linear interpolation)

  MCREV_HD double bid(double v, const Distribution& d, const double* arena) const {
    switch (kind) {
      case StrategyKind::Truthful: return v;
      case StrategyKind::Shade: return factor * v;
      case StrategyKind::Table: {
        if (v < entry) return kNoBid;
        const double t = d.cdf(v, arena);
        const double w = log_tail ? -log1p(-t) : t;
        const double* b = arena + table;
        double s = (w - w0) / (w1 - w0) * (table_n - 1);
        if (!(s > 0)) return b[0];
        int k = static_cast<int>(s);
        if (k >= table_n - 1) return b[table_n - 1];
        s -= k;
        if (slopes < 0) return b[k] + s * (b[k + 1] - b[k]);
        // Cubic Hermite on [w_k, w_k+1]; slopes scaled to the unit interval.
        const double h = (w1 - w0) / (table_n - 1);
        const double m0 = arena[slopes + k] * h, m1 = arena[slopes + k + 1] * h;
        const double s2 = s * s, s3 = s2 * s;
        return (2 * s3 - 3 * s2 + 1) * b[k] + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * b[k + 1] + (s3 - s2) * m1;
      }
      case StrategyKind::ValueTable: return v < entry ? kNoBid : interpolate_knots(v, arena + table, table_n);
    }
    return v;
  }
};

static_assert(std::is_trivially_copyable_v<Strategy>);

}  // namespace mcrev
