#include "incentives/incentives.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/incentives/interim.hpp"
#include "mcrev/core/sketch.hpp"
#include "mcrev/core/special.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace mcrev {

void validate_incentives(const Scenario& sc) {
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const IncentiveOptions& o = sc.mechanisms[m].incentives;
    if (!o.enabled) continue;
    const std::string p = "mechanisms[" + std::to_string(m) + "].incentives";
    MCREV_EXPECTS(static_cast<int>(sc.groups.size()) <= kMaxIncentiveGroups, p,
                  "incentive statistics support at most " + std::to_string(kMaxIncentiveGroups) + " bidder groups");
    MCREV_EXPECTS(o.deviations >= 2 && o.deviations <= (1 << 20), p + ".deviations", "must lie in [2, 1048576]");
    MCREV_EXPECTS(static_cast<int>(o.shading.size()) <= kMaxShading, p + ".shading",
                  "at most " + std::to_string(kMaxShading) + " shading factors");
    for (size_t a = 0; a < o.shading.size(); ++a)
      MCREV_EXPECTS(std::isfinite(o.shading[a]) && o.shading[a] >= 0, p + ".shading[" + std::to_string(a) + "]",
                    "a shading factor must be a finite number >= 0");
    if (o.has_bid_range)
      MCREV_EXPECTS(std::isfinite(o.bid_low) && std::isfinite(o.bid_high) && o.bid_low < o.bid_high, p + ".bid_range",
                    "expected [low, high] with finite low < high");
    MCREV_EXPECTS(o.refine_levels >= 0 && o.refine_levels <= 64, p + ".refine_levels", "must lie in [0, 64]");
    MCREV_EXPECTS(o.refine_points >= 1 && o.refine_points <= 4096, p + ".refine_points", "must lie in [1, 4096]");
    MCREV_EXPECTS(std::isfinite(o.tolerance) && o.tolerance >= 0, p + ".tolerance", "must be a finite number >= 0");
    MCREV_EXPECTS(!o.quantiles.empty() && o.quantiles.size() <= 64, p + ".quantiles", "expected 1 to 64 levels");
    for (size_t q = 0; q < o.quantiles.size(); ++q)
      MCREV_EXPECTS(o.quantiles[q] > 0 && o.quantiles[q] < 1, p + ".quantiles[" + std::to_string(q) + "]",
                    "a quantile level must lie strictly between 0 and 1");
    MCREV_EXPECTS(o.values >= 1 && o.values <= (1 << 20), p + ".values", "must lie in [1, 1048576]");
    MCREV_EXPECTS(o.batches >= 4 && o.batches % 2 == 0 && o.batches <= 4096, p + ".batches",
                  "must be an even number in [4, 4096] (two halves for cross-fitting)");
    MCREV_EXPECTS(o.opponent_samples >= static_cast<std::uint64_t>(o.batches), p + ".opponent_samples",
                  "must be at least `batches` (" + std::to_string(o.batches) + ")");
    MCREV_EXPECTS(o.opponent_samples <= (std::uint64_t{1} << 40), p + ".opponent_samples", "must be at most 2^40");
    MCREV_EXPECTS(o.crossfit_alpha > 0 && o.crossfit_alpha < 1, p + ".crossfit_alpha",
                  "must lie strictly between 0 and 1");
    if (o.interim_loss)
      for (size_t g = 0; g < sc.groups.size(); ++g)
        MCREV_EXPECTS(sc.groups[g].demand == 1, p + ".interim_loss",
                      "the interim loss estimator varies one report per bidder; bidders[" + std::to_string(g) +
                          "] has demand " + std::to_string(sc.groups[g].demand) +
                          " (use ex-post regret, or interim_loss = false)");
  }
}

int incentive_extra_metrics(const Scenario& sc) {
  for (const MechanismSpec& ms : sc.mechanisms)
    if (ms.incentives.enabled) return incentive_metric::per_mechanism(static_cast<int>(sc.groups.size()));
  return 0;
}

std::pair<double, double> incentive_bid_range(const ModelData& md, const IncentiveOptions& opt, int g, int m) {
  if (opt.has_bid_range) return {opt.bid_low, opt.bid_high};
  double lo = md.groups[0].dist.low;
  for (const Group& gr : md.groups) lo = std::min(lo, gr.dist.low);
  const Distribution& d = md.groups[g].dist;
  double hi = std::isfinite(d.high) ? d.high : d.quantile(1.0 - 1e-6, md.arena.data());
  if (m >= 0 && (md.mechanisms[m].kind == MechKind::ThirdPrice || md.mechanisms[m].kind == MechKind::KthPrice) &&
      static_cast<size_t>(md.mechanisms[m].strategies + g) < md.strategies.size()) {
    // k-th price equilibria bid above the value: the range reaches the prescribed bid of the top type.
    const double top_bid = md.strategies[md.mechanisms[m].strategies + g].bid(hi, d, md.arena.data());
    if (std::isfinite(top_bid)) hi = std::max(hi, top_bid);
  }
  return {lo, hi};
}

void build_incentives(const Scenario& sc, ModelData& md) {
  const int E = incentive_extra_metrics(sc);
  if (E == 0) return;
  md.extra_metrics = E;
  md.incentives.assign(sc.mechanisms.size(), IncentiveSpec{});
  int sketches = 0;
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const IncentiveOptions& o = sc.mechanisms[m].incentives;
    IncentiveSpec& s = md.incentives[m];
    if (!o.enabled) continue;
    s.enabled = 1;
    s.expost = o.expost_regret ? 1 : 0;
    s.grid = o.deviations;
    s.refine_levels = o.refine_levels;
    s.refine_points = o.refine_points;
    s.n_shading = static_cast<int>(o.shading.size());
    for (int a = 0; a < s.n_shading; ++a) s.shading[a] = o.shading[a];
    s.tolerance = o.tolerance;
    s.ranges = static_cast<int>(md.arena.size());
    for (size_t g = 0; g < md.groups.size(); ++g) {
      const auto [lo, hi] = incentive_bid_range(md, o, static_cast<int>(g), static_cast<int>(m));
      md.arena.push_back(lo);
      md.arena.push_back(hi);
    }
    s.sybil = o.sybil_aliases;
    s.sketch = sketches;
    sketches += 2;
  }
  md.n_sketches = sketches;
}

namespace {

/// Cumulative scan: the bucket holding rank r (1-based) among the non-NaN counts.
int bucket_of_rank(const double* counts, double r) {
  double cum = 0.0;
  for (int k = 1; k < sketch::kBuckets; ++k) {
    cum += counts[k];
    if (cum >= r) return k;
  }
  return sketch::kBuckets - 1;
}

}  // namespace

DistributionSummary summarize_sketch(const double* s, const std::vector<double>& quantiles, double z) {
  DistributionSummary out;
  const double* counts = s + 2;
  double n = 0.0;
  for (int k = 1; k < sketch::kBuckets; ++k) n += counts[k];
  const double nan = std::nan("");
  out.min = n > 0 ? s[0] : nan;
  out.max = n > 0 ? s[1] : nan;
  auto clamp = [&](double x) { return std::min(std::max(x, out.min), out.max); };
  for (double q : quantiles) {
    QuantileEstimate e;
    e.q = q;
    if (n == 0) {
      e.value = e.ci_low = e.ci_high = nan;
      out.quantiles.push_back(e);
      continue;
    }
    const double r = std::min(n, std::max(1.0, std::ceil(q * n)));
    const sketch::Range mid = sketch::bucket_range(bucket_of_rank(counts, r));
    const double a = clamp(mid.lower), b = clamp(mid.upper);
    e.value = a + 0.5 * (b - a);
    const double half = z * std::sqrt(n * q * (1.0 - q));
    const double r_lo = std::max(1.0, std::floor(q * n - half)), r_hi = std::min(n, std::ceil(q * n + half) + 1.0);
    e.ci_low = clamp(sketch::bucket_range(bucket_of_rank(counts, r_lo)).lower);
    e.ci_high = clamp(sketch::bucket_range(bucket_of_rank(counts, r_hi)).upper);
    out.quantiles.push_back(e);
  }
  return out;
}

void summarize_incentives(const Scenario& sc, const std::vector<double>& partial, double confidence,
                          std::vector<MechanismResult>& results) {
  const int E = incentive_extra_metrics(sc);
  if (E == 0) return;
  const int G = static_cast<int>(sc.groups.size());
  const int base = metric::outcome_metrics(G, sc.market.kind);
  const int B = base + E;
  const int M = static_cast<int>(sc.mechanisms.size());
  const int K = M * B;
  const double n = partial[0];
  const double* mean = partial.data() + 1;
  const double* m2 = mean + K;
  const size_t sketch_offset = 1 + 2 * static_cast<size_t>(K) + M;
  const double z = normal_quantile(0.5 + 0.5 * confidence);
  auto var = [&](int k) { return n > 1 ? m2[k] / (n - 1) : 0.0; };
  auto est = [&](int k) { return normal_interval(mean[k], n > 1 ? std::sqrt(var(k) / n) : 0.0, z); };
  int sketch = 0;
  for (int m = 0; m < M; ++m) {
    const IncentiveOptions& opt = sc.mechanisms[m].incentives;
    if (!opt.enabled) continue;
    IncentiveResult& r = results[m].incentives;
    r.enabled = true;
    r.expost_enabled = opt.expost_regret;
    r.interim_enabled = opt.interim_loss;
    r.tolerance = opt.tolerance;
    const int o = m * B + base;
    const double* regret_sketch = partial.data() + sketch_offset + static_cast<size_t>(sketch) * sketch::kDoubles;
    const double* budget_sketch = regret_sketch + sketch::kDoubles;
    sketch += 2;
    if (opt.expost_regret) {
      r.expost.regret = est(o + incentive_metric::kRegret);
      r.expost.above_tolerance = est(o + incentive_metric::kAboveTol);
      r.expost.distribution = summarize_sketch(regret_sketch, opt.quantiles, z);
      for (int g = 0; g < G; ++g)
        r.expost.groups.push_back(
            {sc.groups[g].name, est(o + incentive_metric::gain(g)), est(o + incentive_metric::above_tol(g))});
    }
    for (int g = 0; g < G; ++g) {
      IrGroupResult ir;
      ir.name = sc.groups[g].name;
      const int kn = o + incentive_metric::negative(g), ks = o + incentive_metric::shortfall(g);
      ir.negative_prob = est(kn);
      ir.shortfall = est(ks);
      // E[−u | u < 0] = E[S]/E[N] (per-bidder group averages N, S); delta method with
      // Cov(N, S) = n/(n − 1) (mean(N·S) − mean(N) mean(S)).
      const double mn = mean[kn], ms = mean[ks];
      if (mn > 0 && n > 1) {
        const double ratio = ms / mn;
        const double cov = n / (n - 1) * (mean[o + incentive_metric::ir_cross(g)] - mn * ms);
        const double v = (var(ks) - 2 * ratio * cov + ratio * ratio * var(kn)) / (mn * mn);
        ir.mean_violation = normal_interval(ratio, std::sqrt(std::max(v, 0.0) / n), z);
      } else {
        const double nan = std::nan("");
        ir.mean_violation = Estimate{nan, nan, nan, nan};
      }
      r.ir.push_back(ir);
    }
    if (opt.sybil_aliases > 0) {
      r.sybil_enabled = true;
      r.sybil.aliases = opt.sybil_aliases;
      r.sybil.gain = est(o + incentive_metric::sybil_gain(G));
      r.sybil.max_gain = est(o + incentive_metric::sybil_max(G));
      r.sybil.positive_prob = est(o + incentive_metric::sybil_positive(G));
    }
    r.budget.total_payment = est(m * B + metric::kRevenue);
    r.budget.deficit_prob = est(o + incentive_metric::kDeficit);
    r.budget.distribution = summarize_sketch(budget_sketch, opt.quantiles, z);
  }
}

void run_interim_estimates(const Scenario& sc, const ModelData& md, Backend backend, const RunOptions& options,
                           std::vector<MechanismResult>& results) {
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const IncentiveOptions& opt = sc.mechanisms[m].incentives;
    if (!opt.enabled || !opt.interim_loss) continue;
    IncentiveResult& r = results[m].incentives;
    for (size_t g = 0; g < sc.groups.size(); ++g) {
      InterimGroupResult ig = estimate_interim(md, static_cast<int>(m), static_cast<int>(g), opt, backend,
                                               options.threads, sc.confidence);
      ig.name = sc.groups[g].name;
      if (g < r.ir.size() && !ig.curve.empty()) {
        size_t worst = 0;
        for (size_t k = 1; k < ig.curve.size(); ++k)
          if (ig.curve[k].utility.mean < ig.curve[worst].utility.mean) worst = k;
        r.ir[g].has_worst_type = true;
        r.ir[g].worst_type_value = ig.curve[worst].value;
        r.ir[g].worst_type_utility = ig.curve[worst].utility;
      }
      r.interim.push_back(std::move(ig));
    }
  }
}

}  // namespace mcrev
