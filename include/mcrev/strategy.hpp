// mcrev: bidding strategies, bid = β(value).
#pragma once

#include "mcrev/config.hpp"
#include "mcrev/distribution.hpp"
#include "mcrev/knots.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

/// Report of a bidder who stays out (below every reserve, never wins, pays nothing).
inline constexpr double kNoBid = -HUGE_VAL;

enum class StrategyKind : int {
  Truthful,  ///< β(v) = v
  Shade,     ///< β(v) = factor · v
  Table,     ///< β tabulated at K points evenly spaced in t = F(v) over [t0, 1]; v < entry: no bid
  ValueTable,  ///< β linear in v through K knots (arena: K values, then K bids; mcrev/knots.hpp); v < entry: no bid
};

/// A group's bid function. Table strategies (the Bayes–Nash equilibria) are computed on the host
/// (host/bne.cpp) and interpolated linearly in t = F(v) here.
struct Strategy {
  StrategyKind kind = StrategyKind::Truthful;
  double factor = 1.0;
  double entry = -HUGE_VAL;  ///< Table: lowest value that bids (the reserve type)
  double t0 = 0.0;           ///< Table: F(entry)
  int table = -1;            ///< Table: arena offset of K bids (ValueTable: K values, then K bids)
  int table_n = 0;           ///< K >= 2

  MCREV_HD double bid(double v, const Distribution& d, const double* arena) const {
    switch (kind) {
      case StrategyKind::Truthful: return v;
      case StrategyKind::Shade: return factor * v;
      case StrategyKind::Table: {
        if (v < entry) return kNoBid;
        const double t = d.cdf(v, arena);
        const double* b = arena + table;
        double s = (t - t0) / (1.0 - t0) * (table_n - 1);
        if (!(s > 0)) return b[0];
        int k = static_cast<int>(s);
        if (k >= table_n - 1) return b[table_n - 1];
        s -= k;
        return b[k] + s * (b[k + 1] - b[k]);
      }
      case StrategyKind::ValueTable: return v < entry ? kNoBid : interpolate_knots(v, arena + table, table_n);
    }
    return v;
  }
};

static_assert(std::is_trivially_copyable_v<Strategy>);

}  // namespace mcrev
