// mcrev: one observation ("unit") of a variance-reduced run (docs/variance_reduction.md), the per-unit
// step both backends run: the CPU backend's chunk loop (host/backends/cpu_backend.cpp) and the CUDA
// thread body (thread_partial in mcrev/pipeline/kernel_body.hpp).
//
//   evaluate_unit(md, unit, m_begin, m_end, v, b, x, partner)
//     writes (m_end − m_begin) metric blocks of md.metrics_per_mechanism() doubles to x, as
//     evaluate_profile does, with the variance-reduction block (mcrev/model/variance_reduction.hpp)
//     after each mechanism's outcome block; partner: scratch of as many doubles as x (antithetic).
// A pure function of (model, unit): no state crosses units, so every backend, thread count and chunk
// size gives the same bits. An antithetic pair is one unit, so a pair never straddles a leaf, chunk,
// thread or range boundary.
#pragma once

#include "mcrev/pipeline/evaluate.hpp"

namespace mcrev {

/// Value of control c (VrControl) on a profile's values v (all n_values slots): their sum or maximum.
MCREV_HD inline double vr_control_value(const Model& md, int c, const double* v) {
  if (c == static_cast<int>(VrControl::MaxOfValues)) {
    double top = v[0];
    for (int k = 1; k < md.n_values; ++k) top = v[k] > top ? v[k] : top;
    return top;
  }
  double total = 0.0;
  for (int k = 0; k < md.n_values; ++k) total += v[k];
  return total;
}

MCREV_HD MCREV_DEVICE_NOINLINE void evaluate_unit(const Model& md, std::uint64_t unit, int m_begin, int m_end, double* v,
                                                  double* b, double* x, double* partner) {
  evaluate_profile(md, unit, m_begin, m_end, v, b, x);
  const VarianceReduction& vr = md.vr;
  if (vr.method != static_cast<int>(VrMethod::Antithetic) && vr.method != static_cast<int>(VrMethod::ControlVariate))
    return;  // none, rqmc: the profile itself (rqmc's points come from draw_values)
  const int block = md.metrics_per_mechanism();
  const int outcome = md.outcome_metrics() + md.extra_metrics;  // the vr block starts here
  if (vr.method == static_cast<int>(VrMethod::ControlVariate)) {
    double c[kVrMaxControls];
    for (int q = 0; q < vr.n_controls; ++q) c[q] = vr_control_value(md, vr.controls[q], v);
    for (int m = 0; m < m_end - m_begin; ++m) {
      double* xb = x + m * block;
      double* out = xb + outcome;
      for (int q = 0; q < vr.n_controls; ++q) *out++ = c[q];
      if (vr.n_controls == 2) *out++ = c[0] + c[1];
      for (int t = 0; t < kVrTracked; ++t)
        for (int q = 0; q < vr.n_controls; ++q) *out++ = xb[vr_tracked_metric(t)] + c[q];
    }
    return;
  }
  // antithetic: the partner profile draws 1 − u for every uniform u of this one (mcrev/core/rng.hpp)
  evaluate_profile(md, unit | kAntitheticBit, m_begin, m_end, v, b, partner);
  for (int m = 0; m < m_end - m_begin; ++m) {
    double* xb = x + m * block;
    const double* pb = partner + m * block;
    for (int t = 0; t < kVrTracked; ++t) xb[outcome + t] = xb[vr_tracked_metric(t)];
    for (int k = 0; k < outcome; ++k) xb[k] = 0.5 * (xb[k] + pb[k]);
  }
}

}  // namespace mcrev
