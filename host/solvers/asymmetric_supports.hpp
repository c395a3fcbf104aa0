// mcrev: asymmetric first price when the groups' lowest values differ (Kaplan–Zamir shapes such as
// U[0,5] against U[6,7]); called by first_price_bne_asymmetric (docs/single_item.md, "Asymmetric first
// price with different supports").
//
// Let lo_g be the lowest value of group g, lo_max the largest, r < lo_max the reserve.
//
// * At least two bidders have the lowest value lo_max (two groups, or one group of n_g >= 2): they
//   bid at least lo_max, so b_L = lo_max is the common lowest bid and the equilibrium is the common
//   lowest-type one with r* = lo_max (first_price_bne_asymmetric with that reserve); the types of the
//   other groups below lo_max never win and bid their value.
// * One bidder H alone has the lowest value lo_H = lo_max (group of one bidder): the others' types
//   that never win bid their value (the selection computed here; see below), so H's lowest type bids
//       b_L = argmax_{b <= lo_H} (lo_H − b) Π_{j≠H} F_j(b)^{n_j}          (Lebrun 1999; Maskin–Riley 2000)
//   and the inverse bids satisfy φ_H(b_L) = lo_H, φ_j(b_L) = b_L, φ_g(b̄) = hi_g at a common top
//   bid b̄ (for the groups bidding there). Solved for two groups (H and one other group of any size)
//   by backward shooting on b̄ in τ = log(b − b_L) (the same equations (*) as asymmetric_bne.hpp):
//   too high a b̄ makes φ_j(b) <= b before b reaches b_L + 1e-6 (b̄ − b_L). The weak group's φ_j − b
//   vanishes like (b − b_L)² at b_L while φ_H − lo_H vanishes like exp(−c/(b − b_L)): H's bid
//   function rises with an infinite slope of logarithmic type from b_L.
//   If the argmax is the top of every other group's support (H's lowest type would rather win
//   for sure), H bids that top value (max_j hi_j, or the reserve if higher) with every type, and
//   nobody else ever wins ("pooled").
// Out of scope (ScenarioError naming `path`): three or more groups with one bidder alone at lo_max,
// a reserve strictly between b_L and lo_H (H's low types would pool at the reserve), unbounded
// supports in the one-bidder case.
#pragma once

#include "solvers/asymmetric_bne.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// The equilibrium for groups whose lowest values differ and a reserve below the highest of them
/// (see above); the solution's fields read as in AsymmetricBneSolution with lowest_type = b_L
/// (τ = log(b − b_L)). Deterministic: no random numbers, fixed step rules.
AsymmetricBneSolution first_price_bne_different_supports(const std::vector<Distribution>& dists,
                                                         const std::vector<int>& counts, const double* arena,
                                                         double reserve, const std::string& path, int points);

/// b_L = argmax_{b in (lo_2, min(lo_H, max_j hi_j)]} (lo_H − b) Π_{j≠H} F_j(b)^{n_j} on a grid of
/// 65,537 points refined by golden-section search (to ~1e-15 relative); *pooled is set when the
/// maximum lies at the top of the others' supports. H is the group with the highest lowest value.
double strong_bidder_lowest_bid(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                const double* arena, int H, bool* pooled);

}  // namespace mcrev
