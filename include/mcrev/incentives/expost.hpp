// mcrev: per-profile incentive statistics — ex-post regret over a deviation set, IR and budget —
// written into the incentive metric block (mcrev/model/incentive_spec.hpp) by evaluate_profile on
// both backends (THEORY.md, "Incentive statistics (deviation gains)"; docs/incentives.md).
//
// Works for every registered mechanism through the generic outcome (mcrev/model/outcome.hpp): a
// deviation of agent i replaces its reports, re-runs allocate into the deviation outcome storage
// (tie-breaks from the profile's auxiliary stream, so every deviation of a profile sees the same
// tie-break uniforms) and scores u_i = value_i(x_i) − t_i.
//
// Deviation set of an agent with one value: the reports of IncentiveSpec (grid, shading, refine).
// With demand d > 1 (units market) each such report r stands for the bids (r, min(r, b_2), ...,
// min(r, b_d)) (the first bid moved, the others capped at it), and the set also holds demand
// reduction: the prescribed bids on the first j units and 0 on the rest, j = 1 .. d − 1.
//
// Exactness: the prescribed report is the incumbent of the search and a deviation replaces it only
// when its utility is strictly larger, so an agent's gain is max(0, u(best) − u(prescribed)) where
// both utilities come from the same expression; when no deviation is strictly better the gain is
// exactly 0.0 (no float noise). For a DSIC mechanism whose payments do not depend on the own report
// (second price, VCG: the payment is computed from the others' reports alone) a deviation that
// keeps the allocation gives the same utility to the bit, so its regret is exactly zero.
#pragma once

#include "mcrev/mechanisms/registry.hpp"
#include "mcrev/model/model.hpp"

namespace mcrev {

/// u_i = value_i(x_i) − t_i of an outcome; for a risk-averse group (Group::risk = ρ < 1) its
/// utility risk_utility(ρ, value_i(x_i) − t_i).
MCREV_HD MCREV_INLINE double bidder_utility(const Model& md, const Outcome& o, const double* v, int i) {
  if (md.risk_averse)
    return risk_utility(md.groups[md.group_of(i)].risk, holding_value(v + i, 1, o.x(i)) - o.t(i));  // single item
  if (md.n_values == md.n_bidders && md.market.kind != MarketKind::Divisible)
    return holding_value(v + i, 1, o.x(i)) - o.t(i);
  return agent_value(md, md.groups[md.group_of(i)], v + md.value_index(i), o.x(i)) - o.t(i);
}

/// Agent i's utility under the reports now in b (deviation outcome storage; b's reports unchanged).
MCREV_HD inline double current_utility(const Model& md, int m, std::uint64_t profile, const double* v, double* b, int i) {
  Outcome o = md.deviation_storage(b);
  allocate(md, m, profile, b, o);
  return bidder_utility(md, o, v, i);
}

/// Bidder i (one value) reports `report`, the others keep b (b is restored on return).
MCREV_HD inline double deviation_utility(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                         int i, double report) {
  const int k = md.value_index(i);
  const double keep = b[k];
  b[k] = report;
  const double u = current_utility(md, m, profile, v, b, i);
  b[k] = keep;
  return u;
}

/// Divisible market: demand-reduction factors on the size (demand d, slope s or step width).
/// (functions rather than arrays, so that device code reads them without __constant__ memory)
inline constexpr int kDemandReductions = 3;
MCREV_HD MCREV_INLINE double demand_reduction(int a) { return a == 0 ? 0.75 : (a == 1 ? 0.5 : 0.25); }
/// The sybil grid: identity 0's share (entry 0 stands for the equal split 1/K, then 0.75) and the
/// value factors 1, 0.75, 0.5.
inline constexpr int kSybilShareCount = 2;
MCREV_HD MCREV_INLINE double sybil_share(int a) { return a == 0 ? 0.0 : 0.75; }
inline constexpr int kSybilValueCount = 3;
MCREV_HD MCREV_INLINE double sybil_value(int a) { return a == 0 ? 1.0 : (a == 1 ? 0.75 : 0.5); }

/// Agent i's utility when it enters the divisible market as `count` identities (the others keep their
/// reports in b): identity 0 with value factor vf0 and size factor sf0, the others with vf1 and sf1
/// (Identities, mcrev/mechanisms/divisible.hpp). Out of line on the device: the clearing's arrays
/// stay off its callers' frames.
MCREV_HD MCREV_DEVICE_NOINLINE double identities_utility(const Model& md, int m, const double* v, double* b, int i,
                                                        int count, double vf0, double sf0, double vf1, double sf1) {
  Identities id;
  id.agent = i;
  id.count = count;
  for (int a = 0; a < count; ++a) {
    id.value_factor[a] = a == 0 ? vf0 : vf1;
    id.size_factor[a] = a == 0 ? sf0 : sf1;
  }
  Outcome od = md.deviation_storage(b);
  DivisibleMarket::run(md, m, b, md.work(b), id, od);
  return bidder_utility(md, od, v, i);
}

/// A report and the utility it gives.
struct Deviation {
  double report;
  double utility;
};

/// Deviation report range [lo, hi] of group g for mechanism m.
MCREV_HD MCREV_INLINE void deviation_range(const Model& md, const IncentiveSpec& s, int g, double* lo, double* hi) {
  *lo = md.arena[s.ranges + 2 * g];
  *hi = md.arena[s.ranges + 2 * g + 1];
}

/// Best deviation of bidder i over mechanism m's deviation set (IncentiveSpec), starting from the
/// incumbent (b_i, u_prescribed): grid, shading factors, then local refinement around the best.
/// Complexity: (grid + n_shading + refine_levels · refine_points) allocations.
MCREV_HD inline Deviation best_deviation(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                         int i, double u_prescribed) {
  const IncentiveSpec& s = md.incentives[m];
  const int g = md.group_of(i);
  const int d = md.groups[g].demand, k0 = md.value_index(i);
  double lo, hi;
  deviation_range(md, s, g, &lo, &hi);
  double keep[kMaxDemand];
  for (int q = 0; q < d; ++q) keep[q] = b[k0 + q];
  Deviation best{b[k0], u_prescribed};
  auto consider = [&](double report) {
    b[k0] = report;
    for (int q = 1; q < d; ++q) b[k0 + q] = keep[q] < report ? keep[q] : report;
    const double u = current_utility(md, m, profile, v, b, i);
    if (u > best.utility) best = Deviation{report, u};
  };
  const int K = s.grid;
  for (int k = 0; k < K; ++k) consider(k == K - 1 ? hi : lo + (hi - lo) * (static_cast<double>(k) / (K - 1)));
  for (int a = 0; a < s.n_shading; ++a) {
    const double dv = s.shading[a] * v[k0];
    consider(dv < lo ? lo : (dv > hi ? hi : dv));
  }
  double center = best.report < lo ? lo : (best.report > hi ? hi : best.report);
  if (!(center == center)) center = lo;
  double h = (hi - lo) / (K - 1);
  const int P = s.refine_points;
  for (int l = 0; l < s.refine_levels; ++l) {
    const double step = 2.0 * h / (P + 1);
    for (int j = 1; j <= P; ++j) {
      const double dv = center - h + step * j;
      if (dv >= lo && dv <= hi) consider(dv);
    }
    if (best.report >= lo && best.report <= hi) center = best.report;
    h = step;
  }
  for (int j = 1; j < d; ++j) {  // demand reduction: prescribed bids on the first j units, 0 after
    for (int q = 0; q < d; ++q) b[k0 + q] = q < j ? keep[q] : 0.0;
    const double u = current_utility(md, m, profile, v, b, i);
    if (u > best.utility) best = Deviation{keep[0], u};
  }
  for (int q = 0; q < d; ++q) b[k0 + q] = keep[q];
  if (md.market.kind == MarketKind::Divisible) {  // demand reduction: the group's size scaled down
    for (int a = 0; a < kDemandReductions; ++a) {
      const double u = identities_utility(md, m, v, b, i, 1, 1.0, demand_reduction(a), 1.0, 1.0);
      if (u > best.utility) best = Deviation{keep[0], u};
    }
  }
  return best;
}

/// Best utility of agent i (divisible market) over its splits into K identities (the sybil grid):
/// identity 0 takes the share f of the group's size (its demand, slope or step width) and reports
/// ρ_0 × i's prescribed reports, the K − 1 others share 1 − f equally and report ρ_1 × them, for
/// f ∈ kSybilShares (1/K: the equal split) and ρ_0, ρ_1 ∈ kSybilValues. Starts from u_single; a split
/// replaces it only when strictly better. Cost: 2·9 clearings of n + K − 1 agents (vcg: each with
/// its n + K − 1 payment clearings).
MCREV_HD inline double best_sybil_utility(const Model& md, int m, const double* v, double* b, int i, int K,
                                          double u_single) {
  double best = u_single;
  const double equal = 1.0 / K;
  for (int si = 0; si < kSybilShareCount; ++si) {
    const double f0 = si == 0 ? equal : sybil_share(si);
    if (si > 0 && !(f0 > equal)) continue;
    const double rest = (1.0 - f0) / (K - 1);
    for (int r0 = 0; r0 < kSybilValueCount; ++r0)
      for (int r1 = 0; r1 < kSybilValueCount; ++r1) {
        const double u = identities_utility(md, m, v, b, i, K, sybil_value(r0), f0, sybil_value(r1), rest);
        if (u > best) best = u;
      }
  }
  return best;
}

/// Writes mechanism m's incentive metric block (incentive_metric:: layout) for one profile; b holds
/// the prescribed reports of mechanism m and o their outcome. Zero block if m has no incentives.
MCREV_HD MCREV_NOINLINE inline void write_incentive_metrics(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                            const Outcome& o, double* out) {
  const int G = md.n_groups;
  for (int k = 0; k < incentive_metric::per_mechanism(G); ++k) out[k] = 0.0;
  if (md.incentives == nullptr || !md.incentives[m].enabled) return;
  const IncentiveSpec& s = md.incentives[m];
  double revenue = 0.0;
  for (int i = 0; i < md.n_bidders; ++i) revenue += o.t(i);
  out[incentive_metric::kDeficit] = revenue - o.cost < 0.0 ? 1.0 : 0.0;  // budget: transfers − cost
  double total = 0.0, largest = 0.0;
  for (int g = 0; g < G; ++g) {
    const Group& gr = md.groups[g];
    double gain_sum = 0.0, above = 0.0, negative = 0.0, shortfall = 0.0;
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double u = bidder_utility(md, o, v, i);
      if (u < 0.0) {
        negative += 1.0;
        shortfall -= u;
      }
      if (s.expost) {
        const double gain = best_deviation(md, m, profile, v, b, i, u).utility - u;  // >= 0, exactly 0 if none better
        gain_sum += gain;
        above += gain > s.tolerance ? 1.0 : 0.0;
        largest = gain > largest ? gain : largest;
      }
    }
    const double inv = 1.0 / gr.count;
    out[incentive_metric::gain(g)] = gain_sum * inv;
    out[incentive_metric::above_tol(g)] = above * inv;
    out[incentive_metric::negative(g)] = negative * inv;
    out[incentive_metric::shortfall(g)] = shortfall * inv;
    out[incentive_metric::ir_cross(g)] = (negative * inv) * (shortfall * inv);
    total += gain_sum;
  }
  out[incentive_metric::kRegret] = total;
  out[incentive_metric::kAboveTol] = largest > s.tolerance ? 1.0 : 0.0;
  if (s.sybil > 1 && md.market.kind == MarketKind::Divisible) {
    double sum = 0.0, top = 0.0, positive = 0.0;
    for (int i = 0; i < md.n_bidders; ++i) {
      const double u = bidder_utility(md, o, v, i);
      const double gain = best_sybil_utility(md, m, v, b, i, s.sybil, u) - u;  // >= 0, exactly 0 if none better
      sum += gain;
      top = gain > top ? gain : top;
      positive += gain > 0.0 ? 1.0 : 0.0;
    }
    out[incentive_metric::sybil_gain(G)] = sum / md.n_bidders;
    out[incentive_metric::sybil_max(G)] = top;
    out[incentive_metric::sybil_positive(G)] = positive / md.n_bidders;
  }
}

/// Calls f(sketch index, value) for every quantile-sketched value of mechanisms [m_begin, m_end) in
/// one profile's metric vector x (evaluate_profile layout): the ex-post regret Σ_i gain_i and the
/// total payment Σ_i M_i of each mechanism with incentives.
template <class F>
MCREV_HD inline void for_each_sketch_value(const Model& md, int m_begin, int m_end, const double* x, F&& f) {
  if (md.n_sketches == 0 || md.incentives == nullptr) return;
  const int B = md.metrics_per_mechanism(), base = md.outcome_metrics();
  for (int m = m_begin; m < m_end; ++m) {
    const int sk = md.incentives[m].sketch;
    if (sk < 0) continue;
    const double* block = x + (m - m_begin) * B;
    f(sk, block[base + incentive_metric::kRegret]);
    f(sk + 1, block[metric::kRevenue]);
  }
}

}  // namespace mcrev
