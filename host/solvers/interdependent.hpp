// mcrev: interdependent and common values (`[values]`; mcrev/model/values.hpp): scope checks and the
// symmetric equilibria for iid uniform signals (docs/single_item.md, "Interdependent and common values").
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// The model's weights from sc.values and the number of bidders n (common: own = others = 1/n).
ValuesModel values_model(const Scenario& sc);

/// Scope of `[values]` (throws ScenarioError naming the key): single_item market, unit demand,
/// independent signals (no [correlation]), the standard auctions (second_price, first_price,
/// all_pay, third_price, kth_price), no interim loss; strategy = "bne" for first_price and
/// second_price only, with every group's signals the same U[lo, hi] and no reserve above lo;
/// strategy = "naive" only with `[values]`.
void validate_values(const Scenario& sc);

/// β(s) = slope · s + intercept, a linear bid function of the signal.
struct LinearBid {
  double slope = 1.0, intercept = 0.0;
};

/// n iid U[lo, hi] signals, v_i = a s_i + c Σ_{j≠i} s_j (ValuesModel own = a, others = c). With
/// A = a + c n/2 and B = c (n − 2) lo / 2 (Milgrom and Weber 1982; docs/single_item.md):
///   second price: β(x) = v(x, x) = E[v_i | s_i = x, max_{j≠i} s_j = x] = A x + B;
///   first price:  β(x) = E[v(Y, Y) | Y < x] = A (lo + (n − 1)(x − lo)/n) + B   (Y = max_{j≠i} s_j);
///   naive:        β(x) = E[v_i | s_i = x] = a x + c (n − 1)(lo + hi)/2.
LinearBid second_price_interdependent(const ValuesModel& vm, int n, double lo, double hi);
LinearBid first_price_interdependent(const ValuesModel& vm, int n, double lo, double hi);
LinearBid naive_bid(const ValuesModel& vm, int n, double lo, double hi);

/// The strategy (StrategyKind::ValueTable, knots at lo and hi) that bids `bid`; appended to arena.
Strategy linear_value_strategy(const LinearBid& bid, double lo, double hi, std::vector<double>& arena);

/// Strategies (one per group) of mechanism m under `[values]` when its strategy is "bne" or
/// "naive"; empty otherwise. Records the method in *tables (one entry per group).
std::vector<Strategy> interdependent_strategies(const Scenario& sc, size_t m, const ValuesModel& vm,
                                                std::vector<double>& arena, std::vector<BidTableInfo>* tables);

/// The winner's curse statistic of a mechanism under `[values]`: E[value − price | sale]
///   = Σ_g count_g · utility_g / P(sale)   (risk-neutral bidders: the winner's net gain),
/// from the per-group utility means; standard error Σ_g count_g · se(utility_g) / P(sale) (exact for
/// one group, an upper bound otherwise; P(sale) taken as known — it is 1 exactly, with standard
/// error 0, whenever every bid takes part). z: the normal quantile of the run's confidence level.
void add_winners_curse(const Scenario& sc, double z, MechanismResult& r);

}  // namespace mcrev
