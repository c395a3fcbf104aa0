// mcrev: mergeable moment accumulators (count, mean, M2, co-moments) in double precision.
//
// Within a leaf of at most kLeafProfiles profiles, sums are shifted by the leaf's first observation
// (robust against cancellation); leaves are turned into (n, mean, M2) partials and merged with Chan,
// Golub & LeVeque's pairwise update:
//   n = na + nb, δ = mean_b − mean_a, mean = mean_a + δ nb/n, M2 = M2a + M2b + δ² na nb / n,
//   C_xy = C_a + C_b + δx δy na nb / n.
// A partial is a flat array [n, mean[K], m2[K], cross[P]] so host and device share the layout.
#pragma once

#include "mcrev/core/config.hpp"

namespace mcrev {

/// Sizes of a partial: K metrics and P metric pairs whose co-moment is tracked.
struct PartialShape {
  int metrics = 0;
  int pairs = 0;
  MCREV_HD int size() const { return 1 + 2 * metrics + pairs; }
};

/// Shifted running sums for one leaf; storage of 3K + P doubles provided by the caller.
struct LeafSums {
  double* shift;  // K
  double* s1;     // K
  double* s2;     // K
  double* sxy;    // P
  double n;
};

MCREV_HD inline LeafSums leaf_view(double* storage, const PartialShape& sh) {
  return LeafSums{storage, storage + sh.metrics, storage + 2 * sh.metrics, storage + 3 * sh.metrics, 0.0};
}

/// Adds one observation x[0..K); pair p couples metrics (pair_x(p), pair_y(p)) given by pair_index.
template <class PairIndex>
MCREV_HD inline void leaf_add(LeafSums& s, const PartialShape& sh, const double* x, PairIndex pair_index) {
  if (s.n == 0.0) {
    for (int k = 0; k < sh.metrics; ++k) {
      s.shift[k] = x[k];
      s.s1[k] = 0.0;
      s.s2[k] = 0.0;
    }
    for (int p = 0; p < sh.pairs; ++p) s.sxy[p] = 0.0;
  } else {
    for (int k = 0; k < sh.metrics; ++k) {
      const double d = x[k] - s.shift[k];
      s.s1[k] += d;
      s.s2[k] += d * d;
    }
    for (int p = 0; p < sh.pairs; ++p) {
      int i, j;
      pair_index(p, &i, &j);
      s.sxy[p] += (x[i] - s.shift[i]) * (x[j] - s.shift[j]);
    }
  }
  s.n += 1.0;
}

/// Converts leaf sums into a partial [n, mean, m2, cross] (out has sh.size() doubles).
template <class PairIndex>
MCREV_HD inline void leaf_finish(const LeafSums& s, const PartialShape& sh, PairIndex pair_index, double* out) {
  const double n = s.n;
  out[0] = n;
  double* mean = out + 1;
  double* m2 = mean + sh.metrics;
  double* cross = m2 + sh.metrics;
  for (int k = 0; k < sh.metrics; ++k) {
    if (n == 0.0) {
      mean[k] = 0.0;
      m2[k] = 0.0;
      continue;
    }
    mean[k] = s.shift[k] + s.s1[k] / n;
    const double v = s.s2[k] - s.s1[k] * s.s1[k] / n;
    m2[k] = v > 0.0 ? v : 0.0;
  }
  for (int p = 0; p < sh.pairs; ++p) {
    int i, j;
    pair_index(p, &i, &j);
    cross[p] = n == 0.0 ? 0.0 : s.sxy[p] - s.s1[i] * s.s1[j] / n;
  }
}

/// The one merge formula of the project (Chan, Golub & LeVeque), split per entry so that the CPU's
/// partial_merge and the CUDA block tree (kernels/cuda_backend.cu) evaluate the same expressions in
/// the same order, hence give the same bits: with n = na + nb (na, nb > 0),
///   w = na·nb/n,  fb = nb/n,  mean = mean_a + (mean_b − mean_a)·fb,
///   M2 = M2a + M2b + δ²·w,  C = C_a + C_b + δx·δy·w.
/// When nb = 0 the merge is a, when na = 0 it is b (exactly, whole partials).
struct MergeWeights {
  double n, w, fb;
};
MCREV_HD inline MergeWeights merge_weights(double na, double nb) {
  const double n = na + nb;
  return MergeWeights{n, na * nb / n, nb / n};
}
MCREV_HD inline double merged_m2(double m2a, double m2b, double d, const MergeWeights& mw) {
  return m2a + m2b + d * d * mw.w;
}
MCREV_HD inline double merged_mean(double ma, double d, const MergeWeights& mw) { return ma + d * mw.fb; }
MCREV_HD inline double merged_cross(double ca, double cb, double di, double dj, const MergeWeights& mw) {
  return ca + cb + di * dj * mw.w;
}

/// out = merge(a, b) with a the earlier profiles; out may alias a. Pair p's metrics from pair_index.
template <class PairIndex>
MCREV_HD inline void partial_merge(const double* a, const double* b, const PartialShape& sh, PairIndex pair_index,
                                   double* out) {
  const double na = a[0], nb = b[0];
  if (nb == 0.0) {
    if (out != a)
      for (int k = 0; k < sh.size(); ++k) out[k] = a[k];
    return;
  }
  if (na == 0.0) {
    for (int k = 0; k < sh.size(); ++k) out[k] = b[k];
    return;
  }
  const MergeWeights mw = merge_weights(na, nb);
  const int K = sh.metrics;
  // cross terms first: they read the old means
  for (int p = 0; p < sh.pairs; ++p) {
    int i, j;
    pair_index(p, &i, &j);
    const double di = b[1 + i] - a[1 + i], dj = b[1 + j] - a[1 + j];
    out[1 + 2 * K + p] = merged_cross(a[1 + 2 * K + p], b[1 + 2 * K + p], di, dj, mw);
  }
  for (int k = 0; k < K; ++k) {
    const double d = b[1 + k] - a[1 + k];
    out[1 + K + k] = merged_m2(a[1 + K + k], b[1 + K + k], d, mw);
    out[1 + k] = merged_mean(a[1 + k], d, mw);
  }
  out[0] = mw.n;
}

/// One step of the canonical block tree (the CUDA kernel's reduction of its threads' leaves, and the
/// CPU emulation of it in tests/kernel_body_test.cpp): at stride s = 1, 2, 4, ..., entry t (t a
/// multiple of 2s) absorbs entry t + s. Over a power-of-two number of leaves this is exactly the
/// binary counter of TreeReducer (mcrev/engine.hpp), so a chunk's partial is bitwise the CPU's.
/// Arrays hold one metric's (n, mean, M2) per leaf.
MCREV_HD inline void tree_step_moment(double* n, double* mean, double* m2, int t, int s) {
  const double na = n[t], nb = n[t + s];
  if (nb == 0.0) return;
  if (na == 0.0) {
    n[t] = nb;
    mean[t] = mean[t + s];
    m2[t] = m2[t + s];
    return;
  }
  const MergeWeights mw = merge_weights(na, nb);
  const double d = mean[t + s] - mean[t];
  m2[t] = merged_m2(m2[t], m2[t + s], d, mw);
  mean[t] = merged_mean(mean[t], d, mw);
  n[t] = mw.n;
}

/// tree_step_moment for one metric pair: (n, mean_i, mean_j, C_ij) per leaf.
MCREV_HD inline void tree_step_comoment(double* n, double* mi, double* mj, double* c, int t, int s) {
  const double na = n[t], nb = n[t + s];
  if (nb == 0.0) return;
  if (na == 0.0) {
    n[t] = nb;
    mi[t] = mi[t + s];
    mj[t] = mj[t + s];
    c[t] = c[t + s];
    return;
  }
  const MergeWeights mw = merge_weights(na, nb);
  const double di = mi[t + s] - mi[t], dj = mj[t + s] - mj[t];
  c[t] = merged_cross(c[t], c[t + s], di, dj, mw);
  mi[t] = merged_mean(mi[t], di, mw);
  mj[t] = merged_mean(mj[t], dj, mw);
  n[t] = mw.n;
}

}  // namespace mcrev
