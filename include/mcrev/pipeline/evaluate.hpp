// mcrev: the per-profile pipeline that both backends run — draw values, run every mechanism, derive
// the metric block from each generic outcome (docs/architecture.md, "Data path").
//
//   evaluate_profile(md, profile, m_begin, m_end, v, b, out)
//     v: n_values doubles (the profile's values), b: md.scratch_doubles() doubles of scratch,
//     out: (m_end − m_begin) metric blocks of md.metrics_per_mechanism() doubles (metric:: layout,
//     then the incentive block of mcrev/model/incentive_spec.hpp when enabled).
// Deterministic: a pure function of (model, profile); no state crosses profiles.
#pragma once

#include "mcrev/incentives/expost.hpp"
#include "mcrev/mechanisms/registry.hpp"
#include "mcrev/model/model.hpp"

namespace mcrev {

/// Revenue Σ_i t_i of an outcome (the mechanism's budget surplus).
MCREV_HD inline double outcome_revenue(const Model& md, const Outcome& o) {
  if (!o.dense) return o.winner >= 0 ? o.price : 0.0;
  double total = 0.0;
  for (int i = 0; i < md.n_bidders; ++i) total += o.transfer[i];
  return total;
}

/// First-best surplus of the units market at seller value v0: Σ_{j<k} max(v0, v_(j)) over the
/// profile's marginal values in decreasing order (v0 for units beyond the values). O(n_values · k).
MCREV_HD MCREV_NOINLINE inline double first_best_units(const Model& md, const double* v, double v0) {
  const int k = md.market.units;
  double total = 0.0, prev = HUGE_VAL;
  int taken = 0;
  while (taken < k) {
    double top = -HUGE_VAL;
    int mult = 0;
    for (int s = 0; s < md.n_values; ++s) {
      const double x = v[s];
      if (!(x < prev)) continue;
      if (x > top) {
        top = x;
        mult = 1;
      } else if (x == top) {
        ++mult;
      }
    }
    if (mult == 0 || !(top > v0)) break;
    for (int c = 0; c < mult && taken < k; ++c, ++taken) total += top;
    prev = top;
  }
  for (; taken < k; ++taken) total += v0;
  return total;
}

/// Items in an item set (combinatorial bundles).
MCREV_HD MCREV_INLINE int count_items(int set) {
  int c = 0;
  for (; set; set &= set - 1) ++c;
  return c;
}

/// Per-group metrics of a dense outcome (out of line: the sparse single-item path stays small).
/// Outside the single-item market it also writes the budget block's IR violations and activity
/// (budget_metrics' loop, with the same utilities), so that each agent's value is computed once.
MCREV_HD MCREV_NOINLINE inline void dense_group_metrics(const Model& md, const Outcome& o, const double* v, double* out,
                                                        double* welfare_out, double* allocated_out) {
  double welfare = 0.0, allocated = 0.0;
  const bool budget = md.market.kind != MarketKind::SingleItem;
  double* bb = out + metric::per_mechanism(md.n_groups);
  bool active = false;
  for (int g = 0; g < md.n_groups; ++g) {
    const Group& gr = md.groups[g];
    double held = 0.0, paid = 0.0, util = 0.0, negative = 0.0;
    const double per_unit = md.market.kind == MarketKind::Combinatorial ? count_items(gr.bundle) : 1.0;
    if (md.market.kind == MarketKind::Divisible && gr.utility == static_cast<int>(Utility::Steps) && gr.risk == 1.0) {
      // The loop below for step curves, with the group's checks hoisted: agent_value is utility_value
      // of steps with vf = 1 (vf · mv_k = mv_k), risk_utility(1, u) = u and x · per_unit = x.
      const double w = gr.size;
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        const double x = o.alloc[i], t = o.transfer[i];
        const double* mv = v + gr.first_value + (i - gr.first) * gr.demand;
        double value = 0.0;
        for (int k = 0; k < gr.demand; ++k) {
          const double rest = x - k * w;
          if (!(rest > 0.0)) break;
          value += (rest < w ? rest : w) * mv[k];
        }
        const double u = value - t;
        welfare += value;
        allocated += x;
        held += x;
        paid += t;
        util += u;
        negative += u < 0.0 ? 1.0 : 0.0;
        active = active || x != 0.0;
      }
    } else
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double x = o.alloc[i], t = o.transfer[i];
      const double value = agent_value(md, gr, v + gr.first_value + (i - gr.first) * gr.demand, x);
      const double u = value - t;
      welfare += value;
      allocated += x * per_unit;
      held += x;
      paid += t;
      util += risk_utility(gr.risk, u);
      negative += u < 0.0 ? 1.0 : 0.0;
      active = active || x != 0.0;
    }
    const double inv = 1.0 / gr.count;
    out[metric::win(g)] = held * inv;
    out[metric::payment(g)] = paid * inv;
    out[metric::utility(g)] = util * inv;
    if (budget) bb[metric::ir_violation(g)] = negative / gr.count;
  }
  if (budget) bb[metric::kActive] = active ? 1.0 : 0.0;
  *welfare_out = welfare;
  *allocated_out = allocated;
}

/// The first-best solvers of the divisible and combinatorial markets, out of line on the device: their
/// fixed-size arrays then sit in a leaf's frame, not in every caller's (the kernel's stack is the sum
/// of the frames along its deepest call chain; docs/gpu.md). The host inlines them.
MCREV_HD MCREV_DEVICE_NOINLINE double divisible_first_best(const Model& md, const double* v, double r, double* work,
                                                          double* allocated) {
  return DivisibleMarket::first_best(md, v, r, work, allocated);
}
MCREV_HD MCREV_DEVICE_NOINLINE double combinatorial_first_best(const Model& md, const double* v, double* work) {
  return CombinatorialAuction::first_best(md, v, work);
}
MCREV_HD MCREV_DEVICE_NOINLINE double combinatorial_outside_core(const Model& md, const double* v, const Outcome& o,
                                                                double* work) {
  return CombinatorialAuction::outside_core(md, v, o, work);
}

/// The budget block of markets other than single_item (metric::kBudget ...); returns the outcome's
/// cost (subtracted from welfare). A dense outcome's IR violations and activity are already written
/// (dense_group_metrics).
MCREV_HD MCREV_NOINLINE inline double budget_metrics(const Model& md, const Outcome& o, const double* v, double revenue,
                                                     double* x, double* work) {
  const double budget = revenue - o.cost;
  if (!o.dense) {
    bool active = false;
    for (int g = 0; g < md.n_groups; ++g) {
      const Group& gr = md.groups[g];
      double negative = 0.0;
      for (int i = gr.first; i < gr.first + gr.count; ++i) {
        const double xi = o.x(i);
        active = active || xi != 0.0;
        const double u = agent_value(md, gr, v + gr.first_value + (i - gr.first) * gr.demand, xi) - o.t(i);
        negative += u < 0.0 ? 1.0 : 0.0;
      }
      x[metric::ir_violation(g)] = negative / gr.count;
    }
    x[metric::kActive] = active ? 1.0 : 0.0;
  }
  x[metric::kBudget] = budget;
  x[metric::kDeficit] = budget < 0.0 ? 1.0 : 0.0;
  if (md.market.kind == MarketKind::Divisible) x[metric::budget_block(md.n_groups)] = o.market_stat;
  if (md.market.kind == MarketKind::Combinatorial)
    x[metric::budget_block(md.n_groups)] = combinatorial_outside_core(md, v, o, work);
  return o.cost;
}

/// First-best surplus of the double auction (the largest gains from trade: buyers' values sorted
/// decreasingly, sellers' costs increasingly, Σ_{k <= q*} (v_(k) − c_(k)) with q* the efficient
/// quantity) or of the public project (max(0, Σ_i v_i − C)); 0 in other markets. work: 2·n_bidders
/// doubles. O(n²) (insertion sort).
MCREV_HD inline double first_best_surplus(const Model& md, const double* v, double* work) {
  if (md.market.kind == MarketKind::PublicProject) {
    const double share = md.market.cost / md.n_bidders;
    double w = 0.0;
    for (int i = 0; i < md.n_bidders; ++i) w += v[i] - share;  // the efficient rule's own sum
    if (!(w >= 0.0)) return 0.0;
    double total = 0.0;
    for (int i = 0; i < md.n_bidders; ++i) total += v[i];
    return total - md.market.cost;
  }
  if (md.market.kind != MarketKind::DoubleAuction) return 0.0;
  const two_sided::Book bk = two_sided::make_book(md, v, work);
  const int q = bk.efficient_quantity();
  double total = 0.0;
  for (int k = 0; k < q; ++k) total += bk.buyer(k) - bk.seller(k);
  return total;
}

/// Writes mechanism m's metric block (metric:: layout) for one profile, from the generic outcome.
/// opt_single: max_i v_i (single-item first best before the seller's value); in double_auction and
/// public_project markets the profile's first-best surplus (first_best_surplus). work: the pipeline's
/// work space (Model::work), needed by the divisible and combinatorial first bests (may be null elsewhere).
MCREV_HD inline void write_metrics(const Model& md, int m, const Outcome& o, const double* v, double baseline_revenue,
                                   double opt_single, double* out, double* work = nullptr) {
  const Mechanism& mech = md.mechanisms[m];
  const double revenue = outcome_revenue(md, o);
  double welfare = 0.0, allocated = 0.0;
  for (int g = 0; g < md.n_groups; ++g) {
    out[metric::win(g)] = 0.0;
    out[metric::payment(g)] = 0.0;
    out[metric::utility(g)] = 0.0;
  }
  if (!o.dense) {  // only the winner holds or pays anything: the dense sums below, without the zeros
    if (o.winner >= 0) {
      const int g = md.group_of(o.winner);
      const int demand = md.n_values == md.n_bidders ? 1 : md.groups[g].demand;
      const double value = md.market.kind == MarketKind::Divisible
                               ? agent_value(md, md.groups[g], v + md.value_index(o.winner), o.quantity)
                               : holding_value(v + md.value_index(o.winner), demand, o.quantity);
      const double inv = 1.0 / md.groups[g].count;
      welfare = value;
      allocated = o.quantity;
      out[metric::win(g)] = o.quantity * inv;
      out[metric::payment(g)] = o.price * inv;
      out[metric::utility(g)] = risk_utility(md.groups[g].risk, value - o.price) * inv;
    }
  } else {
    dense_group_metrics(md, o, v, out, &welfare, &allocated);
  }
  const double gross = welfare;  // Σ_i value_i(x_i) before the outcome's cost
  if (md.market.kind != MarketKind::SingleItem)
    welfare -= budget_metrics(md, o, v, revenue, out + metric::per_mechanism(md.n_groups), work);
  // public_project: the project counts as one item (no_sale = 1 − built); double_auction: supply 0.
  const double unsold = md.market.kind == MarketKind::PublicProject ? (allocated != 0.0 ? 0.0 : 1.0)
                                                                    : md.supply() - allocated;
  const double kept = unsold == 0.0 ? 0.0 : mech.seller_value * unsold;
  out[metric::kRevenue] = revenue;
  out[metric::kWelfare] = welfare;
  out[metric::kSellerUtility] = revenue + kept;
  out[metric::kNoSale] = unsold;
  out[metric::kRevenueDiff] = revenue - baseline_revenue;
  out[metric::kSurplus] = welfare + kept;
  const MarketKind mk = md.market.kind;
  if (mk == MarketKind::Divisible) {  // water-filling of the values at floor price v0
    // When the mechanism cleared the values themselves at floor v0, its allocation is that water-filling
    // and the welfare just summed is first_best's sum (the same terms in the same order); the run left
    // the quantity first_best would return in o.quantity.
    bool same = o.dense && mech.reserve == mech.seller_value;
    for (int g = 0; same && g < md.n_groups; ++g)
      same = mech.reports_values != 0 || md.strategies[mech.strategies + g].kind == StrategyKind::Truthful;
    double held = 0.0;
    const double w = same ? gross : divisible_first_best(md, v, mech.seller_value, work, &held);
    if (same) held = o.quantity;
    out[metric::kOptSurplus] = w + mech.seller_value * (md.supply() - held);
  } else if (mk == MarketKind::Combinatorial) {
    out[metric::kOptSurplus] = combinatorial_first_best(md, v, work);
  } else {
    out[metric::kOptSurplus] = mk == MarketKind::Units ? first_best_units(md, v, mech.seller_value)
                               : (mk == MarketKind::DoubleAuction || mk == MarketKind::PublicProject)
                                   ? opt_single
                                   : (opt_single > mech.seller_value ? opt_single : mech.seller_value);
  }
}

/// The body of evaluate_values: strategies bid on s (the values, or with [values] the signals);
/// outcomes are scored on the values v (the same array as s for private values).
template <int kMarket>
MCREV_HD MCREV_INLINE void evaluate_scored(const Model& md, std::uint64_t profile, int m_begin, int m_end, const double* s,
                                           const double* v, double* b, double* out) {
  double v_max = v[0];  // write_metrics' opt_single: read in these markets only
  if (md.market.kind == MarketKind::SingleItem)
    for (int i = 1; i < md.n_values; ++i) v_max = v[i] > v_max ? v[i] : v_max;
  if (md.market.kind == MarketKind::DoubleAuction || md.market.kind == MarketKind::PublicProject)
    v_max = first_best_surplus(md, v, md.work(b));
  double baseline = 0.0;
  if (m_begin > 0) baseline = outcome_revenue(md, run_mechanism<kMarket>(md, 0, profile, s, b));
  const int block = md.metrics_per_mechanism();
  for (int m = m_begin; m < m_end; ++m) {
    const Outcome o = run_mechanism<kMarket>(md, m, profile, s, b);
    if (m == 0) baseline = outcome_revenue(md, o);
    write_metrics(md, m, o, v, baseline, v_max, out + (m - m_begin) * block, md.work(b));
    if (md.extra_metrics > 0)
      write_incentive_metrics(md, m, profile, v, b, o, out + (m - m_begin) * block + md.outcome_metrics());
  }
}

/// `[values]` (mcrev/model/values.hpp): v holds the signals; the values are computed into
/// Model::values_storage and the outcomes scored on them. Out of line: the private-value path
/// (evaluate_values) does not carry it.
template <int kMarket>
MCREV_HD MCREV_NOINLINE void evaluate_signals(const Model& md, std::uint64_t profile, int m_begin, int m_end,
                                              const double* signals, double* b, double* out) {
  double* w = md.values_storage(b);
  if (md.values.kind == ValuesKind::MineralRights) {  // one common value (values.hpp)
    const double common = mineral_rights_value(md.correlation, md.arena, md.seed, profile);
    for (int i = 0; i < md.n_values; ++i) w[i] = common;
  } else {
    values_from_signals(md.values, md.n_values, signals, w);
  }
  evaluate_scored<kMarket>(md, profile, m_begin, m_end, signals, w, b, out);
}

/// evaluate_values of private values (out of line on the device, beside evaluate_signals: neither
/// frame then holds the other's).
template <int kMarket>
MCREV_HD MCREV_DEVICE_NOINLINE void evaluate_private(const Model& md, std::uint64_t profile, int m_begin, int m_end,
                                                     const double* v, double* b, double* out) {
  evaluate_scored<kMarket>(md, profile, m_begin, m_end, v, v, b, out);
}

/// Evaluates mechanisms [m_begin, m_end) on one profile whose values v are drawn; b is scratch
/// (md.scratch_doubles()); writes (m_end − m_begin) metric blocks to out. Mechanism 0 is also run
/// when m_begin > 0, for the revenue differences. With `[values]` v holds the signals (evaluate_signals).
/// kMarket: -1 (any market), or the scenario's market (static_cast<int>(MarketKind)) to dispatch over
/// that market's mechanism kinds only (the CPU backend's single-item and one-group divisible batch loops).
template <int kMarket = -1>
MCREV_HD inline void evaluate_values(const Model& md, std::uint64_t profile, int m_begin, int m_end, const double* v,
                                     double* b, double* out) {
  if (md.values.kind != ValuesKind::Private) return evaluate_signals<kMarket>(md, profile, m_begin, m_end, v, b, out);
  evaluate_private<kMarket>(md, profile, m_begin, m_end, v, b, out);
}

/// Draws profile's values into v and evaluates mechanisms [m_begin, m_end) (see evaluate_values).
MCREV_HD MCREV_DEVICE_NOINLINE void evaluate_profile(const Model& md, std::uint64_t profile, int m_begin, int m_end, double* v,
                                      double* b, double* out) {
  draw_values(md, profile, v);
  evaluate_values(md, profile, m_begin, m_end, v, b, out);
}

}  // namespace mcrev
