// mcrev: special functions usable on host and device (normal CDF and its inverse).
#pragma once

#include "mcrev/core/config.hpp"

#include <cmath>

namespace mcrev {

/// Standard normal CDF Φ(x) = erfc(−x/√2)/2, accurate in both tails.
MCREV_HD MCREV_INLINE double normal_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }
/// Standard normal survival 1 − Φ(x).
MCREV_HD MCREV_INLINE double normal_sf(double x) { return 0.5 * erfc(x * 0.70710678118654752440); }
/// Standard normal density.
MCREV_HD MCREV_INLINE double normal_pdf(double x) { return 0.39894228040143267794 * exp(-0.5 * x * x); }

/// Φ^{-1}(p) for p in (0, 1): Acklam's rational approximation (rel. error 1.15e-9) refined by one
/// Halley step on erfc, giving close to double precision.
MCREV_HD inline double normal_quantile(double p) {
  if (!(p > 0.0)) return -HUGE_VAL;
  if (!(p < 1.0)) return HUGE_VAL;
  const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                       1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                       6.680131188771972e+01,  -1.328068155288572e+01};
  const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                       -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                       3.754408661907416e+00};
  const double plow = 0.02425, phigh = 1.0 - plow;
  double x;
  if (p < plow) {
    const double q = sqrt(-2.0 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= phigh) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = sqrt(-2.0 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  // Halley refinement; the error is measured against whichever tail keeps relative precision.
  const double e = (p < 0.5) ? normal_cdf(x) - p : (1.0 - p) - normal_sf(x);
  const double u = e * 2.50662827463100050242 * exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

}  // namespace mcrev
