// mcrev: correlated bidder values (docs/distributions-and-strategies.md, "Correlated values").
//
// The scenario's top-level [correlation] table selects one joint law for every profile; each bidder's
// marginal stays its group's `value` distribution F_g (copula) or becomes weight·C + V_i (affiliated).
//
//  gaussian_copula (equicorrelation rho across all n bidders of the profile, −1/(n−1) <= rho < 1):
//    e_i = Φ^{-1}(u_i) with u_i the i-th uniform of lane 0 (the independent model's own uniform),
//    rho >= 0:  z_i = √rho · W + √(1 − rho) · e_i,  W = Φ^{-1}(first uniform of lane kCorrelationLane)
//    rho <  0:  z_i = √(1 − rho) (e_i − ē) + √(1 + (n − 1) rho) · ē,  ē = mean of the e_i
//    v_i = F_g^{-1}(Φ(z_i)).  Corr(z_i, z_j) = rho exactly; the (z_i) are jointly normal with unit
//    variance, so the v_i have marginals F_g and Gaussian copula with parameter rho. At rho = 0 the
//    values equal the independent ones up to rounding (common random numbers across rho).
//  affiliated (common + private component):
//    v_i = weight · C + F_g^{-1}(u_i),  C = G^{-1}(first uniform of lane kCorrelationLane) ~ `common`,
//    so Cov(v_i, v_j) = weight² Var(C) for i ≠ j and Var(v_i) = weight² Var(C) + Var_g.
//
// Φ(z_i) is clamped to the range of the lane-0 uniforms, [2^-33, 1 − 2^-33], so no distribution sees a
// more extreme uniform than in the independent model (a change of probability < 2.4e-10 per value).
// The independent model (kind Independent) never reaches this code: its streams are unchanged.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/core/special.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

/// Philox lane of the per-profile common factor W (copula) or common component C (affiliated).
/// Lanes 1..32 are the mechanisms' auxiliary streams; 1000, 2000+m and 3000 are used by other features.
inline constexpr std::uint32_t kCorrelationLane = 4000;

enum class CorrelationKind : int { Independent, GaussianCopula, Affiliated };

struct Correlation {
  CorrelationKind kind = CorrelationKind::Independent;
  double rho = 0.0;      ///< GaussianCopula: equicorrelation of the normal scores
  double weight = 1.0;   ///< Affiliated: v_i = weight · C + private_i
  Distribution common;   ///< Affiliated: law of C (tables in the model's arena)
};

static_assert(std::is_trivially_copyable_v<Correlation>);

namespace correlation_detail {
MCREV_HD MCREV_INLINE double clamp_uniform(double u) {
  constexpr double lo = 1.16415321826934814453125e-10;  // 2^-33 = u32_to_open01(0)
  constexpr double hi = 1.0 - lo;                       // u32_to_open01(2^32 − 1)
  return u < lo ? lo : (u > hi ? hi : u);
}
}  // namespace correlation_detail

/// Draws one profile's values under a non-independent Correlation (see above). GroupT provides
/// `first`, `count` and `dist` (mcrev::Group). Writes v[0, n_bidders).
template <class GroupT>
MCREV_HD inline void draw_correlated_values(const Correlation& c, const GroupT* groups, int n_groups, int n_bidders,
                                            const double* arena, std::uint64_t seed, std::uint64_t profile,
                                            double* v) {
  Stream s(seed, profile, kValueLane);
  if (c.kind == CorrelationKind::Affiliated) {
    const double common = c.weight * c.common.quantile(Stream(seed, profile, kCorrelationLane).uniform(), arena);
    for (int g = 0; g < n_groups; ++g)
      for (int i = groups[g].first; i < groups[g].first + groups[g].count; ++i)
        v[i] = common + groups[g].dist.quantile(s.uniform(), arena);
    return;
  }
  // Gaussian copula: normal scores first (in v), then the correlated scores, then the marginals.
  for (int i = 0; i < n_bidders; ++i) v[i] = normal_quantile(s.uniform());
  double shift = 0.0, scale = sqrt(1.0 - c.rho), center = 0.0;
  if (c.rho >= 0.0) {
    shift = sqrt(c.rho) * normal_quantile(Stream(seed, profile, kCorrelationLane).uniform());
  } else {
    double mean = 0.0;
    for (int i = 0; i < n_bidders; ++i) mean += v[i];
    mean /= n_bidders;
    center = mean;
    const double common_var = 1.0 + (n_bidders - 1) * c.rho;
    shift = sqrt(common_var > 0.0 ? common_var : 0.0) * mean;
  }
  for (int g = 0; g < n_groups; ++g)
    for (int i = groups[g].first; i < groups[g].first + groups[g].count; ++i) {
      const double z = shift + scale * (v[i] - center);
      v[i] = groups[g].dist.quantile(correlation_detail::clamp_uniform(normal_cdf(z)), arena);
    }
}

}  // namespace mcrev
