// mcrev: value distributions, sampled by inverse CDF from one uniform on (0, 1).
//
// A Distribution is a small trivially copyable value. Tabulated kinds keep their points in the model's
// arena (a flat array of doubles shared by host and device) and read them through `arena`.
#pragma once

#include "mcrev/core/config.hpp"
#include "mcrev/distributions/distribution_more.hpp"
#include "mcrev/core/special.hpp"

#include <cmath>
#include <type_traits>

namespace mcrev {

enum class DistKind : int {
  Uniform,      ///< U[low, high]
  Exponential,  ///< F(v) = 1 − exp(−rate (v − shift)), v >= shift; p[0] = rate, low = shift
  Power,        ///< F(v) = ((v − low)/(high − low))^k; p[0] = k > 0
  TruncNormal,  ///< N(mean, sd²) truncated (not clipped) to [low, high]; p = {mean, sd, lower-tail mass, upper-tail mass}
  Empirical,    ///< piecewise-linear CDF through points (x_k, F_k), F_0 = 0, F_last = 1, atoms allowed
  Beta,         ///< beta(alpha, beta) on [low, high]; p = {alpha, beta} (mcrev/distribution_more.hpp)
  LogNormal,    ///< exp(N(mu, sigma²)) truncated to [low, high]; p = {mu, sigma, lower-tail mass, upper-tail mass}
  Pareto,       ///< Pareto(x_m = low, alpha) truncated at high (may be +inf); p = {alpha, mass below high}
  Gamma,        ///< gamma(shape k, scale θ) truncated to [low, high]; p = {k, θ, P(k, low/θ), Q(k, high/θ)}
  Discrete,     ///< atoms x_k with P(V = x_k) = p_k; table = x[0..n), then cumulative F(x_k) (mcrev/distribution_mixture.hpp)
  Mixture,      ///< Σ_k w_k F_k of non-mixture components (mcrev/distribution_mixture.hpp)
};

struct Distribution {
  DistKind kind = DistKind::Uniform;
  double low = 0.0;   ///< lower end of the support
  double high = 1.0;  ///< upper end of the support (+inf for exponential)
  double p[4] = {0.0, 0.0, 0.0, 0.0};
  int table = -1;     ///< Empirical: arena offset of x[0..table_n), then F[0..table_n)
  int table_n = 0;    ///< Mixture: table = arena offset of its block, table_n = components, p = {K, atoms}

  /// Inverse CDF Q(u) for u in (0, 1); for Empirical the smallest x with F(x) >= u.
  /// Q(u) for a kind known at compile time (the CPU backend's batched loops); K == kind required.
  template <DistKind K>
  MCREV_HD MCREV_INLINE double quantile_of(double u, const double* arena) const {
    if constexpr (K == DistKind::Uniform) return low + (high - low) * u;
    else if constexpr (K == DistKind::Exponential) return low - log1p(-u) / p[0];
    else if constexpr (K == DistKind::Power) return low + (high - low) * pow(u, 1.0 / p[0]);
    else if constexpr (K == DistKind::TruncNormal) return trunc_normal_quantile(u);
    else if constexpr (K == DistKind::Empirical) return empirical_quantile(u, arena);
    else return quantile(u, arena);
  }

  MCREV_HD MCREV_DEVICE_NOINLINE double quantile(double u, const double* arena) const {
    switch (kind) {
      case DistKind::Uniform: return quantile_of<DistKind::Uniform>(u, arena);
      case DistKind::Exponential: return quantile_of<DistKind::Exponential>(u, arena);
      case DistKind::Power: return quantile_of<DistKind::Power>(u, arena);
      case DistKind::TruncNormal: return quantile_of<DistKind::TruncNormal>(u, arena);
      case DistKind::Empirical: return quantile_of<DistKind::Empirical>(u, arena);
      case DistKind::Beta: return dist_more::beta_quantile(low, high, p, u);
      case DistKind::LogNormal: return dist_more::lognormal_quantile(low, high, p, u);
      case DistKind::Pareto: return dist_more::pareto_quantile(low, high, p, u);
      case DistKind::Gamma: return dist_more::gamma_quantile(low, high, p, u);
      case DistKind::Discrete: return discrete_quantile(u, arena);
      case DistKind::Mixture: return mixture_quantile(u, arena);
    }
    return low;
  }

  /// CDF F(x). (Leaf = true: a mixture component, never itself a mixture; keeps the call graph acyclic.)
  template <bool Leaf = false>
  MCREV_HD MCREV_DEVICE_NOINLINE double cdf(double x, const double* arena) const {
    if (x < low) return 0.0;
    if (x >= high) return 1.0;
    switch (kind) {
      case DistKind::Uniform: return (x - low) / (high - low);
      case DistKind::Exponential: return -expm1(-p[0] * (x - low));
      case DistKind::Power: return pow((x - low) / (high - low), p[0]);
      case DistKind::TruncNormal: {
        const double z = (x - p[0]) / p[1];
        // p[2] = Φ(a), p[3] = 1 − Φ(b); mass inside = 1 − p[2] − p[3]
        const double inside = 1.0 - p[2] - p[3];
        return z < 0 ? (normal_cdf(z) - p[2]) / inside : (inside - (normal_sf(z) - p[3])) / inside;
      }
      case DistKind::Empirical: {
        const double* xs = arena + table;
        const double* fs = xs + table_n;
        int lo = 0, hi = table_n - 1;  // largest k with xs[k] <= x
        while (hi - lo > 1) {
          const int mid = (lo + hi) / 2;
          if (xs[mid] <= x) lo = mid; else hi = mid;
        }
        if (xs[hi] <= x) return fs[hi];
        const double w = xs[hi] - xs[lo];
        return w > 0 ? fs[lo] + (fs[hi] - fs[lo]) * (x - xs[lo]) / w : fs[hi];
      }
      case DistKind::Beta: return dist_more::beta_cdf(low, high, p, x);
      case DistKind::LogNormal: return dist_more::lognormal_cdf(low, high, p, x);
      case DistKind::Pareto: return dist_more::pareto_cdf(low, high, p, x);
      case DistKind::Gamma: return dist_more::gamma_cdf(low, high, p, x);
      case DistKind::Discrete: return discrete_cdf(x, arena);
      case DistKind::Mixture:
        if constexpr (!Leaf) return mixture_cdf(x, arena);
        return 0.0;
    }
    return 0.0;
  }

  /// Density f(x) (0 outside the support; Empirical: slope of the CDF segment, atoms excluded; Discrete: 0;
  /// Mixture: Σ_k w_k f_k, the density of its absolutely continuous part).
  template <bool Leaf = false>
  MCREV_HD MCREV_DEVICE_NOINLINE double pdf(double x, const double* arena) const {
    if (x < low || x > high) return 0.0;
    switch (kind) {
      case DistKind::Uniform: return 1.0 / (high - low);
      case DistKind::Exponential: return p[0] * exp(-p[0] * (x - low));
      case DistKind::Power: {
        const double w = high - low;
        return p[0] / w * pow((x - low) / w, p[0] - 1.0);
      }
      case DistKind::TruncNormal: return normal_pdf((x - p[0]) / p[1]) / (p[1] * (1.0 - p[2] - p[3]));
      case DistKind::Empirical: {
        const double* xs = arena + table;
        const double* fs = xs + table_n;
        for (int k = 0; k + 1 < table_n; ++k)
          if (x >= xs[k] && x < xs[k + 1]) return (fs[k + 1] - fs[k]) / (xs[k + 1] - xs[k]);
        return 0.0;
      }
      case DistKind::Beta: return dist_more::beta_pdf(low, high, p, x);
      case DistKind::LogNormal: return dist_more::lognormal_pdf(low, high, p, x);
      case DistKind::Pareto: return dist_more::pareto_pdf(low, high, p, x);
      case DistKind::Gamma: return dist_more::gamma_pdf(low, high, p, x);
      case DistKind::Discrete: return 0.0;
      case DistKind::Mixture:
        if constexpr (!Leaf) return mixture_pdf(x, arena);
        return 0.0;
    }
    return 0.0;
  }

  /// Mixture component k (a copy of the Distribution stored in the mixture's arena block).
  MCREV_HD Distribution mixture_component(int k, const double* arena) const;

 private:
  MCREV_HD double trunc_normal_quantile(double u) const {
    const double mean = p[0], sd = p[1], below = p[2], above = p[3];
    const double inside = 1.0 - below - above;
    // Work in the tail where the target probability keeps its relative precision.
    const double target_lower = below + u * inside;
    double z;
    if (target_lower < 0.5) {
      z = normal_quantile(target_lower);
    } else {
      const double target_upper = above + (1.0 - u) * inside;
      z = -normal_quantile(target_upper);
    }
    const double x = mean + sd * z;
    return x < low ? low : (x > high ? high : x);
  }

  MCREV_HD double empirical_quantile(double u, const double* arena) const {
    const double* xs = arena + table;
    const double* fs = xs + table_n;
    int lo = 0, hi = table_n - 1;  // smallest hi with fs[hi] >= u; fs[0] = 0 < u
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      if (fs[mid] >= u) hi = mid; else lo = mid;
    }
    const double df = fs[hi] - fs[lo];
    return df > 0 ? xs[lo] + (xs[hi] - xs[lo]) * (u - fs[lo]) / df : xs[hi];
  }

  // Discrete and Mixture bodies: mcrev/distribution_mixture.hpp.
  MCREV_HD double discrete_quantile(double u, const double* arena) const;
  MCREV_HD double discrete_cdf(double x, const double* arena) const;
  MCREV_HD double mixture_quantile(double u, const double* arena) const;
  MCREV_HD double mixture_cdf(double x, const double* arena) const;
  MCREV_HD double mixture_pdf(double x, const double* arena) const;
};

static_assert(std::is_trivially_copyable_v<Distribution>);

}  // namespace mcrev

#include "mcrev/distributions/distribution_mixture.hpp"

