// mcrev host side of variance reduction (top-level `variance_reduction`, docs/variance_reduction.md):
// parsing, the checks of what a method supports, the model set-up (controls, Sobol tables), the run
// (replicates for rqmc) and the estimators with their measured variance ratios.
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// "none" | "antithetic" | "control_variate" | "rqmc" → VrMethod; else ScenarioError(path, ...).
VrMethod parse_variance_reduction(const std::string& name, const std::string& path);
const char* variance_reduction_name(VrMethod m);

/// A control variate with its known mean (closed form from the groups' distributions).
struct VrControlSpec {
  VrControl kind;
  double mean;
  std::string name;  ///< "sum_of_values" or "max_of_values"
};
/// The controls of a scenario, in block order: max_of_values (one group whose distribution has a
/// closed-form E[max]: uniform, power, exponential), then sum_of_values (every group's mean known in
/// closed form: uniform, exponential, power, beta, truncated normal, empirical, discrete, mixtures
/// of these). Empty when none applies.
std::vector<VrControlSpec> vr_controls(const Scenario& sc);

/// Doubles of each mechanism's variance-reduction block for the scenario (VarianceReduction::block_metrics).
int vr_block_metrics(const Scenario& sc);

/// Throws ScenarioError naming the key when the scenario's method cannot run it: incentives,
/// correlated values (control_variate, rqmc), no control with a known mean, an odd sample count
/// (antithetic), samples not a multiple of rqmc_replicates or above 2^32 points per replicate.
void check_variance_reduction(const Scenario& sc);

/// Sets md.vr for the scenario's method (controls; rqmc: the Sobol direction numbers in the arena and
/// room for the per-replicate scramble seeds). md from build_model(sc).
void prepare_variance_reduction(const Scenario& sc, ModelData& md);

/// The rqmc replicate r's model: its scramble seeds and the seed of its auxiliary streams.
ModelData rqmc_replicate_model(const ModelData& md, std::uint64_t seed, int r);

/// run() for sc.variance_reduction != none (called by run; same options and result).
RunResult run_variance_reduced(const Scenario& sc, const RunOptions& options);

/// Combines rqmc replicate partials (each over samples / R points) into the partial summarize reads:
/// n = R, the means of the replicate means, and the replicates' M2 and co-moments of their means.
std::vector<double> rqmc_replicate_partial(const std::vector<std::vector<double>>& replicates, const PartialShape& shape,
                                           const MechanismPairs& pairs);

}  // namespace mcrev
