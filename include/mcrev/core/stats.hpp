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

/// out = merge(a, b) with a the earlier profiles; out may alias a. Pair p's metrics from pair_index.
template <class PairIndex>
MCREV_HD inline void partial_merge(const double* a, const double* b, const PartialShape& sh, PairIndex pair_index,
                                   double* out) {
  const double na = a[0], nb = b[0], n = na + nb;
  if (nb == 0.0) {
    if (out != a)
      for (int k = 0; k < sh.size(); ++k) out[k] = a[k];
    return;
  }
  if (na == 0.0) {
    for (int k = 0; k < sh.size(); ++k) out[k] = b[k];
    return;
  }
  const double w = na * nb / n, fb = nb / n;
  const int K = sh.metrics;
  // cross terms first: they read the old means
  for (int p = 0; p < sh.pairs; ++p) {
    int i, j;
    pair_index(p, &i, &j);
    const double di = b[1 + i] - a[1 + i], dj = b[1 + j] - a[1 + j];
    out[1 + 2 * K + p] = a[1 + 2 * K + p] + b[1 + 2 * K + p] + di * dj * w;
  }
  for (int k = 0; k < K; ++k) {
    const double d = b[1 + k] - a[1 + k];
    out[1 + K + k] = a[1 + K + k] + b[1 + K + k] + d * d * w;
    out[1 + k] = a[1 + k] + d * fb;
  }
  out[0] = n;
}

}  // namespace mcrev
