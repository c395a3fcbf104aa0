// mcrev: the symmetric first-price equilibrium for iid discrete values, in mixed strategies
// (docs/single_item.md, "Mixed equilibria for discrete values").
#pragma once

#include "mcrev/distributions/distribution.hpp"
#include "mcrev/strategies/strategy.hpp"

#include <string>
#include <vector>

namespace mcrev {

struct Scenario;  // mcrev/engine.hpp

/// One row of the equilibrium's interval table: atom x_k, F_{k−1} = P(V < x_k), p_k = P(V = x_k),
/// the type's equilibrium utility U_k and its bid interval [low, high] (low = high for a pure bid).
struct MixedInterval {
  double value, below, prob, utility, low, high;
};

/// n >= 1 iid bidders whose values take the atoms x_0 < ... < x_{K−1} of d (DistKind::Discrete) with
/// probabilities p_k, minimum bid (reserve) r >= 0. Types below r stay out. With j the lowest type
/// x_j >= r and F_k = p_0 + ... + p_k:
///   U_j = (x_j − r) F_{j−1}^{n−1}  (U_j = 0 when j = 0 and n >= 2),   b_{j−1} = r (or x_0 when j = 0),
///   type k mixes over [b_{k−1}, b_k] with G_k(b) = ((U_k/(x_k − b))^{1/(n−1)} − F_{k−1}) / p_k,
///   b_k = x_k − U_k / F_k^{n−1},   U_{k+1} = (x_{k+1} − b_k) F_k^{n−1}
/// (the indifference condition (x_k − b)(F_{k−1} + p_k G_k(b))^{n−1} = U_k on the interval).
/// Rows for every atom (types below r get utility 0 and an empty interval at kNoBid).
std::vector<MixedInterval> discrete_first_price_intervals(const Distribution& d, const double* arena, int n,
                                                          double reserve);

/// The strategy (StrategyKind::DiscreteMixed) of that equilibrium; its table (4 doubles per atom) is
/// appended to arena.
Strategy discrete_first_price_mixed(const Distribution& d, std::vector<double>& arena, int n, double reserve);

/// True when mechanism m of sc is first price with strategy = "bne" and every bidder group has the
/// same discrete value distribution (dist = "discrete"): the mixed equilibrium above applies.
/// Throws ScenarioError(mechanisms[m].strategy) for risk-averse bidders (not implemented).
bool uses_discrete_mixed_equilibrium(const Scenario& sc, size_t m);

}  // namespace mcrev
