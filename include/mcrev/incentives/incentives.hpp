// mcrev: incentive statistics — scenario options and results (docs/incentives.md; THEORY.md,
// "Incentive statistics (deviation gains)").
//
//  * Ex-post regret (fused into the per-profile pipeline, mcrev/expost.hpp): at each profile the
//    best gain of each bidder from a unilateral deviation over the deviation set, summed over
//    bidders; mean, maximum, quantiles (mergeable sketch, mcrev/sketch.hpp) and the fraction of
//    profiles where some bidder gains more than `tolerance`.
//  * Interim utility loss, the ε of an ε-Bayes–Nash equilibrium (mcrev/interim.hpp): per own type,
//    the best deviation's expected utility against the others' prescribed strategies minus the
//    prescribed strategy's, plain and cross-fitted, with batch-means standard errors.
//  * IR (P(u_i < 0) at the prescribed strategies, E[max(0, −u_i)], the mean violation size, the
//    worst type's interim utility) and budget (distribution of Σ_i M_i, P(Σ_i M_i < 0)).
#pragma once

#include "mcrev/core/estimate.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace mcrev {

/// A mechanism's `incentives = { ... }` table.
struct IncentiveOptions {
  bool enabled = false;        ///< the table is present: IR and budget statistics
  bool expost_regret = false;  ///< `expost_regret`
  bool interim_loss = false;   ///< `interim_loss`
  int deviations = 128;        ///< `deviations`: report grid points (both estimators), >= 2
  std::vector<double> shading;  ///< `shading`: factors α, deviation α·v (both estimators)
  bool has_bid_range = false;   ///< `bid_range = [lo, hi]`; default per group g:
  double bid_low = 0.0, bid_high = 0.0;  ///< [min over groups of low, top of g] (docs/incentives.md)
  int refine_levels = 6;       ///< `refine_levels`: ex-post local refinement rounds
  int refine_points = 8;       ///< `refine_points`: reports per refinement round
  double tolerance = 1e-3;     ///< `tolerance`: ex-post gains above it count as violations
  std::vector<double> quantiles = {0.5, 0.9, 0.99};  ///< `quantiles` reported for regret and budget
  int values = 64;             ///< `values`: own-value (type) quantile grid of the interim estimator
  std::uint64_t opponent_samples = 65536;  ///< `opponent_samples` (rounded up to a multiple of batches)
  int batches = 64;            ///< `batches`: equal batches for standard errors (even, >= 4)
  bool crossfit_lcb = true;    ///< `crossfit_selection`: "lcb" (default) or "argmax"
  double crossfit_alpha = 0.05;  ///< `crossfit_alpha`: familywise level of the "lcb" selection
  bool curve = true;           ///< `curve`: include the per-type curve in the JSON
  int sybil_aliases = 0;       ///< `sybil = { aliases = k }` (divisible market): k identities, 0: off
};

/// A quantile from a sketch: the estimate and a distribution-free interval from the binomial ranks
/// nq ∓ z·sqrt(n q (1 − q)), widened to the edges of the sketch buckets holding those ranks.
struct QuantileEstimate {
  double q = 0, value = 0, ci_low = 0, ci_high = 0;
};

/// Distribution of a per-profile quantity (from its sketch).
struct DistributionSummary {
  double min = 0, max = 0;
  std::vector<QuantileEstimate> quantiles;
};

struct ExpostGroupResult {
  std::string name;
  Estimate gain;             ///< E[best gain] per bidder of the group
  Estimate above_tolerance;  ///< P(best gain > tolerance) per bidder of the group
};

struct ExpostResult {
  Estimate regret;                  ///< E[Σ_i best gain_i]
  Estimate above_tolerance;         ///< P(max_i best gain_i > tolerance)
  DistributionSummary distribution;  ///< of Σ_i best gain_i (max = sample maximum)
  std::vector<ExpostGroupResult> groups;
};

struct IrGroupResult {
  std::string name;
  Estimate negative_prob;   ///< P(u_i < 0) at the prescribed strategies, per bidder
  Estimate shortfall;       ///< E[max(0, −u_i)] per bidder
  Estimate mean_violation;  ///< E[−u_i | u_i < 0] = shortfall / negative_prob (delta method)
  bool has_worst_type = false;    ///< filled by the interim estimator
  double worst_type_value = 0.0;  ///< own value with the lowest interim utility on the type grid
  Estimate worst_type_utility;    ///< its interim utility E[u_i(β(v); v)]
};

struct BudgetResult {
  Estimate total_payment;  ///< E[Σ_i M_i]
  Estimate deficit_prob;   ///< P(Σ_i M_i < 0)
  DistributionSummary distribution;
};

/// One own type of the interim curve.
struct InterimTypePoint {
  double value = 0, prescribed_bid = 0;
  Estimate utility;        ///< E[u(β(v); v)]
  double best_bid = 0;     ///< the plain estimate's best deviation
  Estimate loss;           ///< plain
  Estimate loss_crossfit;  ///< cross-fitted
};

/// Ex-ante utility of the shading deviation α·v (all types), and its gain over the prescribed one.
struct ShadingPoint {
  double alpha = 0;
  Estimate utility, gain;
};

struct InterimGroupResult {
  std::string name;
  int values = 0, deviations = 0, batches = 0;
  std::uint64_t opponent_samples = 0;
  double bid_low = 0, bid_high = 0, seconds = 0;
  Estimate exante;             ///< (1/K) Σ_k loss(v_k), plain (upward biased by the maximization)
  Estimate exante_crossfit;    ///< cross-fitted (selection and evaluation on independent halves)
  Estimate relative;           ///< exante / (prescribed utility + exante) = 1 − u(β)/u(best)
  Estimate relative_crossfit;
  Estimate prescribed_utility;  ///< (1/K) Σ_k E[u(β(v_k); v_k)]
  double worst_type_value = 0, worst_type_best_bid = 0;  ///< type with the largest cross-fitted loss
  Estimate worst_type_loss, worst_type_loss_crossfit;
  std::vector<ShadingPoint> shading;
  std::vector<InterimTypePoint> curve;
};

/// The sybil gain (divisible market; mcrev/incentives/expost.hpp best_sybil_utility): per agent, the best
/// split's utility minus single-identity prescribed bidding (>= 0).
struct SybilResult {
  int aliases = 0;
  Estimate gain;           ///< E[gain_i], per agent
  Estimate max_gain;       ///< E[max_i gain_i] per profile
  Estimate positive_prob;  ///< P(gain_i > 0), per agent
};

struct IncentiveResult {
  bool enabled = false, expost_enabled = false, interim_enabled = false, sybil_enabled = false;
  SybilResult sybil;
  double tolerance = 0;
  ExpostResult expost;
  std::vector<IrGroupResult> ir;
  BudgetResult budget;
  std::vector<InterimGroupResult> interim;
};

}  // namespace mcrev
