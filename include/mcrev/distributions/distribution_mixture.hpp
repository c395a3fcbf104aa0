// mcrev: discrete distributions and finite mixtures (bodies of the Distribution members declared in
// mcrev/distribution.hpp; included at its end).
//
// Discrete: atoms x_0 < ... < x_{n-1} with P(V = x_k) = p_k. Arena at `table`: x[0..n), then the
// cumulative probabilities C_k = p_0 + ... + p_k (C_{n-1} = 1 exactly). F(x) = C_k for the largest
// x_k <= x; Q(u) = the smallest x_k with C_k >= u (exact).
//
// Mixture: F = Σ_k w_k F_k with Σ w_k = 1 and components of any non-mixture kind (nested mixtures are
// flattened by the host). Arena block at `table` (table_n = n components, p[0] = K, p[1] = A):
//   w[0..n)                       weights
//   n records of kDistributionRecord doubles   the components' Distribution bytes (memcpy)
//   G[0..K]                       G_j = Q(j/K), computed exactly on the host (K a power of two)
//   atoms[0..A)                   every atom of the mixture, ascending
// Q(u) is an exact inversion: u K is exact, so G_j <= Q(u) <= G_{j+1} with j = floor(u K); inside
// that bracket a safeguarded Newton iteration (Newton steps on F(x) − u with f = the density of the
// continuous part, bisection whenever a step leaves the bracket or f = 0) keeps a bracket
// [a, b] with F(a) < u <= F(b) and stops when the Newton step is below ~2 ulp or the bracket is
// 4 ulp wide; an atom inside the final bracket is returned exactly. The result is Q(u) up to the
// floating-point rounding of F (a few ulp), at the cost of 1-3 evaluations of F and f for smooth
// or piecewise-linear F.
#pragma once

#include <cstring>

namespace mcrev {

/// Doubles taken by one mixture component record (a Distribution's bytes).
inline constexpr int kDistributionRecord = static_cast<int>((sizeof(Distribution) + sizeof(double) - 1) / sizeof(double));

MCREV_HD inline Distribution Distribution::mixture_component(int k, const double* arena) const {
  Distribution c;
  memcpy(static_cast<void*>(&c), arena + table + table_n + k * kDistributionRecord, sizeof(Distribution));
  return c;
}

MCREV_HD MCREV_DEVICE_NOINLINE double Distribution::discrete_quantile(double u, const double* arena) const {
  const double* xs = arena + table;
  const double* cum = xs + table_n;
  if (cum[0] >= u) return xs[0];
  int lo = 0, hi = table_n - 1;  // cum[lo] < u <= cum[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (cum[mid] >= u) hi = mid; else lo = mid;
  }
  return xs[hi];
}

MCREV_HD MCREV_DEVICE_NOINLINE double Distribution::discrete_cdf(double x, const double* arena) const {
  const double* xs = arena + table;
  const double* cum = xs + table_n;
  int lo = 0, hi = table_n - 1;  // largest k with xs[k] <= x (x >= xs[0] here)
  if (xs[hi] <= x) return cum[hi];
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  return cum[lo];
}

MCREV_HD MCREV_DEVICE_NOINLINE double Distribution::mixture_cdf(double x, const double* arena) const {
  const double* w = arena + table;
  double s = 0.0;
  for (int k = 0; k < table_n; ++k) s += w[k] * mixture_component(k, arena).cdf<true>(x, arena);
  return s < 1.0 ? s : 1.0;
}

MCREV_HD MCREV_DEVICE_NOINLINE double Distribution::mixture_pdf(double x, const double* arena) const {
  const double* w = arena + table;
  double s = 0.0;
  for (int k = 0; k < table_n; ++k) s += w[k] * mixture_component(k, arena).pdf<true>(x, arena);
  return s;
}

MCREV_HD MCREV_DEVICE_NOINLINE double Distribution::mixture_quantile(double u, const double* arena) const {
  const int n = table_n;
  const int K = static_cast<int>(p[0]);
  const int A = static_cast<int>(p[1]);
  const double* guide = arena + table + n * (1 + kDistributionRecord);
  const double* atoms = guide + K + 1;
  const double s = u * K;  // exact: K is a power of two
  int j = static_cast<int>(s);
  j = j < 0 ? 0 : (j > K - 1 ? K - 1 : j);
  double a = guide[j], b = guide[j + 1];
  if (!(a > -HUGE_VAL)) {  // unbounded below: walk down from b
    double step = 1.0 + fabs(b);
    a = b - step;
    while (cdf(a, arena) >= u) {
      b = a;
      step *= 2.0;
      a = b - step;
    }
  } else if (cdf(a, arena) >= u) {
    return a;  // Q(j/K) <= Q(u) <= a = Q(j/K)
  }
  double x;
  if (!(b < HUGE_VAL)) {  // unbounded above: walk up from a, keeping F(a) < u
    double step = (j > 0 && guide[j] > guide[j - 1]) ? guide[j] - guide[j - 1] : 1.0 + fabs(a);
    b = a + step;
    while (cdf(b, arena) < u) {
      a = b;
      step *= 2.0;
      b = a + step;
    }
    x = a + 0.5 * (b - a);
  } else {
    x = a + (b - a) * (s - j);  // linear guess inside the bracket
  }
  // Invariant: F(a) < u <= F(b).
  for (int it = 0; it < 128; ++it) {
    if (!(x > a && x < b)) x = a + 0.5 * (b - a);
    if (!(x > a && x < b)) break;  // a and b are adjacent doubles
    const double Fx = cdf(x, arena);
    if (Fx >= u) b = x; else a = x;
    if (b - a <= 4.5e-16 * (fabs(a) > fabs(b) ? fabs(a) : fabs(b))) break;
    const double fx = pdf(x, arena);
    if (fx > 0.0 && Fx != u) {
      const double dx = (Fx - u) / fx;
      const double xn = x - dx;
      if (fabs(dx) <= 2.3e-16 * fabs(x) && xn >= a && xn <= b) return xn;
      x = xn;
    } else if (Fx == u && fx > 0.0) {
      return x;
    } else {
      x = a + 0.5 * (b - a);
    }
  }
  if (A > 0) {  // an atom inside [a, b] is the answer exactly
    int lo = 0, hi = A;  // first atom >= a
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (atoms[mid] < a) lo = mid + 1; else hi = mid;
    }
    if (lo < A && atoms[lo] <= b) return atoms[lo];
  }
  return b;
}

}  // namespace mcrev
