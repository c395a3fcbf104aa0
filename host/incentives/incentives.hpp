// mcrev host internals for incentive statistics (docs/incentives.md): validation, model building,
// summaries of the fused per-profile metrics and sketches, and the interim estimates of a run.
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/incentives/incentives.hpp"

#include <utility>
#include <vector>

namespace mcrev {

/// Throws ScenarioError("mechanisms[m].incentives.<key>", reason) for the first bad setting.
void validate_incentives(const Scenario& sc);

/// Metrics appended to every mechanism's block: incentive_metric::per_mechanism(G) when any
/// mechanism has an incentives table, else 0.
int incentive_extra_metrics(const Scenario& sc);

/// Fills md.incentives, md.extra_metrics, md.n_sketches and the deviation ranges in the arena.
void build_incentives(const Scenario& sc, ModelData& md);

/// Deviation report range [lo, hi] of group g: `bid_range` if given, else
/// [min over groups of the support's low end, top of group g's support], where the top of an
/// unbounded support is its 1 − 1e-6 quantile. For mechanism m (>= 0) of kind third_price or
/// kth_price the top is raised to the prescribed bid of that top type (k-th price equilibria bid
/// above the value).
std::pair<double, double> incentive_bid_range(const ModelData& md, const IncentiveOptions& opt, int g, int m = -1);

/// Fills MechanismResult::incentives (ex-post regret, IR, budget) from a merged partial with sketches.
void summarize_incentives(const Scenario& sc, const std::vector<double>& partial, double confidence,
                          std::vector<MechanismResult>& results);

/// Runs the interim estimator of every (mechanism with interim_loss, group) on the given backend
/// and stores the results (and the IR worst-type utility) in results.
void run_interim_estimates(const Scenario& sc, const ModelData& md, Backend backend, const RunOptions& options,
                           std::vector<MechanismResult>& results);

/// Distribution summary (min, max, quantiles with intervals) of one sketch (sketch::kDoubles doubles).
DistributionSummary summarize_sketch(const double* sketch, const std::vector<double>& quantiles, double z);

}  // namespace mcrev
