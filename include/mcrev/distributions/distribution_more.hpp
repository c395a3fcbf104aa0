// mcrev: quantile / CDF / density of the beta, lognormal, Pareto and gamma value distributions
// (docs/distributions-and-strategies.md). Free functions of (low, high, p[4]) so that
// mcrev/distribution.hpp dispatches to them with one line per kind; host and device code.
//
// Parameter layout in Distribution::p:
//   Beta      p = {alpha, beta, −, −}                 on [low, high]
//   LogNormal p = {mu, sigma, Φ(α), 1 − Φ(β)}         α = (log low − mu)/sigma (−∞ for low = 0), β likewise for high
//   Pareto    p = {alpha, mass, −, −}                 low = x_m; mass = 1 − (x_m/high)^alpha (1 if high = ∞)
//   Gamma     p = {shape k, scale θ, P(k, low/θ), Q(k, high/θ)}
// Truncated kinds are conditioned on [low, high] (not clipped). Every quantile is the inverse CDF of
// one uniform, computed in the tail where the target probability keeps its relative precision.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/core/incomplete.hpp"
#include "mcrev/core/special.hpp"

#include <cmath>

namespace mcrev {
namespace dist_more {

MCREV_HD MCREV_INLINE double clamp_to(double x, double low, double high) {
  return x < low ? low : (x > high ? high : x);
}

/// z = Φ^{-1}(below + u·inside) of a normal truncated to the tails (below, above), in the tail with
/// relative precision.
MCREV_HD MCREV_DEVICE_NOINLINE double truncated_normal_score(double u, double below, double above) {
  const double inside = 1.0 - below - above;
  const double target_lower = below + u * inside;
  if (target_lower < 0.5) return normal_quantile(target_lower);
  return -normal_quantile(above + (1.0 - u) * inside);
}

/// CDF of a standard normal score z truncated to the tails (below, above).
MCREV_HD MCREV_DEVICE_NOINLINE double truncated_normal_cdf(double z, double below, double above) {
  const double inside = 1.0 - below - above;
  return z < 0 ? (normal_cdf(z) - below) / inside : (inside - (normal_sf(z) - above)) / inside;
}

// ---- beta on [low, high] ----
MCREV_HD MCREV_DEVICE_NOINLINE double beta_quantile(double low, double high, const double* p, double u) {
  return clamp_to(low + (high - low) * beta_inc_inv(p[0], p[1], u, 1.0 - u), low, high);
}
MCREV_HD MCREV_DEVICE_NOINLINE double beta_cdf(double low, double high, const double* p, double x) {
  double lower, upper;
  beta_inc(p[0], p[1], (x - low) / (high - low), &lower, &upper);
  return lower;
}
MCREV_HD MCREV_DEVICE_NOINLINE double beta_pdf(double low, double high, const double* p, double x) {
  const double w = high - low;
  return beta_density(p[0], p[1], (x - low) / w) / w;
}

// ---- lognormal, log V ~ N(mu, sigma²), truncated to [low, high] ----
MCREV_HD MCREV_DEVICE_NOINLINE double lognormal_quantile(double low, double high, const double* p, double u) {
  return clamp_to(exp(p[0] + p[1] * truncated_normal_score(u, p[2], p[3])), low, high);
}
MCREV_HD MCREV_DEVICE_NOINLINE double lognormal_cdf(double low, double high, const double* p, double x) {
  if (!(x > 0.0)) return 0.0;
  const double f = truncated_normal_cdf((log(x) - p[0]) / p[1], p[2], p[3]);
  return f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
}
MCREV_HD MCREV_DEVICE_NOINLINE double lognormal_pdf(double low, double high, const double* p, double x) {
  if (!(x > 0.0)) return 0.0;
  return normal_pdf((log(x) - p[0]) / p[1]) / (x * p[1] * (1.0 - p[2] - p[3]));
}

// ---- Pareto: F(x) = (1 − (x_m/x)^alpha)/mass on [x_m, high] ----
MCREV_HD MCREV_DEVICE_NOINLINE double pareto_quantile(double low, double high, const double* p, double u) {
  return clamp_to(low * exp(-log1p(-u * p[1]) / p[0]), low, high);
}
MCREV_HD MCREV_DEVICE_NOINLINE double pareto_cdf(double low, double high, const double* p, double x) {
  return -expm1(p[0] * log(low / x)) / p[1];
}
MCREV_HD MCREV_DEVICE_NOINLINE double pareto_pdf(double low, double high, const double* p, double x) {
  return p[0] / x * exp(p[0] * log(low / x)) / p[1];
}

// ---- gamma with shape k and scale θ, truncated to [low, high] ----
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_quantile(double low, double high, const double* p, double u) {
  const double inside = 1.0 - p[2] - p[3];
  return clamp_to(p[1] * gamma_pq_inv(p[0], p[2] + u * inside, p[3] + (1.0 - u) * inside), low, high);
}
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_cdf(double low, double high, const double* p, double x) {
  double lower, upper;
  gamma_pq(p[0], x / p[1], &lower, &upper);
  const double inside = 1.0 - p[2] - p[3];
  const double f = lower < 0.5 ? (lower - p[2]) / inside : (inside - (upper - p[3])) / inside;
  return f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
}
MCREV_HD MCREV_DEVICE_NOINLINE double gamma_pdf(double low, double high, const double* p, double x) {
  return gamma_density(p[0], x / p[1]) / (p[1] * (1.0 - p[2] - p[3]));
}

}  // namespace dist_more
}  // namespace mcrev
