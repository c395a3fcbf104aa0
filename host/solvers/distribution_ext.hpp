// mcrev: host side of the discrete and mixture distributions (construction, arena placement) and
// host-only distribution helpers used by the virtual-value tabulation (docs/myerson.md).
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// Discrete distribution with P(V = values[k]) = probs[k]. Values are sorted and duplicates merged;
/// atoms of probability 0 are dropped. Throws ScenarioError naming `path` (the distribution's key path,
/// e.g. "bidders[0].value") when the lists differ in length, a value is not finite, a probability is
/// negative or the probabilities do not sum to 1 (within 1e-9; they are then renormalized).
DistributionSpec make_discrete(std::vector<double> values, std::vector<double> probs, const std::string& path);

/// Mixture Σ_k w_k F_k. Weights must be positive and sum to 1 (within 1e-9; renormalized); nested
/// mixtures are flattened (weights multiplied), so components are never mixtures themselves.
DistributionSpec make_mixture(std::vector<double> weights, std::vector<DistributionSpec> components,
                              const std::string& path);

/// Appends the distribution's tables to `arena` (Empirical, Discrete, Mixture with its components and
/// its exact quantile guide G_j = Q(j/K)) and returns the Distribution that reads them.
Distribution place_distribution(const DistributionSpec& spec, std::vector<double>& arena);

/// True for `discrete` values and mixtures with a discrete component (probability atoms).
bool has_discrete_part(const DistributionSpec& s);

/// Exact equality of two specifications (kind, parameters, tables, mixture weights and components).
bool same_distribution_spec(const DistributionSpec& a, const DistributionSpec& b);

/// Quantile guide points per mixture (a power of two).
inline constexpr int kMixtureGuide = 1024;

// ---- host-only helpers (exact up to rounding) ----

/// P(V > x), computed without the cancellation of 1 − F(x) where a closed form exists.
double survival(const Distribution& d, double x, const double* arena);
/// P(V >= x) = survival just below x (includes an atom at x).
double survival_left(const Distribution& d, double x, const double* arena);
/// Points where F or its density may be non-smooth: finite support ends, component ends, atoms,
/// empirical nodes (ascending, unique).
std::vector<double> breakpoints(const Distribution& d, const double* arena);
/// Values with positive probability (ascending, unique).
std::vector<double> atoms(const Distribution& d, const double* arena);

}  // namespace mcrev
