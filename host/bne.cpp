#include "bne.hpp"

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

// J(v_k) = ∫_r^{v_k} (F(x)/F(v_k))^{n−1} dx on the grid t_k, stable for any n (no F^{n−1} underflow).
BneTable tabulate(const Distribution& d, const double* arena, int n, double entry, int points, bool all_pay) {
  BneTable t;
  t.entry = entry;
  t.t0 = d.cdf(entry, arena);
  t.bids.resize(points);
  const double top = finite_top(d, arena);
  const double tmax = d.cdf(top, arena);
  double prev_v = entry, prev_f = t.t0, J = 0.0;
  for (int k = 0; k < points; ++k) {
    const double tk = (k == points - 1) ? tmax : t.t0 + (1.0 - t.t0) * k / (points - 1);
    const double v = (k == 0) ? entry : std::min(d.quantile(std::min(tk, tmax), arena), top);
    const double fv = d.cdf(v, arena);
    if (k > 0 && v > prev_v) {
      const double scale = fv > 0 ? std::pow(prev_f / fv, n - 1) : 0.0;
      const double piece = gauss_legendre(
          [&](double x) { return fv > 0 ? std::pow(d.cdf(x, arena) / fv, n - 1) : 0.0; }, prev_v, v);
      J = (n == 1 ? J : J * scale) + piece;
    }
    const double fp = v - J;  // first-price bid
    t.bids[k] = all_pay ? (n == 1 ? 1.0 : std::pow(fv, n - 1)) * fp : fp;
    prev_v = v;
    prev_f = fv;
  }
  // Monotone by theory; guard against rounding at the first nodes.
  for (int k = 1; k < points; ++k) t.bids[k] = std::max(t.bids[k], t.bids[k - 1]);
  return t;
}

}  // namespace

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
