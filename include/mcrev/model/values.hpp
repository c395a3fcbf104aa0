// mcrev: interdependent and common values (the top-level `[values]` table; docs/single_item.md,
// "Interdependent and common values").
//
// A profile's draws are then signals s_i (each group's `value` distribution is its signals' law) and
// bidder i's value is linear in all signals:
//   v_i = own · s_i + others · Σ_{j≠i} s_j
//   kind = "interdependent", gamma = γ:  own = 1, others = γ         (v_i = s_i + γ Σ_{j≠i} s_j)
//   kind = "common":                      own = others = 1/n          (v = the mean of the n signals)
// Mechanisms run on reports computed from the signals (strategies map signals to bids); welfare,
// utilities, per-group outcomes and the first best use the values (mcrev/pipeline/evaluate.hpp).
// Single-item market, unit demand, independent signals.
#pragma once

#include "mcrev/core/config.hpp"

namespace mcrev {

enum class ValuesKind : int { Private = 0, Common = 1, Interdependent = 2 };

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

}  // namespace mcrev
