// mcrev: the mineral-rights common value (`[values] kind = "mineral_rights"`; mcrev/model/values.hpp;
// docs/single_item.md, "Mineral rights: a common draw plus noise").
//
// Every bidder values the item at the profile's common draw V = weight·C (C ~ `[correlation]
// kind = "affiliated"`'s `common`, density g_V) and observes the signal s_i = V + ε_i, ε_i iid with
// density f and CDF F (the groups' `value` law, the same for every group). For n bidders:
//   second price, symmetric equilibrium (Milgrom and Weber 1982; Krishna, Auction Theory, ch. 6):
//     β(x) = v(x, x) = E[V | s_i = x, max_{j≠i} s_j = x]
//          = ∫ c g_V(c) f(x − c)² F(x − c)^{n−2} dc / ∫ g_V(c) f(x − c)² F(x − c)^{n−2} dc
//     (given V = c, s_i = x has density f(x − c) and the highest of n − 1 others is at x with
//     density (n − 1) f(x − c) F(x − c)^{n−2}); an equilibrium when it is increasing in x (affiliated
//     signals: log-concave f).
//   naive: β(x) = E[V | s_i = x] = ∫ c g_V(c) f(x − c) dc / ∫ g_V(c) f(x − c) dc.
// Both integrals by composite 8-point Gauss–Legendre (256 panels) over V's support ∩ [x − hi_ε, x − lo_ε];
// tabulated at 2,049 signals evenly spaced over the signal range plus the two interior kinks
// (x = lo_V + hi_ε, hi_V + lo_ε), linear in between (ValueTable); the error is measured at 1/4, 1/2
// and 3/4 of every knot interval.
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// E[V | s_i = x, max_{j≠i} s_j = x] (naive = false) or E[V | s_i = x] (naive = true), see above;
/// common: the law of C (weight·C = V), noise: the law of ε. Distributions must not use an arena.
double mineral_rights_conditional_value(const Distribution& common, double weight, const Distribution& noise, int n,
                                        bool naive, double x);

/// The bid table (signals, bids) and its measured interpolation error (bid units, at 1/4, 1/2 and
/// 3/4 of every knot interval). Throws ScenarioError(path) when the bid is not nondecreasing in the signal.
struct MineralRightsTable {
  std::vector<double> signal, bid;
  double max_error = 0.0;
};
MineralRightsTable mineral_rights_table(const Distribution& common, double weight, const Distribution& noise, int n,
                                        bool naive, const std::string& path, int points = 2049);

/// Scope checks of `[values] kind = "mineral_rights"` (throws ScenarioError naming the key).
void validate_mineral_rights(const Scenario& sc);

/// One strategy per group for mechanism m when its strategy is "bne" (second price) or "naive";
/// empty otherwise. Appends the knots to arena and one BidTableInfo per group to *tables.
std::vector<Strategy> mineral_rights_strategies(const Scenario& sc, size_t m, std::vector<double>& arena,
                                                std::vector<BidTableInfo>* tables);

}  // namespace mcrev
