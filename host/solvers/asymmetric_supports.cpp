#include "solvers/asymmetric_supports.hpp"
#include "solvers/dormand_prince.hpp"

#include "mcrev/core/config.hpp"
#include "mcrev/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

namespace mcrev {

namespace {

std::string fmt(double x) {
  std::ostringstream o;
  o.precision(10);
  o << x;
  return o.str();
}

double hermite(double u, double y0, double y1, double m0, double m1) {
  const double u2 = u * u, u3 = u2 * u;
  return (2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * y1 + (u3 - u2) * m1;
}

constexpr double kBottomGap = 1e-6;  // the trajectory is continued down to b = b_L + kBottomGap (b̄ − b_L)
constexpr double kFrozen = 1e-14;    // below F_H(φ_H) = kFrozen the strong bidder counts as at lo_H
constexpr double kMaxStep = 1.0 / 64;  // in τ
constexpr long kMaxSteps = 400000;

/// Equations (*) of asymmetric_bne.hpp in τ = log(b − b_L), state s_g = log F_g(φ_g).
struct System {
  const std::vector<Distribution>* dists;
  const double* arena;
  std::vector<double> n;
  double bl;
  int H = 0;  // the strong bidder's index in the system
  int G() const { return static_cast<int>(n.size()); }

  bool rhs(double tau, const double* s, double* ds) const {
    const int G = this->G();
    const double x = std::exp(tau), b = bl + x;
    double c[kMaxGroups];
    bool active[kMaxGroups];
    for (int g = 0; g < G; ++g) {
      if (!(s[g] <= 1e-13)) return false;
      const double t = std::exp(std::min(s[g], 0.0));
      const double phi = (*dists)[g].quantile(t, arena);
      const double m = phi - b;
      if (s[g] < 0.0) {
        if (!(m > 0.0)) return false;
        c[g] = 1.0 / m;
        active[g] = true;
      } else {  // at its top: out of the bidding while its top type does not want to bid b
        c[g] = m > 0.0 ? 1.0 / m : 0.0;
        active[g] = m > 0.0;
      }
    }
    return asymmetric_slopes(G, n.data(), s, c, active, x, ds);
  }
};

struct Path {
  std::vector<double> tau, s, ds;  // s, ds: [k·G + g]
  bool failed = false;
  bool stopped = false;  // the strong bidder's F_H(φ_H) fell to kFrozen
};


/// Integrates from τ_top (every s_g = 0) down to τ_floor, or until s_H <= log(kFrozen) (stopped);
/// failed when the state turns infeasible.
Path shoot(const System& p, double tau_top, double tau_floor, double tol, int H) {
  const int G = p.G();
  Path tr;
  dopri::Stages<kMaxGroups> w;
  double s[kMaxGroups] = {};
  double* k1 = w.k[0];
  auto push = [&](double t) {
    tr.tau.push_back(t);
    tr.s.insert(tr.s.end(), s, s + G);
    tr.ds.insert(tr.ds.end(), k1, k1 + G);
  };
  if (!p.rhs(tau_top, s, k1)) {
    tr.failed = true;
    return tr;
  }
  push(tau_top);
  auto rhs = [&p](double t, const double* in, double* out) { return p.rhs(t, in, out); };
  double tau = tau_top, h = -kMaxStep / 16;
  for (long steps = 0; tau > tau_floor; ++steps) {
    const double hh = std::max(h, tau_floor - tau);
    if (steps > kMaxSteps || tau + hh == tau) {
      tr.failed = true;
      return tr;
    }
    const bool last = hh == tau_floor - tau;
    if (!dopri::step(rhs, G, tau, hh, last ? tau_floor : tau + hh, s, w)) {
      // a stage left the feasible set: shorter steps, until no progress is possible
      h = 0.25 * hh;
      continue;
    }
    const double err = dopri::error_norm(w, G, hh, tol);
    const double factor = dopri::step_factor(err);
    if (err <= 1.0) {
      tau = last ? tau_floor : tau + hh;
      std::copy(w.y5, w.y5 + G, s);
      std::copy(w.k[6], w.k[6] + G, k1);
      push(tau);
      h = std::max(hh * factor, -kMaxStep);
      if (s[H] <= std::log(kFrozen)) {
        tr.stopped = true;
        return tr;
      }
    } else {
      h = hh * factor;
    }
  }
  return tr;
}

struct Solved {
  double top = 0.0;
  Path path;
};

/// Bisection on b̄ in (b_L, b_max) to adjacent doubles; the accepted path is the lower bracket's.
/// Classification: a path that turns infeasible is too high. Once F_H(φ_H) <= kFrozen the strong
/// bidder is at lo_H (to 1e-14 in F) and the other group's equation becomes d log F_w(φ_w)/db =
/// 1/(n_w (lo_H − b)), i.e. F_w(φ_w)^{n_w} (lo_H − b) = M stays constant below; its value bids at
/// or above its value (infeasible) further down iff M < M* = max_b (lo_H − b) F_w(b)^{n_w} (the
/// maximum attained at b_L), so M < M* is too high, M >= M* too low. This decides at a bid well
/// above b_L, where the state is resolved to full precision.
Solved solve(const System& sys, double b_max, double tol, double log_mstar, const std::string& path) {
  const double lo0 = sys.bl;
  const int H = sys.H, W = 1 - sys.H;
  const double loH = (*sys.dists)[H].low;
  double lo = lo0, hi = b_max;
  Solved out;
  bool have_lo = false, have_hi = false;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) break;
    const double tau_floor = std::log(kBottomGap * (mid - lo0));
    Path t = shoot(sys, std::log(mid - lo0), tau_floor, tol, H);
    bool high = t.failed;
    if (!high && t.stopped) {
      const size_t k = t.tau.size() - 1;
      const double b = lo0 + std::exp(t.tau[k]);
      high = sys.n[W] * t.s[k * 2 + W] + std::log(loH - b) < log_mstar;
    }
    if (high) {
      hi = mid;
      have_hi = true;
    } else {
      lo = mid;
      out.top = mid;
      out.path = std::move(t);
      have_lo = true;
    }
  }
  MCREV_EXPECTS(have_lo && have_hi && out.path.stopped, path,
                "backward shooting found no highest bid b̄ above the lowest bid " + fmt(lo0) + " (bracket up to " +
                    fmt(b_max) + ")");
  // Continue below the stop in closed form: the other group from M, the strong bidder's (negligible)
  // log F as C/(b − b_L), the form of its leading term.
  Path& p = out.path;
  const size_t k = p.tau.size() - 1;
  const double tau_s = p.tau[k], y_s = std::exp(tau_s), sH = p.s[k * 2 + H];
  const double log_m = sys.n[W] * p.s[k * 2 + W] + std::log(loH - (lo0 + y_s));
  const double tau_floor = std::log(kBottomGap * (out.top - lo0));
  for (int j = 1;; ++j) {
    const double tau = tau_s - j * kMaxStep;
    if (tau < tau_floor) break;
    const double y = std::exp(tau), b = lo0 + y;
    double st[2], ds[2];
    st[W] = (log_m - std::log(loH - b)) / sys.n[W];
    ds[W] = y / (sys.n[W] * (loH - b));
    st[H] = sH * y_s / y;
    ds[H] = -st[H];
    p.tau.push_back(tau);
    p.s.insert(p.s.end(), st, st + 2);
    p.ds.insert(p.ds.end(), ds, ds + 2);
  }
  return out;
}

/// Fills sol's trajectory fields from a solved path (descending bids).
void fill_trajectory(const Solved& sv, double bl, int G, AsymmetricBneSolution* sol) {
  const int J = static_cast<int>(sv.path.tau.size());
  sol->lowest_type = bl;
  sol->top_bid = sv.top;
  sol->bid.resize(J);
  sol->log_t.assign(G, std::vector<double>(J));
  sol->dlog_t.assign(G, std::vector<double>(J));
  for (int j = 0; j < J; ++j) {
    sol->bid[j] = bl + std::exp(sv.path.tau[j]);
    for (int g = 0; g < G; ++g) {
      sol->log_t[g][j] = sv.path.s[static_cast<size_t>(j) * G + g];
      sol->dlog_t[g][j] = sv.path.ds[static_cast<size_t>(j) * G + g];
    }
  }
}

/// The bid at which group g's log F = target (target in (s[J−1], 0)): cubic Hermite in τ inverted by
/// bisection between the bracketing trajectory points.
double bid_at(const AsymmetricBneSolution& sol, int g, double target) {
  const std::vector<double>& s = sol.log_t[g];
  const std::vector<double>& ds = sol.dlog_t[g];
  const int J = static_cast<int>(s.size());
  int lo_j = 0, hi_j = J - 1;  // s[lo_j] >= target > s[hi_j]
  while (hi_j - lo_j > 1) {
    const int mid = (lo_j + hi_j) / 2;
    (s[mid] >= target ? lo_j : hi_j) = mid;
  }
  const double tau_lo = std::log(sol.bid[hi_j] - sol.lowest_type), tau_hi = std::log(sol.bid[lo_j] - sol.lowest_type);
  const double w = tau_hi - tau_lo;
  double u0 = 0.0, u1 = 1.0;
  for (int it = 0; it < 64; ++it) {
    const double um = 0.5 * (u0 + u1);
    (hermite(um, s[hi_j], s[lo_j], w * ds[hi_j], w * ds[lo_j]) < target ? u0 : u1) = um;
  }
  return sol.lowest_type + std::exp(tau_lo + 0.5 * (u0 + u1) * w);
}

/// Knots of group g's bid function on the solved trajectory (as in asymmetric_bne.cpp): the
/// trajectory's points and `points` levels evenly in F_g, in log F_g (down to 1e-12: the strong
/// bidder's steep bottom), in log(1 − F_g) and in the bid. Below b_L a weak group bids its value
/// (from max(lo_g, reserve); lower values do not bid); the strong bidder's lowest value bids b_L.
ValueKnots tabulate(const std::vector<Distribution>& dists, const double* arena, const AsymmetricBneSolution& sol,
                    int g, bool strong, double reserve, int points) {
  const Distribution& d = dists[g];
  const std::vector<double>& s = sol.log_t[g];
  const int J = static_cast<int>(s.size());
  const double bl = sol.lowest_type, s_last = s[J - 1];
  ValueKnots K;
  std::vector<std::pair<double, double>> pts;
  if (strong) {
    pts.emplace_back(d.low, bl);
  } else {
    const double from = std::max(d.low, reserve);
    K.entry = reserve > d.low ? reserve : -HUGE_VAL;
    if (from < bl) pts.emplace_back(from, from);
    pts.emplace_back(bl, bl);
  }
  for (int j = 1; j < J; ++j)
    if (s[j] < 0.0 && s[j] > -700.0) pts.emplace_back(d.quantile(std::exp(s[j]), arena), sol.bid[j]);
  auto add_t = [&](double t) {
    const double target = std::log(t);
    if (t > 0.0 && target > s_last && target < 0.0) pts.emplace_back(d.quantile(t, arena), bid_at(sol, g, target));
  };
  const double t_bottom = std::exp(s_last);
  for (int k = 1; k + 1 < points; ++k) add_t(t_bottom + (1.0 - t_bottom) * k / (points - 1));
  const double log_lo = std::log(std::max(t_bottom, 1e-12));
  for (int k = 1; k + 1 < points; ++k) add_t(std::exp(log_lo * (1.0 - static_cast<double>(k) / (points - 1))));
  const double tail_lo = std::log1p(-t_bottom), tail_hi = std::log(1e-13);
  for (int k = 1; k + 1 < points; ++k) add_t(-std::expm1(tail_lo + (tail_hi - tail_lo) * k / (points - 1)));
  const double top_bid_g = s[1] < 0.0 ? sol.top_bid : bid_at(sol, g, -1e-15);
  pts.emplace_back(d.high, top_bid_g);
  for (int k = 1; k + 1 < points; ++k) {
    const double b = bl + (top_bid_g - bl) * k / (points - 1);
    if (b > sol.bid[J - 1]) pts.emplace_back(sol.inverse_bid(dists, arena, g, b), b);
  }
  std::sort(pts.begin(), pts.end());
  for (const auto& [v, b] : pts) {
    if (!K.value.empty() && !(v > K.value.back())) continue;
    K.value.push_back(v);
    K.bid.push_back(K.bid.empty() ? b : std::max(b, K.bid.back()));
  }
  // Measured error at knot-interval midpoints against the trajectory (strong bidder: where F >= 1e-9; below, its bid rises like
  // 1/log(1/(v − lo_H)) and knots a few ulps of v apart interpolate coarsely).
  double err = 0.0;
  for (size_t j = 0; j + 1 < K.value.size(); ++j) {
    const double vm = 0.5 * (K.value[j] + K.value[j + 1]);
    const double tm = d.cdf(vm, arena);
    const double target = std::log(tm);
    if (!(tm > (strong ? 1e-9 : 0.0)) || target <= s_last || target >= 0.0) continue;
    const double e = std::fabs(K(vm) - bid_at(sol, g, target));
    err = std::isfinite(e) ? std::max(err, e) : HUGE_VAL;
  }
  K.max_error = err;
  return K;
}

}  // namespace

double strong_bidder_lowest_bid(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                const double* arena, int H, bool* pooled) {
  const int G = static_cast<int>(dists.size());
  double lo2 = -HUGE_VAL, top = -HUGE_VAL;
  for (int j = 0; j < G; ++j)
    if (j != H) {
      lo2 = std::max(lo2, dists[j].low);
      top = std::max(top, dists[j].high);
    }
  const double loH = dists[H].low, b_end = std::min(loH, top);
  auto objective = [&](double b) {
    double v = std::log(loH - b);
    for (int j = 0; j < G; ++j)
      if (j != H) v += counts[j] * std::log(std::min(1.0, dists[j].cdf(b, arena)));
    return std::isnan(v) ? -HUGE_VAL : v;
  };
  constexpr int K = 65536;
  int best = 1;
  double best_v = -HUGE_VAL;
  for (int k = 1; k <= K; ++k) {
    const double v = objective(lo2 + (b_end - lo2) * k / K);
    if (v > best_v) {
      best_v = v;
      best = k;
    }
  }
  double a = lo2 + (b_end - lo2) * (best - 1) / K, c = lo2 + (b_end - lo2) * std::min(best + 1, K) / K;
  // d/db of the objective: −1/(lo_H − b) + Σ n_j f_j(b)/F_j(b); its sign change by bisection (the
  // objective itself is flat to rounding within ~1e-8 of its maximum).
  auto slope = [&](double b) {
    double v = -1.0 / (loH - b);
    for (int j = 0; j < G; ++j)
      if (j != H && dists[j].cdf(b, arena) < 1.0) v += counts[j] * dists[j].pdf(b, arena) / dists[j].cdf(b, arena);
    return v;
  };
  if (slope(a) > 0 && slope(c) < 0) {
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (a + c);
      if (!(mid > a && mid < c)) break;
      (slope(mid) > 0 ? a : c) = mid;
    }
  } else {  // not smooth there: golden-section search on the objective
    const double gr = 0.5 * (std::sqrt(5.0) - 1.0);
    for (int it = 0; it < 200 && c - a > 1e-15 * std::max(1.0, std::fabs(c)); ++it) {
      const double x1 = c - gr * (c - a), x2 = a + gr * (c - a);
      (objective(x1) < objective(x2) ? a : c) = objective(x1) < objective(x2) ? x1 : x2;
    }
  }
  double bl = 0.5 * (a + c);
  *pooled = top < loH && best == K && !(objective(bl) > objective(b_end));
  if (*pooled) bl = b_end;
  return bl;
}

AsymmetricBneSolution first_price_bne_different_supports(const std::vector<Distribution>& dists,
                                                         const std::vector<int>& counts, const double* arena,
                                                         double reserve, const std::string& path, int points) {
  const int G = static_cast<int>(dists.size());
  double lo_max = -HUGE_VAL;
  for (const Distribution& d : dists) lo_max = std::max(lo_max, d.low);
  int at_max = 0, H = -1;
  for (int g = 0; g < G; ++g)
    if (dists[g].low == lo_max) {
      at_max += counts[g];
      H = g;
    }
  std::vector<ValueKnots> identity(G);  // groups that never win: bid the value (from the reserve)
  for (int g = 0; g < G; ++g) {
    ValueKnots& K = identity[g];
    const double from = std::max(dists[g].low, reserve);
    K.entry = reserve > dists[g].low ? reserve : -HUGE_VAL;
    const double to = std::isfinite(dists[g].high) && dists[g].high > from ? dists[g].high : from + 1.0;
    K.value = {from, to};
    K.bid = K.value;
  }

  if (at_max >= 2) {
    // Two or more bidders share the highest lowest value: the common lowest bid lo_max. Groups whose
    // values all lie at or below lo_max never win.
    std::vector<Distribution> ds;
    std::vector<int> cs, index;
    for (int g = 0; g < G; ++g)
      if (dists[g].high > lo_max) {
        ds.push_back(dists[g]);
        cs.push_back(counts[g]);
        index.push_back(g);
      }
    AsymmetricBneSolution sub = first_price_bne_asymmetric(ds, cs, arena, lo_max, path, points);
    AsymmetricBneSolution sol = sub;
    sol.log_t.assign(G, std::vector<double>(sub.bid.size(), 0.0));
    sol.dlog_t.assign(G, std::vector<double>(sub.bid.size(), 0.0));
    sol.knots = identity;
    sol.mass.assign(G, 1.0);
    sol.bottom_t.assign(G, 1.0);
    for (size_t i = 0; i < index.size(); ++i) {
      const int g = index[i];
      sol.log_t[g] = sub.log_t[i];
      sol.dlog_t[g] = sub.dlog_t[i];
      sol.mass[g] = sub.mass[i];
      sol.bottom_t[g] = sub.bottom_t[i];
      ValueKnots K = sub.knots[i];
      const double from = std::max(dists[g].low, reserve);
      if (from < lo_max) {  // below lo_max: bid the value (never wins), instead of not bidding
        K.entry = reserve > dists[g].low ? reserve : -HUGE_VAL;
        K.value.insert(K.value.begin(), from);
        K.bid.insert(K.bid.begin(), from);
      }
      sol.knots[g] = K;
    }
    return sol;
  }

  // One bidder alone has the highest lowest value.
  for (int g = 0; g < G; ++g)
    MCREV_EXPECTS(std::isfinite(dists[g].low) && std::isfinite(dists[g].high), path,
                  "the first-price equilibrium with different lowest values is implemented for bounded supports; "
                  "bidder group " + std::to_string(g) + " has values on [" + fmt(dists[g].low) + ", " +
                      fmt(dists[g].high) + "]");
  bool pooled = false;
  const double bl = strong_bidder_lowest_bid(dists, counts, arena, H, &pooled);
  AsymmetricBneSolution sol;
  sol.mass.assign(G, 1.0);
  if (pooled) {
    // H's lowest type would rather win for sure: every type of H bids the others' top value (or the
    // reserve), the others bid their values and never win.
    const double price = std::max(bl, reserve);
    sol.regime = "pooled";
    sol.lowest_type = sol.top_bid = price;
    sol.knots = identity;
    sol.knots[H].entry = -HUGE_VAL;
    sol.knots[H].value = {dists[H].low, dists[H].high};
    sol.knots[H].bid = {price, price};
    sol.bottom_t.assign(G, 1.0);
    sol.bottom_t[H] = 0.0;
    return sol;
  }
  if (reserve > bl) {
    // A reserve at or above H's lowest value is the common-lowest-type case, which runs only while
    // every group can still bid above it; offer that range only when it exists.
    double lowest_top = HUGE_VAL;
    for (int g = 0; g < G; ++g) lowest_top = std::min(lowest_top, dists[g].high);
    const std::string upper = dists[H].low < lowest_top
                                  ? " or in [" + fmt(dists[H].low) + ", " + fmt(lowest_top) + ")"
                                  : "";
    MCREV_EXPECTS(false, path,
                  "with different lowest values the strong bidder (group " + std::to_string(H) + ", lowest value " +
                      fmt(dists[H].low) + ") would bid " + fmt(bl) + " at its lowest type; a reserve " + fmt(reserve) +
                      " between that bid and its lowest value makes its low types pool at the reserve, which is not "
                      "implemented: use reserve <= " + fmt(bl) + upper);
  }
  // Groups that never win (all values at or below b_L) bid their value and leave the system. One
  // whose top value is b_L itself puts a kink into H's objective there (the other group's inverse
  // bid then leaves b_L with slope != 1 and H's bid function has a power-law bottom): not covered.
  std::vector<int> index;
  for (int g = 0; g < G; ++g) {
    if (dists[g].high > bl) index.push_back(g);
    MCREV_EXPECTS(g == H || !(std::fabs(dists[g].high - bl) <= 1e-9 * std::max(1.0, std::fabs(bl))), path,
                  "the strong bidder's lowest bid " + fmt(bl) + " is the highest value of bidder group " +
                      std::to_string(g) + " (a kink of its best response); this equilibrium is not implemented");
  }
  MCREV_EXPECTS(index.size() == 2, path,
                "the first-price equilibrium with one bidder alone at the highest lowest value (group " +
                    std::to_string(H) + ") is implemented for two bidder groups (that bidder and one other group); "
                    "here " + std::to_string(index.size()) + " groups bid above its lowest bid " + fmt(bl));
  std::vector<Distribution> ds;
  System sys;
  sys.dists = &ds;
  sys.arena = arena;
  sys.bl = bl;
  for (int g : index) {
    ds.push_back(dists[g]);
    sys.n.push_back(counts[g]);
  }
  // b̄ lies below the top value of the group completing the two highest-valued bidders.
  double b_max;
  {
    std::vector<int> order{0, 1};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return ds[a].high > ds[b].high; });
    b_max = sys.n[order[0]] >= 2 ? ds[order[0]].high : ds[order[1]].high;
  }
  MCREV_EXPECTS(b_max > bl, path, "no two bidders have values above the lowest bid " + fmt(bl));
  sys.H = index[0] == H ? 0 : 1;
  const double log_mstar = std::log(dists[H].low - bl) + sys.n[1 - sys.H] * std::log(ds[1 - sys.H].cdf(bl, arena));
  const Solved fine = solve(sys, b_max, 1e-12, log_mstar, path);
  const Solved coarse = solve(sys, b_max, 1e-10, log_mstar, path);

  AsymmetricBneSolution sub;
  sub.mass.assign(2, 1.0);
  for (int i = 0; i < 2; ++i) sub.bottom_t.push_back(std::min(1.0, ds[i].cdf(bl, arena)));
  fill_trajectory(fine, bl, 2, &sub);
  AsymmetricBneSolution rough = sub;
  fill_trajectory(coarse, bl, 2, &rough);
  // Error estimate: inverse bids of the two solves over bids where every t_g >= 1e-9.
  double ode_error = std::fabs(fine.top - coarse.top);
  for (int k = 1; k < 1000; ++k) {
    const double b = bl + (fine.top - bl) * k / 1000.0;
    bool inside = true;
    double phi[2], phi_r[2];
    for (int i = 0; i < 2; ++i) {
      phi[i] = sub.inverse_bid(ds, arena, i, b);
      phi_r[i] = rough.inverse_bid(ds, arena, i, b);
      inside = inside && ds[i].cdf(phi[i], arena) >= 1e-9;
    }
    if (inside)
      for (int i = 0; i < 2; ++i) ode_error = std::max(ode_error, std::fabs(phi[i] - phi_r[i]));
  }
  sub.ode_error = ode_error;

  sol.regime = "strong lowest bid";
  sol.lowest_type = bl;
  sol.top_bid = sub.top_bid;
  sol.bid = sub.bid;
  sol.ode_error = ode_error;
  sol.levels = 1;
  sol.log_t.assign(G, std::vector<double>(sub.bid.size(), 0.0));
  sol.dlog_t.assign(G, std::vector<double>(sub.bid.size(), 0.0));
  sol.bottom_t.assign(G, 1.0);
  sol.knots = identity;
  for (int i = 0; i < 2; ++i) {
    const int g = index[i];
    sol.log_t[g] = sub.log_t[i];
    sol.dlog_t[g] = sub.dlog_t[i];
    sol.bottom_t[g] = sub.bottom_t[i];
    sol.knots[g] = tabulate(ds, arena, sub, i, g == H, reserve, points);
  }
  // The computed inverse bids must rise with the bid.
  for (int g : index)
    for (size_t j = 1; j < sol.bid.size(); ++j)
      MCREV_EXPECTS(sol.log_t[g][j] <= sol.log_t[g][j - 1] + 1e-12, path,
                    "the computed inverse bid function of bidder group " + std::to_string(g) +
                        " is not increasing near bid " + fmt(sol.bid[j]) + "; no monotone equilibrium was found");
  return sol;
}

}  // namespace mcrev
