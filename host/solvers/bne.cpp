#include "solvers/bne.hpp"

#include "mcrev/core/error.hpp"
#include "solvers/distribution_ext.hpp"

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

/// Tail depths of the node map: nodes reach F = kLowEps and 1 − F = kHighEps evenly in log (1 − F
/// is resolved only to ~1e-16 in double precision, F down to the smallest normal numbers).
constexpr double kLowEps = 1e-30, kHighEps = 1e-13;
/// Relative error the adaptive tabulation aims for, and its largest node count.
constexpr double kBneTolerance = 1e-9;
constexpr int kBneMaxPoints = 65537;

/// The node coordinate w(t) = lin t + lo log(t + eps_lo) − hi log(1 + eps_hi − t) and its inverse (host).
struct NodeMap {
  double lin, lo, eps_lo, hi, eps_hi;
  double w(double t) const { return lin * t + lo * std::log(t + eps_lo) - hi * std::log1p(eps_hi - t); }
  double dw_dt(double t) const { return lin + lo / (t + eps_lo) + hi / (1.0 + eps_hi - t); }
  /// t in [0, 1] with w(t) = target, by bisection to the last bit (w is increasing).
  double t_of(double target) const {
    double lo = 0.0, hi = 1.0;
    if (!(w(hi) > target)) return hi;
    if (!(w(lo) < target)) return lo;
    for (int it = 0; it < 2000; ++it) {
      const double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      (w(mid) < target ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  }
};

// The table's node map: a third of the w range each in F, log F and log(1 − F) (λ log(1/ε) = 1 for
// each tail); stored in t for the device's table_w.
NodeMap node_map(BneTable& t) {
  const NodeMap map{1.0, 1.0 / -std::log(kLowEps), kLowEps, 1.0 / -std::log(kHighEps), kHighEps};
  t.w_lin = map.lin;
  t.w_lo = map.lo;
  t.eps_lo = map.eps_lo;
  t.w_hi = map.hi;
  t.eps_hi = map.eps_hi;
  return map;
}

/// J(v) = ∫_entry^v (F(x)/F(v))^{n−1} dx, advanced from (v0, J(v0)) to v > v0 (stable for any n: no
/// F^{n−1} underflow). Pieces are narrow against the integrand's peak width F/((n − 1) f) near v.
double advance_j(const Distribution& d, const double* arena, double n, double v0, double f0, double j0, double v,
                 double fv) {
  if (!(v > v0)) return j0;
  const double scale = fv > 0 ? std::pow(f0 / fv, n - 1) : 0.0;
  const double pdf = d.pdf(v, arena);
  const double width = (n > 1 && pdf > 0) ? fv / ((n - 1) * pdf) : (v - v0);
  const int sub = static_cast<int>(std::min(20000.0, std::max(4.0, std::ceil(4 * (v - v0) / width))));
  double piece = 0;
  for (int j = 0; j < sub; ++j) {
    const double a = v0 + (v - v0) * j / sub, b = v0 + (v - v0) * (j + 1) / sub;
    piece += gauss_legendre([&](double x) { return fv > 0 ? std::pow(d.cdf(x, arena) / fv, n - 1) : 0.0; }, a, b);
  }
  return (n == 1 ? j0 : j0 * scale) + piece;
}

/// The equilibrium bid at v from J(v): first price v − J; all-pay F^{n−1}(v − J).
double bid_of(double v, double fv, double J, double n, bool all_pay) {
  const double fp = v - J;
  return all_pay ? (n == 1 ? 1.0 : std::pow(fv, n - 1)) * fp : fp;
}

// Nodes evenly spaced in w; the bids there from J accumulated interval by interval. Each interval's
// midpoint is evaluated exactly as well, and the largest gap between the interpolated and the exact
// bid there is the table's measured error (t.error). β = v − J (first price), F^{n−1}(v − J) (all-pay).
// first_bid (if finite) replaces the bid at the entry node; bids are floored at floor_bid.
BneTable tabulate(const Distribution& d, const double* arena, double n, double entry, int points, bool all_pay,
                  double first_bid, double floor_bid) {
  BneTable t;
  t.entry = entry;
  t.points = points;
  const double top = finite_top(d, arena);
  const double t0 = d.cdf(entry, arena);
  const NodeMap map = node_map(t);
  t.w0 = map.w(t0);
  t.w1 = map.w(d.cdf(top, arena));
  t.bids.resize(points);
  t.slopes.resize(points);
  std::vector<double> mid_v(points, 0.0), mid_bid(points, 0.0);
  double prev_v = entry, prev_f = t0, J = 0.0;
  for (int k = 0; k < points; ++k) {
    const double w = t.w0 + (t.w1 - t.w0) * k / (points - 1);
    const double v = (k == 0) ? entry : (k == points - 1 ? top : std::min(d.quantile(map.t_of(w), arena), top));
    const double fv = d.cdf(v, arena);
    if (k > 0) {
      // Exact bid at the interval's midpoint in w (for the error measurement).
      const double wm = t.w0 + (t.w1 - t.w0) * (k - 0.5) / (points - 1);
      const double vm = std::min(std::max(d.quantile(map.t_of(wm), arena), prev_v), std::max(v, prev_v));
      const double fm = d.cdf(vm, arena);
      mid_v[k] = vm;
      mid_bid[k] = bid_of(vm, fm, advance_j(d, arena, n, prev_v, prev_f, J, vm, fm), n, all_pay);
      if (v > prev_v) J = advance_j(d, arena, n, prev_v, prev_f, J, v, fv);
    }
    t.bids[k] = bid_of(v, fv, J, n, all_pay);
    // The equilibrium ODE β'(v) = (n − 1)(v − β) f/F gives dβ/dt = (n − 1)(v − β)/t; all-pay:
    // d/dt [t^{n−1} β_FP] = (n − 1) t^{n−2} v. Then dβ/dw = dβ/dt / (dw/dt).
    const double fp = v - J;
    if (fv > 0)
      t.slopes[k] = (all_pay ? (n - 1) * std::pow(fv, n - 2) * v : (n - 1) * (v - fp) / fv) / map.dw_dt(fv);
    else
      t.slopes[k] = std::nan("");  // F = 0: filled from the neighbours below
    prev_v = v;
    prev_f = fv;
  }
  if (std::isfinite(first_bid)) t.bids[0] = first_bid;
  t.bids[0] = std::max(t.bids[0], floor_bid);
  // Monotone by theory; guard against rounding at the first nodes.
  for (int k = 1; k < points; ++k) t.bids[k] = std::max(t.bids[k], t.bids[k - 1]);
  const double h = (t.w1 - t.w0) / (points - 1);
  if (!std::isfinite(t.slopes[0])) t.slopes[0] = (-3 * t.bids[0] + 4 * t.bids[1] - t.bids[2]) / (2 * h);
  // Measured error: the interpolant (exactly as the backends evaluate it) against the exact bid at
  // every interval's midpoint, where a cubic Hermite piece's error peaks.
  const Strategy st = t.strategy(0, 0);
  t.error = 0.0;
  for (int k = 1; k < points; ++k) {
    if (!(mid_v[k] >= entry)) continue;
    const double exact = std::max(mid_bid[k], floor_bid);
    const double got = st.table_bid(st.table_w(d.cdf(mid_v[k], arena)), t.bids.data(), t.slopes.data());
    const double e = std::fabs(got - exact);
    t.error = std::isfinite(e) ? std::max(t.error, e) : HUGE_VAL;
  }
  return t;
}

/// Tabulates with 4,097 nodes (or `points`) and doubles the node count while the measured error
/// exceeds kBneTolerance × the bid scale, up to kBneMaxPoints.
BneTable tabulate_adaptive(const Distribution& d, const double* arena, double n, double entry, int points, bool all_pay,
                           double first_bid, double floor_bid) {
  BneTable t = tabulate(d, arena, n, entry, points, all_pay, first_bid, floor_bid);
  const double scale = std::max({1e-300, std::fabs(t.bids.front()), std::fabs(t.bids.back()),
                                 t.bids.back() - t.bids.front()});
  while (t.error > kBneTolerance * scale && 2 * t.points - 1 <= kBneMaxPoints)
    t = tabulate(d, arena, n, entry, 2 * t.points - 1, all_pay, first_bid, floor_bid);
  return t;
}

/// Tabulates a bid function known pointwise, beta(v), at `points` nodes evenly spaced in w over
/// [entry, top] (the node map of `tabulate`), with slopes dβ/dw from central differences in t
/// (step 1e-5 · min(t, 1 − t) where 1 − t >= 1e-6; node differences elsewhere) and the measured
/// error at the intervals' midpoints: `error` absolute, in bid units, over the body F <= 1 − 1e-6;
/// `rel_error` over all midpoints, relative to |β| (at least 1e-12 of the body's bid scale), ignoring
/// what F's rounding near 1 cannot resolve (~1e-14/(1 − F)).
template <class Bid>
BneTable tabulate_known(const Distribution& d, const double* arena, double entry, double top, int points, Bid beta,
                        double* rel_error) {
  BneTable t;
  t.entry = entry;
  t.points = points;
  const NodeMap map = node_map(t);
  const double t0 = d.cdf(entry, arena), t1 = d.cdf(top, arena);
  t.w0 = map.w(t0);
  t.w1 = map.w(t1);
  t.bids.resize(points);
  t.slopes.resize(points);
  const double h = (t.w1 - t.w0) / (points - 1);
  double scale = 0.0;
  for (int k = 0; k < points; ++k) {
    const double w = t.w0 + h * k;
    const double tk = k == 0 ? t0 : (k == points - 1 ? t1 : map.t_of(w));
    const double v = k == 0 ? entry : (k == points - 1 ? top : std::min(std::max(d.quantile(tk, arena), entry), top));
    t.bids[k] = beta(v);
    if (tk <= 1.0 - 1e-6) scale = std::max(scale, std::fabs(t.bids[k]));
    const double dt = 1e-5 * std::min(tk, 1.0 - tk);
    t.slopes[k] = std::nan("");
    // Central differences in t where t ± dt is resolved in double (1 − t >= 1e-6); else the node
    // differences below, consistent with the table's own indexing by F(v).
    if (dt > 0 && 1.0 - tk >= 1e-6 && k > 0 && k < points - 1) {
      const double up = beta(std::min(d.quantile(tk + dt, arena), top));
      const double down = beta(std::max(d.quantile(tk - dt, arena), entry));
      t.slopes[k] = (up - down) / (2 * dt) / map.dw_dt(tk);
    }
  }
  for (int k = 0; k < points; ++k) {
    if (std::isfinite(t.slopes[k])) continue;
    if (k == 0) t.slopes[k] = (-3 * t.bids[0] + 4 * t.bids[1] - t.bids[2]) / (2 * h);
    else if (k == points - 1) t.slopes[k] = (3 * t.bids[k] - 4 * t.bids[k - 1] + t.bids[k - 2]) / (2 * h);
    else t.slopes[k] = (t.bids[k + 1] - t.bids[k - 1]) / (2 * h);
  }
  const Strategy st = t.strategy(0, 0);
  t.error = 0.0;
  *rel_error = 0.0;
  for (int k = 1; k < points; ++k) {
    const double wm = t.w0 + h * (k - 0.5);
    const double vm = std::min(std::max(d.quantile(map.t_of(wm), arena), entry), top);
    const double exact = beta(vm);
    const double got = st.table_bid(st.table_w(d.cdf(vm, arena)), t.bids.data(), t.slopes.data());
    const double e = std::fabs(got - exact);
    if (d.cdf(vm, arena) <= 1.0 - 1e-6) t.error = std::isfinite(e) ? std::max(t.error, e) : HUGE_VAL;  // the body
    // Relative to |β| (at least 1e-12 of the body's bid scale), less what indexing the table by
    // F(v) cannot resolve: near F = 1, F(v) and w(F) round by ~1e-16, so β ~ 1/(1 − F) is only
    // known to ~1e-14/(1 − F).
    const double floor = 1e-14 / std::max(1.0 - d.cdf(vm, arena), 1e-300);
    const double rel = std::isfinite(e) ? e / std::max({std::fabs(exact), 1e-12 * scale, 1e-300}) : HUGE_VAL;
    *rel_error = std::max(*rel_error, rel > floor ? rel : 0.0);
  }
  return t;
}

}  // namespace

KthPriceBne kth_price_bne(const Distribution& d, std::vector<double>& arena, int n, int k, double reserve,
                          const std::string& path) {
  MCREV_EXPECTS(k >= 3, path, "the k-th price equilibrium needs k >= 3 (k = 2 is second price: truthful)");
  MCREV_EXPECTS(n >= k, path,
                "strategy = \"bne\" for a k-th price auction needs at least k = " + std::to_string(k) +
                    " bidders (with fewer the winner always pays the reserve and no equilibrium exists), got " +
                    std::to_string(n));
  MCREV_EXPECTS(atoms(d, arena.data()).empty(), path,
                "strategy = \"bne\" for a k-th price auction needs a continuous value distribution (this one has "
                "atoms)");
  const double entry = std::max(reserve, d.low);
  const bool binding = reserve > d.low;
  KthPriceBne out;
  const bool linear = d.kind == DistKind::Uniform || (d.kind == DistKind::Power && std::isfinite(d.high));
  if (linear) {
    MCREV_EXPECTS(k == 3 || !binding, path,
                  "the k-th price equilibrium with a binding reserve is implemented for k = 3 only (for k >= 4 "
                  "there is no equilibrium of the revenue-equivalence form: lower the reserve to the support's low "
                  "end or use k = 3)");
    const double kappa = d.kind == DistKind::Uniform ? 1.0 : d.p[0];
    // c = (n−k)! Γ(n − 1 + a) / ((n−2)! Γ(n − k + 1 + a)) = Π_{j=n−k+1}^{n−2} (j + a)/j, a = 1/κ.
    double c = 1.0;
    for (int j = n - k + 1; j <= n - 2; ++j) c *= (j + 1.0 / kappa) / j;
    const double hi = std::max(d.high, entry);
    const double xs[2] = {entry, hi > entry ? hi : entry + 1.0};
    out.strategy.kind = StrategyKind::ValueTable;
    out.strategy.entry = binding ? reserve : -HUGE_VAL;
    out.strategy.table = static_cast<int>(arena.size());
    out.strategy.table_n = 2;
    arena.push_back(xs[0]);
    arena.push_back(xs[1]);
    arena.push_back(d.low + c * (xs[0] - d.low));
    arena.push_back(d.low + c * (xs[1] - d.low));
    out.method = "closed_form";
    out.nodes = 2;
    return out;
  }
  MCREV_EXPECTS(k == 3, path,
                "the k-th price equilibrium for k >= 4 is implemented for uniform and power values only (it needs "
                "the (k − 2)-th derivative of the quantile function); k = 3 works for any continuous distribution");
  const double* a = arena.data();
  auto beta = [&](double v) {
    const double F = d.cdf(v, a);
    if (!(F > 0)) return v;
    return v + F / ((n - 2) * d.pdf(v, a));
  };
  double top = finite_top(d, a);
  if (!(d.pdf(top, a) > 0) || !std::isfinite(beta(top))) top = d.quantile(1.0 - 1e-13, a);
  MCREV_EXPECTS(entry < top, path, "the reserve lies above the values' support: nobody bids");
  double rel = 0.0;
  BneTable t = tabulate_known(d, a, entry, top, 4097, beta, &rel);
  while (rel > kBneTolerance && 2 * t.points - 1 <= kBneMaxPoints)
    t = tabulate_known(d, a, entry, top, 2 * t.points - 1, beta, &rel);
  for (int j = 0; j < t.points; ++j) {
    MCREV_EXPECTS(std::isfinite(t.bids[j]), path,
                  "β(v) = v + F(v)/((n − 2) f(v)) is not finite on the support (the density vanishes inside "
                  "it): no symmetric equilibrium is implemented for this distribution");
    if (j > 0) {
      const double drop = t.bids[j - 1] - t.bids[j];
      MCREV_EXPECTS(!(drop > 1e-12 * std::max(1.0, std::fabs(t.bids[j]))), path,
                    "β(v) = v + F(v)/((n − 2) f(v)) decreases near bid " + std::to_string(t.bids[j]) +
                        ": this distribution has no symmetric increasing third-price equilibrium");
    }
  }
  if (!binding) t.entry = -HUGE_VAL;
  const int bids_at = static_cast<int>(arena.size());
  arena.insert(arena.end(), t.bids.begin(), t.bids.end());
  const int slopes_at = static_cast<int>(arena.size());
  arena.insert(arena.end(), t.slopes.begin(), t.slopes.end());
  out.strategy = t.strategy(bids_at, slopes_at);
  out.method = "symmetric";
  out.nodes = t.points;
  out.max_error = t.error;
  return out;
}

Strategy BneTable::strategy(int bids_offset, int slopes_offset) const {
  Strategy s;
  s.kind = StrategyKind::Table;
  s.entry = entry;
  s.w0 = w0;
  s.w1 = w1;
  s.w_lin = w_lin;
  s.w_lo = w_lo;
  s.eps_lo = eps_lo;
  s.w_hi = w_hi;
  s.eps_hi = eps_hi;
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
  BneTable t = tabulate_adaptive(d, arena, n, entry, points, false, entry, -HUGE_VAL);  // β(r) = r exactly
  if (!(reserve > d.low)) t.entry = -HUGE_VAL;  // non-binding reserve: every value bids
  return t;
}

BneTable first_price_bne_crra(const Distribution& d, const double* arena, int n, double reserve, double rho) {
  // β' = ((n − 1)/ρ)(f/F)(v − β): the risk-neutral ODE with n − 1 replaced by (n − 1)/ρ, i.e. the
  // risk-neutral table for an effective number of bidders 1 + (n − 1)/ρ.
  const double entry = std::max(reserve, d.low);
  BneTable t = tabulate_adaptive(d, arena, 1.0 + (n - 1) / rho, entry, 4097, false, entry, -HUGE_VAL);
  if (!(reserve > d.low)) t.entry = -HUGE_VAL;
  return t;
}

double all_pay_entry(const Distribution& d, const double* arena, int n, double min_bid) {
  // Smallest r >= low with r F(r)^{n−1} >= min_bid (increasing where r >= 0).
  double entry = d.low;
  auto pay_at = [&](double r) { return r * std::pow(d.cdf(r, arena), n - 1); };
  if (min_bid > 0 && pay_at(entry) < min_bid) {
    double lo = std::max(d.low, 0.0), hi = finite_top(d, arena);
    if (pay_at(hi) < min_bid) return hi;  // nobody ever bids
    for (int it = 0; it < 200 && hi - lo > 1e-15 * std::max(1.0, std::fabs(hi)); ++it) {
      const double mid = 0.5 * (lo + hi);
      (pay_at(mid) >= min_bid ? hi : lo) = mid;
    }
    entry = hi;
  }
  return entry;
}

BneTable all_pay_bne(const Distribution& d, const double* arena, int n, double min_bid, int points) {
  const double entry = all_pay_entry(d, arena, n, min_bid);
  BneTable t = tabulate_adaptive(d, arena, n, entry, points, true, std::nan(""), min_bid);
  if (!(entry > d.low)) t.entry = -HUGE_VAL;
  return t;
}

Strategy uniform_bne(const Distribution& d, const double* arena, int n, double reserve, bool all_pay) {
  Strategy s;
  s.kind = all_pay ? StrategyKind::UniformAllPay : StrategyKind::UniformFirstPrice;
  s.low = d.low;
  s.width = d.high - d.low;
  s.n = n;
  const double entry = all_pay ? all_pay_entry(d, arena, n, reserve) : std::max(reserve, d.low);
  s.entry = entry > d.low ? entry : -HUGE_VAL;  // a non-binding reserve: every value bids
  s.t_entry = entry > d.low ? d.cdf(entry, arena) : 0.0;
  if (all_pay) s.floor = reserve;
  return s;
}

}  // namespace mcrev
