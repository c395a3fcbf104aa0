// mcrev: interdependent and common values (the top-level `[values]` table; docs/single_item.md,
// "Interdependent and common values").
//
// A profile's draws are then signals s_i (each group's `value` distribution is its signals' law) and
// bidder i's value is linear in all signals:
//   v_i = own · s_i + others · Σ_{j≠i} s_j
//   kind = "interdependent", gamma = γ:  own = 1, others = γ         (v_i = s_i + γ Σ_{j≠i} s_j)
//   kind = "common":                      own = others = 1/n          (v = the mean of the n signals)
//   kind = "mineral_rights": every bidder's value is the profile's common draw V = weight·C, the
//     common component of `[correlation] kind = "affiliated"`, whose signals are s_i = V + ε_i with
//     ε_i ~ the group's `value` law (mineral_rights_value; the same expression and stream word as
//     draw_correlated_values, so signals and value agree on every backend).
// Mechanisms run on reports computed from the signals (strategies map signals to bids); welfare,
// utilities, per-group outcomes and the first best use the values (mcrev/pipeline/evaluate.hpp).
// Single-item market, unit demand, independent signals.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/distributions/correlation.hpp"

namespace mcrev {

enum class ValuesKind : int { Private = 0, Common = 1, Interdependent = 2, MineralRights = 3 };

/// The values' dependence on the signals (Model::values); Private: v = s (the default).
struct ValuesModel {
  ValuesKind kind = ValuesKind::Private;
  double own = 1.0;     ///< weight of the own signal
  double others = 0.0;  ///< weight of each other signal
};

/// The `[values]` table as written: kind and γ (interdependent).
struct ValuesSpec {
  ValuesKind kind = ValuesKind::Private;
  double gamma = 0.0;  ///< interdependent: v_i = s_i + γ Σ_{j≠i} s_j (γ >= 0)
};

/// Values of n bidders from their signals s: v_i = own·s_i + others·(S − s_i), S = Σ_j s_j summed in
/// index order (the same order on every backend); common: every v_i = S/n exactly. O(n).
MCREV_HD inline void values_from_signals(const ValuesModel& vm, int n, const double* s, double* v) {
  double total = 0.0;
  for (int i = 0; i < n; ++i) total += s[i];
  if (vm.kind == ValuesKind::Common) {
    const double mean = total / n;
    for (int i = 0; i < n; ++i) v[i] = mean;
    return;
  }
  for (int i = 0; i < n; ++i) v[i] = vm.own * s[i] + vm.others * (total - s[i]);
}

/// Mineral rights: the common value V = weight · G^{-1}(u) of profile `profile`, u the first uniform of
/// lane kCorrelationLane (bit for bit the common component added to the signals by
/// draw_correlated_values). c: the model's affiliated Correlation.
MCREV_HD inline double mineral_rights_value(const Correlation& c, const double* arena, std::uint64_t seed,
                                            std::uint64_t profile) {
  return c.weight * c.common.quantile(Stream(seed, profile, kCorrelationLane).uniform(), arena);
}

}  // namespace mcrev
