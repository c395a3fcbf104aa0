// mcrev: per-mechanism incentive settings visible to the kernels, and the layout of the incentive
// metric block (THEORY.md, "Incentive statistics (deviation gains)"; docs/incentives.md).
//
// When any mechanism of a scenario carries an `incentives` table, every mechanism's metric block
// (metric:: in mcrev/model.hpp) is followed by incentive_metric::per_mechanism(G) more metrics; the
// block is zero for mechanisms without the table. Without any table the layout is unchanged.
#pragma once

#include "mcrev/core/config.hpp"

#include <type_traits>

namespace mcrev {

/// Most multiplicative shading factors one mechanism's deviation set may list.
inline constexpr int kMaxShading = 16;
/// Most bidder groups a scenario with incentive statistics may declare (keeps the CUDA kernel's
/// per-thread metric arrays within their 256-metric bound: 7 + 3G + 3 + 5G + 3 <= 256).
inline constexpr int kMaxIncentiveGroups = 30;

/// Ex-post deviation set and switches of one mechanism (POD; copied to the device).
///
/// Deviation set of bidder i (group g) at a profile, all reports clipped to [lo_g, hi_g]:
///   grid      lo_g + (hi_g − lo_g) k/(grid − 1), k = 0..grid−1;
///   shading   α_s · v_i for each factor α_s;
///   refine    `refine_levels` rounds of `refine_points` equally spaced reports inside
///             (d* − h, d* + h) around the best report d* so far, h starting at the grid step
///             and shrinking to 2h/(refine_points + 1) each round.
struct IncentiveSpec {
  int enabled = 0;        ///< the mechanism has an incentives table (IR and budget metrics)
  int expost = 0;         ///< ex-post regret is computed
  int grid = 128;         ///< grid points (>= 2)
  int refine_levels = 6;  ///< refinement rounds (>= 0)
  int refine_points = 8;  ///< reports per refinement round (>= 1)
  int n_shading = 0;
  double shading[kMaxShading] = {};
  double tolerance = 1e-3;  ///< gains above it count as violations (incentive_metric::kAboveTol)
  int ranges = -1;          ///< arena offset of (lo_g, hi_g) per group
  int sketch = -1;          ///< index of this mechanism's first quantile sketch (regret; +1: total payment)
  int sybil = 0;            ///< divisible market: identities of the sybil split (`sybil.aliases`; 0: off)
};

static_assert(std::is_trivially_copyable_v<IncentiveSpec>);

/// Incentive metrics appended to each mechanism's block (per profile).
namespace incentive_metric {
inline constexpr int kRegret = 0;        ///< Σ_i best gain of bidder i (0 when ex-post regret is off)
inline constexpr int kAboveTol = 1;      ///< 1{max_i gain_i > tolerance}
inline constexpr int kDeficit = 2;       ///< 1{Σ_i M_i < 0}
inline constexpr int kPerGroupBase = 3;  ///< then per group g, averaged over the group's bidders:
MCREV_HD MCREV_INLINE constexpr int gain(int g) { return kPerGroupBase + 5 * g; }           ///< best gain
MCREV_HD MCREV_INLINE constexpr int above_tol(int g) { return kPerGroupBase + 5 * g + 1; }  ///< 1{gain > tol}
MCREV_HD MCREV_INLINE constexpr int negative(int g) { return kPerGroupBase + 5 * g + 2; }   ///< 1{u_i < 0}
MCREV_HD MCREV_INLINE constexpr int shortfall(int g) { return kPerGroupBase + 5 * g + 3; }  ///< max(0, −u_i)
/// negative(g) × shortfall(g) of the profile: gives Cov(negative, shortfall) for the ratio's SE.
MCREV_HD MCREV_INLINE constexpr int ir_cross(int g) { return kPerGroupBase + 5 * g + 4; }
/// then the sybil block (zero unless IncentiveSpec::sybil; mcrev/incentives/expost.hpp):
MCREV_HD MCREV_INLINE constexpr int sybil_gain(int groups) { return kPerGroupBase + 5 * groups; }  ///< mean_i gain_i
MCREV_HD MCREV_INLINE constexpr int sybil_max(int groups) { return kPerGroupBase + 5 * groups + 1; }  ///< max_i gain_i
/// fraction of agents whose best split gains strictly more than single-identity truthful bidding
MCREV_HD MCREV_INLINE constexpr int sybil_positive(int groups) { return kPerGroupBase + 5 * groups + 2; }
MCREV_HD MCREV_INLINE constexpr int per_mechanism(int groups) { return kPerGroupBase + 5 * groups + 3; }
}  // namespace incentive_metric

}  // namespace mcrev
