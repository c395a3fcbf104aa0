// mcrev: the variance-reduction part of the model (top-level key `variance_reduction`,
// docs/variance_reduction.md), shared by the CPU backend and the CUDA kernels.
//
// A run with a method other than none estimates from "units" (observations) instead of profiles:
//  antithetic:      unit j is the pair of profiles j and j | kAntitheticBit (every uniform u ↔ 1 − u,
//                   mcrev/core/rng.hpp); the unit's metrics are the pair's means.
//  control_variate: unit j is profile j; the controls are appended to every mechanism's block.
//  rqmc:            unit j is point j of one scrambled Sobol randomization (mcrev/core/sobol.hpp);
//                   the host runs the replicates one after another (host/vr/).
// Each mechanism's metric block (metric:: layout) is followed by vr_block_metrics() doubles:
//  antithetic:      Y_t of the pair's first profile, for each tracked metric t (kVrTracked), whose
//                   variance is plain Monte Carlo's per-profile variance;
//  control_variate: the controls C_c (c < n_controls), then C_0 + C_1 when there are two, then
//                   Y_t + C_c for each tracked t and control c (co-moments by polarization:
//                   Cov(Y, C) = (Var(Y + C) − Var(Y) − Var(C)) / 2);
//  rqmc, none:      nothing.
#pragma once

#include "mcrev/core/config.hpp"

namespace mcrev {

enum class VrMethod : int { None = 0, Antithetic = 1, ControlVariate = 2, Rqmc = 3 };

/// Control variates with a known mean (VarianceReduction::controls).
enum class VrControl : int { SumOfValues = 0, MaxOfValues = 1 };

/// Most controls of a control-variate run.
inline constexpr int kVrMaxControls = 2;
/// Metrics of the metric:: layout whose variance reduction is measured (and, for control variates,
/// which are adjusted): revenue and welfare of every mechanism.
inline constexpr int kVrTracked = 2;
MCREV_HD MCREV_INLINE constexpr int vr_tracked_metric(int t) { return t == 0 ? 0 /*kRevenue*/ : 1 /*kWelfare*/; }

struct VarianceReduction {
  int method = 0;          ///< VrMethod
  int n_controls = 0;      ///< control_variate: 1 or 2
  int controls[kVrMaxControls] = {0, 0};  ///< VrControl, in block order
  int sobol_directions = -1;  ///< rqmc: arena offset of kSobolBits direction numbers per dimension
  int sobol_seeds = -1;       ///< rqmc: arena offset of one scramble seed per dimension (this replicate's)
  int sobol_dims = 0;         ///< rqmc: dimensions = uniforms per profile (n_values)

  /// Doubles appended to each mechanism's metric block.
  MCREV_HD int block_metrics() const {
    if (method == static_cast<int>(VrMethod::Antithetic)) return kVrTracked;
    if (method == static_cast<int>(VrMethod::ControlVariate))
      return n_controls + (n_controls == 2 ? 1 : 0) + kVrTracked * n_controls;
    return 0;
  }
};

}  // namespace mcrev
