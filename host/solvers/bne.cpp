#include "solvers/bne.hpp"

#include <algorithm>
#include <cmath>

namespace mcrev {

namespace {

// 10-point Gauss–Legendre nodes and weights on [-1, 1].
constexpr double kGlX[5] = {0.1488743389816312, 0.4333953941292472, 0.6794095682990244, 0.8650633666889845,
                            0.9739065285171717};
constexpr double kGlW[5] = {0.2955242247147529, 0.2692667193099963, 0.2190863625159820, 0.1494513491505806,
                            0.0666713443086881};

template <class F>
double gauss_legendre(F f, double a, double b) {
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  double s = 0.0;
  for (int i = 0; i < 5; ++i) s += kGlW[i] * (f(c - h * kGlX[i]) + f(c + h * kGlX[i]));
  return s * h;
}

// Nodes evenly spaced in w; J(v_k) = ∫_entry^{v_k} (F(x)/F(v_k))^{n−1} dx accumulated interval by
// interval (stable for any n: no F^{n−1} underflow). First price: β = v − J; all-pay: β = F^{n−1}(v − J).
BneTable tabulate(const Distribution& d, const double* arena, int n, double entry, int points, bool all_pay) {
  BneTable t;
  t.entry = entry;
  t.log_tail = std::isfinite(d.high) ? 0 : 1;
  const double top = finite_top(d, arena);
  auto w_of = [&](double tt) { return t.log_tail ? -std::log1p(-tt) : tt; };
  auto t_of = [&](double w) { return t.log_tail ? -std::expm1(-w) : w; };
  const double t0 = d.cdf(entry, arena);
  t.w0 = w_of(t0);
  t.w1 = w_of(d.cdf(top, arena));
  t.bids.resize(points);
  t.slopes.resize(points);
  double prev_v = entry, prev_f = t0, J = 0.0;
  for (int k = 0; k < points; ++k) {
    const double w = t.w0 + (t.w1 - t.w0) * k / (points - 1);
    const double v = (k == 0) ? entry : (k == points - 1 ? top : std::min(d.quantile(t_of(w), arena), top));
    const double fv = d.cdf(v, arena);
    if (k > 0 && v > prev_v) {
      const double scale = fv > 0 ? std::pow(prev_f / fv, n - 1) : 0.0;
      // Subdivide so that each piece is narrow against the integrand's peak width F/((n − 1) f) near v
      // (large n makes (F(x)/F(v))^{n−1} sharply peaked).
      const double pdf = d.pdf(v, arena);
      const double width = (n > 1 && pdf > 0) ? fv / ((n - 1) * pdf) : (v - prev_v);
      const int sub = static_cast<int>(std::min(20000.0, std::max(4.0, std::ceil(4 * (v - prev_v) / width))));
      double piece = 0;
      for (int j = 0; j < sub; ++j) {
        const double a = prev_v + (v - prev_v) * j / sub, b = prev_v + (v - prev_v) * (j + 1) / sub;
        piece += gauss_legendre([&](double x) { return fv > 0 ? std::pow(d.cdf(x, arena) / fv, n - 1) : 0.0; }, a, b);
      }
      J = (n == 1 ? J : J * scale) + piece;
    }
    const double fp = v - J;  // first-price bid
    t.bids[k] = all_pay ? (n == 1 ? 1.0 : std::pow(fv, n - 1)) * fp : fp;
    // The equilibrium ODE β'(v) = (n − 1)(v − β) f/F gives dβ/dt = (n − 1)(v − β)/t; all-pay:
    // d/dt [t^{n−1} β_FP] = (n − 1) t^{n−2} v. Then dβ/dw = dβ/dt · dt/dw, dt/dw = 1 − t if log_tail.
    const double dtdw = t.log_tail ? 1.0 - fv : 1.0;
    if (fv > 0)
      t.slopes[k] = (all_pay ? (n - 1) * std::pow(fv, n - 2) * v : (n - 1) * (v - fp) / fv) * dtdw;
    else
      t.slopes[k] = std::nan("");  // F = 0: filled from the neighbours below
    prev_v = v;
    prev_f = fv;
  }
  // Monotone by theory; guard against rounding at the first nodes.
  for (int k = 1; k < points; ++k) t.bids[k] = std::max(t.bids[k], t.bids[k - 1]);
  const double h = (t.w1 - t.w0) / (points - 1);
  if (!std::isfinite(t.slopes[0])) t.slopes[0] = (-3 * t.bids[0] + 4 * t.bids[1] - t.bids[2]) / (2 * h);
  return t;
}

}  // namespace

Strategy BneTable::strategy(int bids_offset, int slopes_offset) const {
  Strategy s;
  s.kind = StrategyKind::Table;
  s.entry = entry;
  s.w0 = w0;
  s.w1 = w1;
  s.log_tail = log_tail;
  s.table = bids_offset;
  s.table_n = static_cast<int>(bids.size());
  s.slopes = slopes_offset;
  return s;
}

double finite_top(const Distribution& d, const double* arena) {
  if (std::isfinite(d.high)) return d.high;
  return d.quantile(1.0 - 1e-13, arena);
}

BneTable first_price_bne(const Distribution& d, const double* arena, int n, double reserve, int points) {
  const double entry = std::max(reserve, d.low);
  BneTable t = tabulate(d, arena, n, entry, points, false);
  t.bids[0] = entry;  // β(r) = r exactly
  if (!(reserve > d.low)) t.entry = -HUGE_VAL;  // non-binding reserve: every value bids
  return t;
}

BneTable all_pay_bne(const Distribution& d, const double* arena, int n, double min_bid, int points) {
  // Entry type: smallest r >= low with r F(r)^{n−1} >= min_bid (increasing where r >= 0).
  double entry = d.low;
  auto pay_at = [&](double r) { return r * std::pow(d.cdf(r, arena), n - 1); };
  if (min_bid > 0 && pay_at(entry) < min_bid) {
    double lo = std::max(d.low, 0.0), hi = finite_top(d, arena);
    if (pay_at(hi) < min_bid) {
      entry = hi;  // nobody ever bids
    } else {
      for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::fabs(hi)); ++it) {
        const double mid = 0.5 * (lo + hi);
        (pay_at(mid) >= min_bid ? hi : lo) = mid;
      }
      entry = hi;
    }
  }
  BneTable t = tabulate(d, arena, n, entry, points, true);
  t.bids[0] = std::max(t.bids[0], min_bid);
  for (int k = 1; k < points; ++k) t.bids[k] = std::max(t.bids[k], t.bids[k - 1]);
  if (!(entry > d.low)) t.entry = -HUGE_VAL;
  return t;
}

}  // namespace mcrev
