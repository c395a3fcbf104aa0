// mcrev: first-price Bayes–Nash equilibrium for asymmetric bidder groups, solved on the host
// (docs/distributions-and-strategies.md, "Asymmetric first-price equilibrium").
//
// Groups g = 1..G hold n_g bidders with values ~ F_g (independent), N = Σ n_g >= 2, and a common
// reserve r. Let φ_g(b) be the inverse bid function of group g (the value that bids b) and
// c_g = 1/(φ_g(b) − b). A bidder of group g with value φ_g(b) maximizes (φ_g(b) − b)·Π_h F_h(φ_h(b))^{n_h − δ_gh};
// the first-order conditions  Σ_h (n_h − δ_gh) · d log F_h(φ_h(b))/db = c_g  (for every g) solve to
//     d log F_g(φ_g(b))/db = (1/(N − 1)) Σ_h n_h c_h − c_g,                          (*)
// with boundary conditions φ_g(b̄) = hi_g at a common top bid b̄ and φ_g(r*) = r* at the common
// lowest bidding type r* = max(r, lo_g) (Marshall, Meurer, Richard & Stromquist 1994; Lebrun 1999).
//
// Method: (*) is integrated for s_g = log F_g(φ_g) in τ = log(b − r*) (smooth at both ends; only the
// quantile functions Q_g are needed) with an adaptive Dormand–Prince 5(4) scheme, backwards from b̄.
// b̄ is found by bisection (backward shooting, Fibich & Gavish 2011): too high a b̄ makes some
// φ_g(b) <= b or φ_g(b) < r* before b reaches r*. Backward integration amplifies the error of b̄
// (like ((b̄ − r*)/(b − r*))^N when r* is the lowest value), so the solution is continued by
// re-shooting: where the bracketing trajectories start to differ by 1e-10, a new bisection over
// the segment between their states restarts the integration (multiple shooting on the one
// unstable mode). The result is tabulated per group as value knots (StrategyKind::ValueTable).
//
// With several bidders per group, a weak group's highest bid can lie below b̄: a group whose top
// type does not yet want to bid b (Σ_{h active} n_h y_h < c_g) stays out above that bid; its bid
// function then has a square-root tip at its top value, which the value knots resolve.
#pragma once

#include "mcrev/distributions/distribution.hpp"
#include "mcrev/engine.hpp"

#include <cmath>

#include <string>
#include <vector>

namespace mcrev {

/// A bid function tabulated at value knots, linear in v between them and constant beyond the ends;
/// values below `entry` do not bid (StrategyKind::ValueTable).
struct ValueKnots {
  double entry = -HUGE_VAL;
  std::vector<double> value, bid;
  double max_error = 0.0;  ///< measured: max |interpolated − trajectory| bid at the knot-interval midpoints
  double operator()(double v) const;
};

struct AsymmetricBneSolution {
  double lowest_type = 0.0;  ///< r* = max(reserve, lo_g), common to all groups (bids r* there)
  double top_bid = 0.0;      ///< b̄, the common highest bid
  /// The integrated trajectory at checkpoints j (descending bids): bid[j] and, per group g,
  /// log_t[g][j] = log F_g(φ_g(bid[j])) and its derivative in τ = log(b − r*).
  std::vector<double> bid;
  std::vector<std::vector<double>> log_t, dlog_t;
  /// Per group: the bid function at knots (the trajectory's checkpoints plus `points` values evenly
  /// spaced in t = F_g(v), `points` evenly in log(1 − t) and `points` evenly in the bid); linear
  /// interpolation in v is accurate to ~1e-9 of the bid range (measured: ValueKnots::max_error).
  std::vector<ValueKnots> knots;
  /// Per group: 1, or 1 − 1e-12 for an unbounded support, which is solved truncated at Q_g(1 − 1e-12)
  /// (higher values bid that quantile's bid); log_t is log(F_g/mass_g).
  std::vector<double> mass;
  std::vector<double> bottom_t;  ///< per group: F_g(r*)/mass_g
  int levels = 0;                ///< shooting levels used (1 = plain backward shooting)
  /// Which boundary problem was solved: "common lowest type" (φ_g(r*) = r* for all g), "strong
  /// lowest bid" (one bidder alone has the highest lowest value; asymmetric_supports.hpp) or "pooled"
  /// (that bidder bids one price and nobody else wins).
  std::string regime = "common lowest type";
  /// "strong lowest bid" only: an estimate of the inverse bids' integration error (value units), the
  /// largest |φ_g| difference to a solve at a 100 times looser tolerance (1e-10) over bids where
  /// every t_g >= 1e-9; 0 otherwise.
  double ode_error = 0.0;

  /// φ_g(b) for r* <= b <= b̄ from the trajectory (cubic Hermite in τ between checkpoints).
  double inverse_bid(const std::vector<Distribution>& dists, const double* arena, int g, double b) const;
};

/// Solves the asymmetric first-price equilibrium (see above). dists[g] and counts[g] describe group
/// g; reserve is the anonymous minimum bid. Throws ScenarioError(path, …) when the model is outside
/// the solver's scope (reserve at or above a group's top value, total N < 2; lowest values that differ
/// below the reserve go to first_price_bne_different_supports, asymmetric_supports.hpp, with its own scope)
/// or when the numerical solution fails its own checks (monotone inverse bids).
AsymmetricBneSolution first_price_bne_asymmetric(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                                 const double* arena, double reserve, const std::string& path,
                                                 int points = 4097);

/// The asymmetric first-price equilibrium of the model's groups as one ValueTable strategy per group
/// (knots appended to md.arena); reserve is the mechanism's anonymous reserve.
/// info (if given) receives one BidTableInfo per group (knot count, measured error; group left empty).
/// The model's groups as the asymmetric solvers take them: one distribution and count per group.
/// The active-set right side of the inverse-bid equations (*) in τ (asymmetric_bne.cpp).
bool asymmetric_slopes(int G, const double* n, const double* s, const double* c, bool* active, double x, double* ds);

void group_distributions(const ModelData& md, std::vector<Distribution>* dists, std::vector<int>* counts);

std::vector<Strategy> asymmetric_first_price_strategies(ModelData& md, double reserve, const std::string& path,
                                                       std::vector<BidTableInfo>* info = nullptr);

}  // namespace mcrev
