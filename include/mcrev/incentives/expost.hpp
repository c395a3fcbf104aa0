// mcrev: per-profile incentive statistics — ex-post regret over a deviation set, IR and budget —
// written into the incentive metric block (mcrev/incentive_spec.hpp) by evaluate_profile on both
// backends (THEORY.md, "Incentive statistics (deviation gains)"; docs/incentives.md).
//
// Works for every MechKind through the generic mechanism interface of mcrev/model.hpp: a deviation
// of bidder i replaces the report b_i, re-runs allocate (tie-breaks from the profile's auxiliary
// stream, so every deviation of a profile sees the same tie-break uniform) and scores
//   u_i = v_i · 1{winner == i} − bidder_payment.
//
// Exactness: the prescribed report is the incumbent of the search and a deviation replaces it only
// when its utility is strictly larger, so a bidder's gain is max(0, u(best) − u(prescribed)) where
// both utilities come from the same expression; when no deviation is strictly better the gain is
// exactly 0.0 (no float noise). For a DSIC mechanism whose payments do not depend on the own report
// (second price: the winner pays max(reserve, highest other bid), computed from the others' reports
// alone) every deviation's utility is <= the truthful one in floating point too, so its regret is
// exactly zero at every profile.
#pragma once

#include "mcrev/model/model.hpp"

namespace mcrev {

/// u_i = v_i · 1{winner == i} − M_i of an outcome.
MCREV_HD MCREV_INLINE double bidder_utility(const Model& md, int m, const Outcome& o, const double* v, const double* b,
                                            int i) {
  return (o.winner == i ? v[i] : 0.0) - bidder_payment(md, m, o, b, i);
}

/// Bidder i's utility when it reports `report` and the others keep b (b is restored on return).
MCREV_HD inline double deviation_utility(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                         int i, double report) {
  const double keep = b[i];
  b[i] = report;
  const Outcome o = allocate(md, m, profile, b);
  const double u = bidder_utility(md, m, o, v, b, i);
  b[i] = keep;
  return u;
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
  double lo, hi;
  deviation_range(md, s, md.group_of(i), &lo, &hi);
  Deviation best{b[i], u_prescribed};
  auto consider = [&](double report) {
    const double u = deviation_utility(md, m, profile, v, b, i, report);
    if (u > best.utility) best = Deviation{report, u};
  };
  const int K = s.grid;
  for (int k = 0; k < K; ++k) consider(k == K - 1 ? hi : lo + (hi - lo) * (static_cast<double>(k) / (K - 1)));
  for (int a = 0; a < s.n_shading; ++a) {
    const double d = s.shading[a] * v[i];
    consider(d < lo ? lo : (d > hi ? hi : d));
  }
  double center = best.report < lo ? lo : (best.report > hi ? hi : best.report);
  if (!(center == center)) center = lo;
  double h = (hi - lo) / (K - 1);
  const int P = s.refine_points;
  for (int l = 0; l < s.refine_levels; ++l) {
    const double step = 2.0 * h / (P + 1);
    for (int j = 1; j <= P; ++j) {
      const double d = center - h + step * j;
      if (d >= lo && d <= hi) consider(d);
    }
    if (best.report >= lo && best.report <= hi) center = best.report;
    h = step;
  }
  return best;
}

/// Writes mechanism m's incentive metric block (incentive_metric:: layout) for one profile; b holds
/// the prescribed reports of mechanism m and o their outcome. Zero block if m has no incentives.
MCREV_HD inline void write_incentive_metrics(const Model& md, int m, std::uint64_t profile, const double* v, double* b,
                                            const Outcome& o, double* out) {
  const int G = md.n_groups;
  for (int k = 0; k < incentive_metric::per_mechanism(G); ++k) out[k] = 0.0;
  if (md.incentives == nullptr || !md.incentives[m].enabled) return;
  const IncentiveSpec& s = md.incentives[m];
  out[incentive_metric::kDeficit] = outcome_revenue(md, m, o, b) < 0.0 ? 1.0 : 0.0;
  double total = 0.0, largest = 0.0;
  for (int g = 0; g < G; ++g) {
    const Group& gr = md.groups[g];
    double gain_sum = 0.0, above = 0.0, negative = 0.0, shortfall = 0.0;
    for (int i = gr.first; i < gr.first + gr.count; ++i) {
      const double u = bidder_utility(md, m, o, v, b, i);
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
}

/// Calls f(sketch index, value) for every quantile-sketched value of mechanisms [m_begin, m_end) in
/// one profile's metric vector x (evaluate_profile layout): the ex-post regret Σ_i gain_i and the
/// total payment Σ_i M_i of each mechanism with incentives.
template <class F>
MCREV_HD inline void for_each_sketch_value(const Model& md, int m_begin, int m_end, const double* x, F&& f) {
  if (md.n_sketches == 0 || md.incentives == nullptr) return;
  const int B = md.metrics_per_mechanism(), base = metric::per_mechanism(md.n_groups);
  for (int m = m_begin; m < m_end; ++m) {
    const int sk = md.incentives[m].sketch;
    if (sk < 0) continue;
    const double* block = x + (m - m_begin) * B;
    f(sk, block[base + incentive_metric::kRegret]);
    f(sk + 1, block[metric::kRevenue]);
  }
}

}  // namespace mcrev
