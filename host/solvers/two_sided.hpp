// mcrev: host-side solutions for the two-sided and public-project mechanisms (docs/two_sided.md):
// the expected-externality tables ξ of dagva, the weight a and interim payment tables of the
// Myerson–Satterthwaite second best, and the Chatterjee–Samuelson linear equilibrium of the
// k-double auction. All place their results into the model's arena (Mechanism::data or strategies).
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <utility>
#include <vector>

namespace mcrev {

using SolvedValues = std::vector<std::pair<std::string, double>>;

/// Nodes of the ξ tables (K + 1 points on the agent's quantile grid u = k/K).
inline constexpr int kDagvaNodes = 128;

/// ξ_g(v) = E_{V−i}[Σ_{j≠i} value_j(x*_j(v, V−i))] for agent i = the first of each group g, under the
/// efficient rule of md's market (double_auction: efficient trades; public_project: build iff
/// Σ (v_j − C/n) >= 0, others' net values), on the grid v_k = Q_g(k/K) (k = K at 1 − 1e−9 when the
/// support is unbounded). With one other agent the expectation is the midpoint rule on 2^15 quantile
/// points of its distribution; with more, Monte Carlo on R common draws (Philox lane 2000; R = 2^13 for
/// double auctions, 2^16 for public projects, scaled down beyond 8 agents). Places [K, table_0 (K+1), table_1, ...] in md.arena and
/// returns the offset. Reports in `solved`: table_nodes, table_interp_error (largest |ξ at an interval
/// midpoint − the linear interpolation|), table_stderr (largest Monte Carlo standard error of a node;
/// 0 for quadrature), table_draws.
int place_dagva(ModelData& md, SolvedValues& solved);

/// Myerson–Satterthwaite second best for one buyer (group role 0) and one seller (role 1) with
/// regular densities: a in [0, 1] by bisection (50 steps) on the expected virtual surplus
/// H(a) = E_v[G(c*_a(v)) (ψ(v) − c*_a(v))] (midpoint rule on 2048 buyer quantiles; c*_a by
/// bisection in the seller's quantile), then P_B and R_S on 1025-node quantile grids (trapezoid
/// integrals). Places SecondBestData in md.arena and returns the offset. Reports a,
/// virtual_surplus_residual (E[P_B] − E[R_S], 0 up to the solver's error), table_nodes.
/// Throws ScenarioError (at `path`) for a distribution without a density or not regular.
int place_second_best(ModelData& md, SolvedValues& solved, const std::string& path);

/// The Chatterjee–Samuelson linear equilibrium of the 1×1 k-double auction (price k·b + (1 − k)·s)
/// for v ~ U[v0, v1], c ~ U[c0, c1]: b(v) = (v + k·s_lo)/(1 + k), s(c) = (c + (1 − k)·b_hi)/(2 − k)
/// with s_lo = ((1 − k) v1 + (1 + k) c0)/2, b_hi = ((2 − k) v1 + k c0)/2 (docs/two_sided.md). One
/// strategy per group (linear two-knot value tables in md.arena). Throws ScenarioError (at `path`)
/// unless the market is one uniform buyer and one uniform seller and the linear strategies are an
/// equilibrium (b_hi <= s_hi and s_lo >= b_lo). Reports the four coefficients.
std::vector<Strategy> chatterjee_samuelson(ModelData& md, double k, SolvedValues& solved, const std::string& path);

}  // namespace mcrev
