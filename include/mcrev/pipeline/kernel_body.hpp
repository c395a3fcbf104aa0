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

/// A thread's working arrays for thread_partial over one pass (shape sh), carved from one slice of
/// thread_workspace_doubles(md, sh) doubles: v (n_values), b (Model::scratch_doubles()), x (sh.metrics),
/// sums (3·sh.metrics + sh.pairs, leaf_view), part (sh.size(), the thread's leaf partial). The CUDA
/// kernel gives every resident thread one such slice of a device buffer (no per-thread arrays in its
/// stack frame); its contents need no initialization (thread_partial writes before it reads).
struct ThreadWorkspace {
  double *v, *b, *x, *sums, *part;
};

/// Doubles of one thread's slice for a pass of shape sh (rounded up to whole 32-byte sectors).
MCREV_HD inline int thread_workspace_doubles(const Model& md, const PartialShape& sh) {
  const int n = md.n_values + md.scratch_doubles() + sh.metrics + (3 * sh.metrics + sh.pairs) + sh.size();
  return (n + 3) / 4 * 4;
}

/// The arrays of thread_partial in slice (thread_workspace_doubles(md, sh) doubles).
MCREV_HD inline ThreadWorkspace thread_workspace(const Model& md, const PartialShape& sh, double* slice) {
  ThreadWorkspace w;
  w.v = slice;
  w.b = w.v + md.n_values;
  w.x = w.b + md.scratch_doubles();
  w.sums = w.x + sh.metrics;
  w.part = w.sums + 3 * sh.metrics + sh.pairs;
  return w;
}

/// Per-profile hook that ignores the metric vector (see for_each_sketch_value in mcrev/expost.hpp).
struct NoSketchSink {
  MCREV_HD void operator()(const double*) const {}
};

/// Accumulates profiles [r.begin, r.end) for mechanisms [m_begin, m_end) into the partial `out`
/// (pass_shape layout). Scratch: v (n_values), b (Model::scratch_doubles()), x (metrics), sums
/// (3·metrics + pairs); out: sh.size() (ThreadWorkspace carves all five from one slice).
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
