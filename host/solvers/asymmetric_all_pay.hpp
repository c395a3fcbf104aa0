// mcrev: all-pay Bayes–Nash equilibrium for asymmetric bidder groups, solved on the host
// (docs/single_item.md, "Asymmetric all-pay").
//
// Groups g hold n_g bidders with independent values ~ F_g on [0, hi_g] (continuous, bounded, lowest
// value 0), N = Σ n_g >= 2, no minimum bid. Let t_g(b) = F_g(φ_g(b)) (φ_g the inverse bid) and
// s_g = log t_g. A bidder of group g with value φ_g(b) bidding b wins with P_g = Π_h t_h^{n_h − δ_gh}
// and maximizes φ_g P_g(b) − b, so φ_g P_g' = 1. With L = Σ_h n_h s_h, P_g'/P_g = L' − s_g' and
// y_g = 1/(φ_g P_g):
//     L' = Σ_h n_h y_h / (N − 1),   s_g' = L' − y_g   (derivatives in b).          (**)
// (**) does not involve b itself, so the trajectory from the common top (every t_g = 1 at the
// common highest bid b̄) is found without shooting: it is integrated in σ = s_0 (log of group 0's
// quantile) from 0 down to log 1e-12 with classical RK4 in logs (no underflow of P_g), and the bid
// b(σ) = ∫_{−∞}^σ (db/dσ) dσ follows (the tail below the last point estimated geometrically). Two
// bidders give the closed form of Amann and Leininger (1996): t_2 = H_2^{-1}(H_1(t_1)) with
// H_i(t) = ∫_t^1 ds/Q_i(s); for U[0, a] against U[0, c]: t_2 = t_1^{c/a}, dt_1/db = 1/(c t_2), so
// β_1(v) = (ac/(a + c)) (v/a)^{(a+c)/a} and β_2(v) = (ac/(a + c)) (v/c)^{(a+c)/c}, b̄ = ac/(a + c).
// Every group must bid on the whole range (s_g' > 0 along the trajectory); where a weak group would
// stay out of the highest bids, or lowest values or a minimum bid differ from 0, the solver throws
// ScenarioError naming `path` (not implemented). Result: one ValueTable strategy per group.
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

struct AllPayAsymmetricSolution {
  double top_bid = 0.0;  ///< b̄, the common highest bid
  /// Per group: value knots (ascending) and their bids; linear interpolation between them.
  std::vector<std::vector<double>> value, bid;
  std::vector<double> max_error;  ///< per group: max |linear interpolation − trajectory| at skipped points
};

/// The scope checks that need no integration, for validate (parse time): every group continuous on
/// [0, hi_g] with hi_g finite, no minimum bid, and every group bidding at the top
/// (Σ_h n_h/hi_h > (N − 1)/hi_g). Throws ScenarioError naming mechanisms[m].strategy.
void validate_asymmetric_all_pay(const Scenario& sc, size_t m);

/// Solves (**) for groups with distributions dists[g] and counts[g] (see above).
AllPayAsymmetricSolution all_pay_bne_asymmetric(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                                const double* arena, double min_bid, const std::string& path,
                                                int steps = 65536);

/// The asymmetric all-pay equilibrium of the model's groups as ValueTable strategies (knots appended
/// to md.arena); info (if given) receives one BidTableInfo per group (group name left empty).
std::vector<Strategy> asymmetric_all_pay_strategies(ModelData& md, double min_bid, const std::string& path,
                                                    std::vector<BidTableInfo>* info = nullptr);

}  // namespace mcrev
