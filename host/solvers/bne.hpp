// mcrev: symmetric Bayes–Nash equilibrium bid functions, tabulated on the host.
#pragma once

#include "mcrev/distributions/distribution.hpp"
#include "mcrev/strategies/strategy.hpp"

#include <vector>

namespace mcrev {

/// Bids at K nodes evenly spaced in w (see Strategy): w = F(v), or −log(1 − F(v)) if log_tail.
struct BneTable {
  double entry;                ///< lowest value that bids
  double w0, w1;               ///< node range in w
  int log_tail;                ///< unbounded support: nodes in −log(1 − F)
  std::vector<double> bids;    ///< β at the nodes
  std::vector<double> slopes;  ///< dβ/dw at the nodes, for cubic Hermite interpolation

  /// The strategy that interpolates this table, stored at arena offsets (bids, slopes).
  Strategy strategy(int bids_offset, int slopes_offset) const;
};

/// First price, n iid bidders, minimum bid r:  β(v) = v − ∫_r^v (F(x)/F(v))^{n−1} dx for v >= r
/// (THEORY.md, "First price, symmetric BNE"); entry type max(r, low).
BneTable first_price_bne(const Distribution& d, const double* arena, int n, double reserve, int points = 4097);

/// All-pay, n iid bidders, minimum bid m: β(v) = v F(v)^{n−1} − ∫_{r*}^v F(x)^{n−1} dx for v >= r*,
/// where the entry type r* solves r* F(r*)^{n−1} = m (THEORY.md, "All-pay").
BneTable all_pay_bne(const Distribution& d, const double* arena, int n, double min_bid, int points = 4097);

/// The largest finite value used for tabulation: high, or Q(1 − 1e-13) for unbounded supports.
double finite_top(const Distribution& d, const double* arena);

}  // namespace mcrev
