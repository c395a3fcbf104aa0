// mcrev: the per-thread body of the CUDA estimation kernel, as plain host/device code so that a CPU
// test can run it over an emulated grid (tests/kernel_body_test.cpp).
//
// Geometry: chunk c covers profiles [c·B·P, (c+1)·B·P) for block size B and P profiles per thread;
// thread t of the block handling chunk c accumulates profiles [c·B·P + t·P, + P) ∩ [0, samples).
// Each chunk is reduced by one block, so results do not depend on the grid size.
#pragma once

#include "mcrev/pipeline/variance_reduction.hpp"
#include "mcrev/core/stats.hpp"

namespace mcrev {

struct ThreadRange {
  std::uint64_t begin, end;
};

MCREV_HD inline ThreadRange thread_range(std::uint64_t chunk, int thread, int block_size, std::uint64_t per_thread,
                                         std::uint64_t samples) {
  const std::uint64_t b = (chunk * block_size + thread) * per_thread;
  const std::uint64_t e = b + per_thread;
  return {b < samples ? b : samples, e < samples ? e : samples};
}

/// Shape of the partial over mechanisms [m_begin, m_end).
MCREV_HD inline PartialShape pass_shape(const Model& md, int m_begin, int m_end) {
  PartialShape s;
  s.metrics = (m_end - m_begin) * md.metrics_per_mechanism();
  s.pairs = m_end - m_begin;
  return s;
}

/// Per-profile hook that ignores the metric vector (see for_each_sketch_value in mcrev/expost.hpp).
struct NoSketchSink {
  MCREV_HD void operator()(const double*) const {}
};

/// Accumulates profiles [r.begin, r.end) for mechanisms [m_begin, m_end) into the partial `out`
/// (pass_shape layout). Scratch: v, b (n_bidders), x (metrics), sums (3·metrics + pairs).
/// `sink(x)` sees every profile's metric vector (the CUDA kernel fills its quantile sketches there).
/// With a variance-reduction method the indices are units (evaluate_unit, mcrev/pipeline/
/// variance_reduction.hpp); `out` serves as the antithetic partner's scratch until leaf_finish.
template <class Sink = NoSketchSink>
MCREV_HD inline void thread_partial(const Model& md, ThreadRange r, int m_begin, int m_end, double* v, double* b,
                                    double* x, double* sums, double* out, Sink sink = Sink{}) {
  const PartialShape sh = pass_shape(md, m_begin, m_end);
  const MechanismPairs pairs{md.metrics_per_mechanism()};
  LeafSums s = leaf_view(sums, sh);
  for (std::uint64_t p = r.begin; p < r.end; ++p) {
    if (md.vr.method == 0)
      evaluate_profile(md, p, m_begin, m_end, v, b, x);
    else
      evaluate_unit(md, p, m_begin, m_end, v, b, x, out);
    sink(static_cast<const double*>(x));
    leaf_add(s, sh, x, pairs);
  }
  leaf_finish(s, sh, pairs, out);
}

}  // namespace mcrev
