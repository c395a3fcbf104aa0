// mcrev: regularized incomplete gamma and beta functions and their inverses, host and device.
//
//   P(a, x) = γ(a, x)/Γ(a),  Q(a, x) = 1 − P(a, x)                         (gamma distribution CDF/SF)
//   I_x(a, b) = B(x; a, b)/B(a, b)                                         (beta distribution CDF)
//
// Both tails are returned, each computed directly where it is the smaller one (series or Lentz
// continued fraction, Numerical Recipes §6.2/§6.4), so tail probabilities keep relative precision.
// The prefactors x^a e^{−x}/Γ(a) and x^a (1−x)^b / B(a, b) use Stirling's series for large
// parameters (no cancellation between a·log x and lgamma(a)): relative accuracy ~1e-14 for
// parameters up to 1e4 (tests/distributions_more_test.cpp checks against mpmath at 30 digits).
//
// The inverses solve P(a, x) = p (or Q(a, x) = q) and I_x(a, b) = p (or 1 − I_x = q) by Newton's
// method on the logarithm of the smaller tail, safeguarded by bisection inside a bracket; they stop
// after a Newton step below 1e-9 (relative), whose quadratic convergence leaves an error of a few
// ulps of x; typically 3–5 evaluations of the incomplete function.
#pragma once

#include "mcrev/core/config.hpp"

#include <cfloat>
#include <cmath>

namespace mcrev {

namespace incomplete_detail {

inline constexpr double kTiny = 1e-300;
inline constexpr double kEps = 2.220446049250313e-16;
inline constexpr int kMaxIter = 20000;
inline constexpr double kHalfLog2Pi = 0.91893853320467274178;

/// log(1 + y) − y, accurate for small |y| (series) and for y > −1 generally.
MCREV_HD inline double log1pmx(double y) {
  if (fabs(y) < 0.5) {
    // −y²/2 + y³/3 − y⁴/4 + …
    double term = y, sum = 0.0;
    for (int k = 2; k < 80; ++k) {
      term *= -y;
      const double t = term / k;
      sum += t;
      if (fabs(t) < 1e-17 * fabs(sum)) break;
    }
    return sum;
  }
  return log1p(y) - y;
}

/// Stirling correction lgamma(a) − [(a − ½) log a − a + ½ log 2π].
MCREV_HD inline double stirling_corr(double a) {
  if (a >= 10.0) {
    const double r = 1.0 / a, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
  }
  return lgamma(a) - ((a - 0.5) * log(a) - a + kHalfLog2Pi);
}

/// log of x^a e^{−x} / Γ(a) for x > 0.
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_log_prefix(double a, double x) {
  if (a < 10.0) return a * log(x) - x - lgamma(a);
  // a log x − x − lgamma(a) = a·[log(x/a) − (x/a − 1)] + ½ log a − ½ log 2π − corr(a)
  const double y = (x - a) / a;
  const double l = fabs(y) < 0.5 ? log1pmx(y) : log(x / a) - y;
  return a * l + 0.5 * log(a) - kHalfLog2Pi - stirling_corr(a);
}

/// log of x^a (1 − x)^b / B(a, b) for 0 < x < 1.
MCREV_HD MCREV_DEVICE_NOINLINE double beta_log_prefix(double a, double b, double x) {
  if (a < 10.0 || b < 10.0)
    return a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
  // Around x0 = a/(a+b), y = x/x0 − 1, z = −y a/b: a·[log(1+y) − y] + b·[log(1+z) − z] + ½ log(ab/(2π(a+b))) + Stirling corrections.
  const double x0 = a / (a + b), y = (x - x0) / x0, z = (x0 - x) / (1.0 - x0);
  const double l1 = fabs(y) < 0.5 ? log1pmx(y) : log(x / x0) - y;                    // log(x/x0) − y
  const double l2 = fabs(z) < 0.5 ? log1pmx(z) : (log1p(-x) - log1p(-x0)) - z;      // log((1−x)/(1−x0)) − z
  return a * l1 + b * l2 + 0.5 * log(a * b / (a + b)) - kHalfLog2Pi - stirling_corr(a) - stirling_corr(b) +
         stirling_corr(a + b);
}

/// Lentz continued fraction for I_x(a, b) (NR betacf): I_x = prefix · cf / a.
MCREV_HD MCREV_DEVICE_NOINLINE double beta_cf(double a, double b, double x) {
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIter; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (fabs(del - 1.0) < kEps) break;
  }
  return h;
}

}  // namespace incomplete_detail

/// Regularized incomplete gamma: *p = P(a, x), *q = Q(a, x) for a > 0, x >= 0 (+inf allowed).
MCREV_HD MCREV_DEVICE_NOINLINE void gamma_pq(double a, double x, double* p, double* q) {
  using namespace incomplete_detail;
  if (!(x > 0.0)) {
    *p = 0.0;
    *q = 1.0;
    return;
  }
  if (x == HUGE_VAL) {
    *p = 1.0;
    *q = 0.0;
    return;
  }
  const double prefix = exp(gamma_log_prefix(a, x));
  if (x < a + 1.0) {
    // Series: P = prefix · Σ_{n>=0} x^n / (a (a+1) … (a+n)).
    double ap = a, del = 1.0 / a, sum = del;
    for (int n = 0; n < kMaxIter; ++n) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (fabs(del) < fabs(sum) * 1e-17) break;
    }
    *p = sum * prefix;
    if (*p > 1.0) *p = 1.0;
    *q = 1.0 - *p;
  } else {
    // Continued fraction for Q (NR gcf, modified Lentz).
    double b = x + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
    for (int i = 1; i <= kMaxIter; ++i) {
      const double an = -i * (i - a);
      b += 2.0;
      d = an * d + b;
      if (fabs(d) < kTiny) d = kTiny;
      c = b + an / c;
      if (fabs(c) < kTiny) c = kTiny;
      d = 1.0 / d;
      const double del = d * c;
      h *= del;
      if (fabs(del - 1.0) < kEps) break;
    }
    *q = prefix * h;
    if (*q > 1.0) *q = 1.0;
    *p = 1.0 - *q;
  }
}

/// Gamma density with unit scale: x^{a−1} e^{−x} / Γ(a) (x > 0).
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_density(double a, double x) {
  if (!(x > 0.0)) return (a < 1.0) ? HUGE_VAL : (a == 1.0 ? 1.0 : 0.0);
  if (x == HUGE_VAL) return 0.0;
  return exp(incomplete_detail::gamma_log_prefix(a, x)) / x;
}

/// Regularized incomplete beta: *lower = I_x(a, b), *upper = 1 − I_x(a, b), for a, b > 0, x in [0, 1].
MCREV_HD MCREV_DEVICE_NOINLINE void beta_inc(double a, double b, double x, double* lower, double* upper) {
  using namespace incomplete_detail;
  if (!(x > 0.0)) {
    *lower = 0.0;
    *upper = 1.0;
    return;
  }
  if (!(x < 1.0)) {
    *lower = 1.0;
    *upper = 0.0;
    return;
  }
  const double prefix = exp(beta_log_prefix(a, b, x));
  if (x < (a + 1.0) / (a + b + 2.0)) {
    *lower = prefix * beta_cf(a, b, x) / a;
    if (*lower > 1.0) *lower = 1.0;
    *upper = 1.0 - *lower;
  } else {
    *upper = prefix * beta_cf(b, a, 1.0 - x) / b;
    if (*upper > 1.0) *upper = 1.0;
    *lower = 1.0 - *upper;
  }
}

/// Beta density on [0, 1]: x^{a−1} (1 − x)^{b−1} / B(a, b).
MCREV_HD MCREV_DEVICE_NOINLINE double beta_density(double a, double b, double x) {
  if (!(x > 0.0)) return a < 1.0 ? HUGE_VAL : (a == 1.0 ? b : 0.0);
  if (!(x < 1.0)) return b < 1.0 ? HUGE_VAL : (b == 1.0 ? a : 0.0);
  return exp(incomplete_detail::beta_log_prefix(a, b, x)) / (x * (1.0 - x));
}

namespace incomplete_detail {

/// Solves I_x(a, b) = p for x, where p <= 1/2 is the lower tail (the solution lies below the
/// median). Newton on g(ℓ) = log I_{e^ℓ}(a, b) − log p in ℓ = log x, bracketed by bisection.
MCREV_HD MCREV_DEVICE_NOINLINE double beta_lower_inv(double a, double b, double p) {
  if (!(p > 0.0)) return 0.0;
  // Initial guess (NR invbetai).
  double x;
  if (a >= 1.0 && b >= 1.0) {
    const double t = sqrt(-2.0 * log(p));
    const double z = t - (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481));  // ≈ −Φ^{-1}(p) > 0
    const double al = (z * z - 3.0) / 6.0;
    const double h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
    const double w = (z * sqrt(al + h) / h) - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h));
    x = a / (a + b * exp(2.0 * w));
  } else {
    const double lna = log(a / (a + b)), lnb = log(b / (a + b));
    const double t = exp(a * lna) / a, u = exp(b * lnb) / b, w = t + u;
    x = (p < t / w) ? pow(a * w * p, 1.0 / a) : 1.0 - pow(b * w * (1.0 - p), 1.0 / b);
  }
  const double lmin = log(DBL_MIN);
  double lo = lmin, hi = 0.0;  // bracket in ℓ: g(lo) < 0 <= g(hi) (lo is checked lazily)
  double l = (x > DBL_MIN && x < 1.0) ? log(x) : 0.5 * lmin;
  if (!(l < hi)) l = -1e-3;
  const double lp = log(p);
  for (int it = 0; it < 200; ++it) {
    const double xv = exp(l);
    double il, iu;
    beta_inc(a, b, xv, &il, &iu);
    if (!(il > 0.0)) {
      lo = l;
      l = 0.5 * (lo + hi);
      continue;
    }
    const double g = log(il) - lp;
    if (g < 0) lo = l; else hi = l;
    if (g == 0.0) return xv;
    if (g > 0 && l <= lmin) return 0.0;  // the quantile underflows
    // dg/dℓ = x · density / I
    const double slope = exp(beta_log_prefix(a, b, xv)) / ((1.0 - xv) * il);
    double next = l - g / slope;
    // Newton converges quadratically: a step below 1e-9 leaves an error far below 1 ulp.
    if (slope > 0 && fabs(next - l) <= 1e-9 * (1.0 + fabs(l))) return exp(next);
    if (!(next > lo && next < hi) || !(slope > 0)) next = 0.5 * (lo + hi);
    if (hi - lo <= 4e-16 * (1.0 + fabs(l))) return exp(next);
    l = next;
  }
  return exp(l);
}

/// Solves P(a, x) = p for p <= 1/2 (below the median, which is < a). Newton in ℓ = log x.
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_lower_inv(double a, double p) {
  if (!(p > 0.0)) return 0.0;
  double x;
  if (a > 1.0) {
    const double t = sqrt(-2.0 * log(p));
    const double z = t - (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481));  // ≈ −Φ^{-1}(p) > 0
    const double c = 1.0 - 1.0 / (9.0 * a) - z / (3.0 * sqrt(a));  // Wilson–Hilferty
    x = c > 0 ? a * c * c * c : 1e-3 * a;
  } else {
    const double t = 1.0 - a * (0.253 + a * 0.12);
    x = (p < t) ? pow(p / t, 1.0 / a) : 1.0 - log(1.0 - (p - t) / (1.0 - t));
  }
  const double lmin = log(DBL_MIN);
  double lo = lmin, hi = log(a) + 1e-12;  // median < a; lo is checked lazily
  double l = (x > DBL_MIN) ? log(x) : 0.5 * (lo + hi);
  if (!(l > lo && l < hi)) l = 0.5 * (lo + hi);
  const double lp = log(p);
  for (int it = 0; it < 200; ++it) {
    const double xv = exp(l);
    double pv, qv;
    gamma_pq(a, xv, &pv, &qv);
    if (!(pv > 0.0)) {
      lo = l;
      l = 0.5 * (lo + hi);
      continue;
    }
    const double g = log(pv) - lp;
    if (g < 0) lo = l; else hi = l;
    if (g == 0.0) return xv;
    if (g > 0 && l <= lmin) return 0.0;  // the quantile underflows
    const double slope = exp(gamma_log_prefix(a, xv)) / pv;  // x·density/P
    double next = l - g / slope;
    if (slope > 0 && fabs(next - l) <= 1e-9 * (1.0 + fabs(l))) return exp(next);
    if (!(next > lo && next < hi) || !(slope > 0)) next = 0.5 * (lo + hi);
    if (hi - lo <= 4e-16 * (1.0 + fabs(l))) return exp(next);
    l = next;
  }
  return exp(l);
}

/// Solves Q(a, x) = q for q < 1/2 (above the median, which is > a − 1/3). Newton in x on log Q.
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_upper_inv(double a, double q) {
  if (!(q > 0.0)) return HUGE_VAL;
  double lo = a > 0.34 ? a - 0.34 : 0.0, hi;
  // Initial guess: Wilson–Hilferty for a > 1, else the exponential-tail guess.
  double x;
  if (a > 1.0) {
    const double t = sqrt(-2.0 * log(q));
    const double z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t;  // ≈ Φ^{-1}(q) < 0
    const double c = 1.0 - 1.0 / (9.0 * a) - z / (3.0 * sqrt(a));
    x = a * c * c * c;
  } else {
    x = 1.0 - log(q);
  }
  hi = 1.5 * (x > lo ? x : lo) + 1.0;
  for (int k = 0; k < 2000; ++k) {  // expand until Q(hi) < q
    double pv, qv;
    gamma_pq(a, hi, &pv, &qv);
    if (qv < q) break;
    lo = hi;
    hi = 2.0 * hi + 1.0;
  }
  if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
  const double lq = log(q);
  for (int it = 0; it < 200; ++it) {
    double pv, qv;
    gamma_pq(a, x, &pv, &qv);
    if (!(qv > 0.0)) {
      hi = x;
      x = 0.5 * (lo + hi);
      continue;
    }
    const double g = log(qv) - lq;  // decreasing in x
    if (g > 0) lo = x; else hi = x;
    if (g == 0.0) return x;
    const double slope = -exp(gamma_log_prefix(a, x)) / (x * qv);
    double next = x - g / slope;
    if (slope < 0 && fabs(next - x) <= 1e-9 * fabs(x)) return next;
    if (!(next > lo && next < hi) || !(slope < 0)) next = 0.5 * (lo + hi);
    if (hi - lo <= 4e-16 * fabs(x)) return next;
    x = next;
  }
  return x;
}

}  // namespace incomplete_detail

/// Inverse of the regularized incomplete gamma: x with P(a, x) = p, given p and q = 1 − p (both
/// supplied so that either tail can carry full relative precision).
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_pq_inv(double a, double p, double q) {
  return p <= q ? incomplete_detail::gamma_lower_inv(a, p) : incomplete_detail::gamma_upper_inv(a, q);
}

/// Inverse of the regularized incomplete beta: x with I_x(a, b) = p, given p and q = 1 − p.
MCREV_HD MCREV_DEVICE_NOINLINE double beta_inc_inv(double a, double b, double p, double q) {
  return p <= q ? incomplete_detail::beta_lower_inv(a, b, p) : 1.0 - incomplete_detail::beta_lower_inv(b, a, q);
}

}  // namespace mcrev
