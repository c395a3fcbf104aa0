// mcrev: symmetric Bayes–Nash equilibrium bid functions, tabulated on the host.
#pragma once

#include "mcrev/distributions/distribution.hpp"
#include "mcrev/strategies/strategy.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// Bids at K nodes evenly spaced in w (see Strategy): w = t + λ_lo log(t + 1e-30) − λ_hi log(1 + 1e-13 − t)
/// with t = F(v) and λ = 1/log(1/ε) for each tail: a third of the nodes evenly in F, a third evenly in
/// log F, a third evenly in log(1 − F), so the upper quantiles where the winners of many bidders lie
/// are resolved as well as the body and the lower tail. Unbounded supports end at Q(1 − 1e-13).
struct BneTable {
  double entry;                ///< lowest value that bids
  double w0, w1;               ///< node range in w
  double w_lin = 1, w_lo = 0, eps_lo = 0, w_hi = 0, eps_hi = 0;  ///< the node map (Strategy)
  int points = 0;              ///< K
  std::vector<double> bids;    ///< β at the nodes
  std::vector<double> slopes;  ///< dβ/dw at the nodes, for cubic Hermite interpolation
  /// Measured interpolation error: the largest |interpolated − exact| bid over the midpoints of all
  /// node intervals (where a cubic Hermite piece's error peaks), in bid units. The table starts with
  /// `points` nodes and doubles them (up to 65,537) while this exceeds 1e-9 × the bid scale.
  double error = 0.0;

  /// The strategy that interpolates this table, stored at arena offsets (bids, slopes).
  Strategy strategy(int bids_offset, int slopes_offset) const;
};

/// First price, n iid bidders, minimum bid r:  β(v) = v − ∫_r^v (F(x)/F(v))^{n−1} dx for v >= r
/// (THEORY.md, "First price, symmetric BNE"); entry type max(r, low).
BneTable first_price_bne(const Distribution& d, const double* arena, int n, double reserve, int points = 4097);

/// First price, n iid bidders with CRRA utility w^ρ (ρ in (0, 1]), reserve r: the first-order
/// condition β' = ((n − 1)/ρ)(f(v)/F(v))(v − β), β(r) = r, gives
///   β(v) = v − ∫_r^v (F(x)/F(v))^{(n−1)/ρ} dx   (docs/single_item.md; 2 U[0,1] bidders, ρ = 1/2: 2v/3),
/// the risk-neutral equilibrium of 1 + (n − 1)/ρ bidders, tabulated the same way.
BneTable first_price_bne_crra(const Distribution& d, const double* arena, int n, double reserve, double rho);

/// All-pay, n iid bidders, minimum bid m: β(v) = v F(v)^{n−1} − ∫_{r*}^v F(x)^{n−1} dx for v >= r*,
/// where the entry type r* solves r* F(r*)^{n−1} = m (THEORY.md, "All-pay").
BneTable all_pay_bne(const Distribution& d, const double* arena, int n, double min_bid, int points = 4097);

/// The same equilibria in closed form for iid uniform values U[low, high] (first price, or all-pay
/// when all_pay): StrategyKind::UniformFirstPrice / UniformAllPay (mcrev/strategies/strategy.hpp),
/// with the entry type of first_price_bne / all_pay_entry. Exact up to rounding, and free of
/// transcendental functions, so CPU and GPU bids agree bit for bit.
Strategy uniform_bne(const Distribution& d, const double* arena, int n, double reserve, bool all_pay);

/// The all-pay entry type r* >= low: the smallest r with r F(r)^{n−1} >= min_bid.
double all_pay_entry(const Distribution& d, const double* arena, int n, double min_bid);

/// k-th price (k >= 3; the winner pays the k-th highest bid), n >= k iid bidders with a continuous
/// F, reserve r (docs/single_item.md, "k-th price: the symmetric equilibrium"). Revenue equivalence
/// in quantile space t = F(v), x(t) = F^{-1}(t), gives the Abel equation
///   ((n−1)!/((k−2)!(n−k)!)) ∫_0^t b(u) u^{n−k} (t − u)^{k−2} du = ∫_0^t (n−1) x(u) u^{n−2} du,
/// whose solution is b(t) = ((n−k)!/(n−2)!) t^{k−n} d^{k−2}/dt^{k−2}[x(t) t^{n−2}]:
///   k = 3, any continuous F:  β(v) = v + F(v)/((n − 2) f(v))  (also with a binding reserve, for v >= r);
///   uniform and power F = ((v − lo)/(hi − lo))^κ, any k (no binding reserve when k >= 4):
///     β(v) = lo + c (v − lo),  c = (n−k)! Γ(n − 1 + 1/κ) / ((n−2)! Γ(n − k + 1 + 1/κ))  (U[0,1]: (n−1)/(n−k+1)).
/// With a binding reserve and k >= 4 the equation's initial conditions cannot all hold (there is no
/// equilibrium of this form). Throws ScenarioError(path, …) where no equilibrium is implemented, and
/// when β is not increasing (then there is no symmetric increasing equilibrium). The strategy's
/// tables are appended to `arena`; `info` receives the table's node count and measured error.
struct KthPriceBne {
  Strategy strategy;
  std::string method;  ///< "closed_form" (linear, 2 value knots) or "symmetric" (Hermite table)
  int nodes = 0;
  double max_error = 0.0;
};
KthPriceBne kth_price_bne(const Distribution& d, std::vector<double>& arena, int n, int k, double reserve,
                          const std::string& path);

/// The largest finite value used for tabulation: high, or Q(1 − 1e-13) for unbounded supports.
double finite_top(const Distribution& d, const double* arena);

}  // namespace mcrev
