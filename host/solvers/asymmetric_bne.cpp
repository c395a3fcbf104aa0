#include "solvers/asymmetric_bne.hpp"
#include "solvers/dormand_prince.hpp"
#include "solvers/asymmetric_supports.hpp"

#include "mcrev/core/config.hpp"
#include "mcrev/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace mcrev {

/// The right side of (*) once each group's c_g = 1/(φ_g − b) and whether it bids at b are known:
/// S = Σ_{active} n_h c_h / (N_active − 1), dropping groups at their top (s_g >= 0) whose top type
/// does not want to bid b (S < c_g) until the set is stable; ds_g = x (S − c_g) for active groups,
/// 0 otherwise. False when fewer than two bidders remain active. Shared with asymmetric_supports.cpp.
bool asymmetric_slopes(int G, const double* n, const double* s, const double* c, bool* active, double x, double* ds) {
    double sum = 0.0;
    for (;;) {
      double n_active = 0.0;
      sum = 0.0;
      for (int g = 0; g < G; ++g)
        if (active[g]) {
          n_active += n[g];
          sum += n[g] * c[g];
        }
      if (!(n_active >= 2.0)) return false;
      sum /= (n_active - 1.0);
      bool changed = false;
      for (int g = 0; g < G; ++g)
        if (active[g] && s[g] >= 0.0 && !(sum >= c[g])) {
          active[g] = false;
          changed = true;
        }
      if (!changed) break;
    }
    for (int g = 0; g < G; ++g) ds[g] = active[g] ? x * (sum - c[g]) : 0.0;
    return true;
}

namespace {

// Checkpoints in τ = log(b − r*): spacing 1/256 over the first 2 units below the top bid (where the
// inverse bids curve most), 1/64 below; the trajectory is interpolated by cubic Hermite between them.
constexpr double kFine = 1.0 / 256, kCoarse = 1.0 / 64;
constexpr int kFineCount = 512;
double grid_offset(int j) { return j <= kFineCount ? j * kFine : kFineCount * kFine + (j - kFineCount) * kCoarse; }
double grid_step(int j) { return j < kFineCount ? kFine : kCoarse; }  // spacing between checkpoints j and j + 1
constexpr double kTol = 1e-12;            // Dormand–Prince error tolerance on s = log t
constexpr double kMatch = 1e-10;          // bracketing trajectories agree to this (in s) at a restart
constexpr double kBottom = 1e-7;          // stop once every group is within this (in t) of F_g(r*)
constexpr double kTailCut = 1e-12;        // unbounded supports are solved on [lo, Q(1 − kTailCut)]
constexpr long kMaxSteps = 50000;         // step attempts per shot before it counts as failed

struct Problem {
  const std::vector<Distribution>* dists;
  const double* arena;
  int G;
  std::vector<double> n;
  double N;
  double r;                 // r*
  std::vector<double> t0;   // F_g(r*)/mass_g
  std::vector<double> mass; // 1, or 1 − kTailCut for unbounded supports (truncated at Q_g(1 − kTailCut))

  /// ds/dτ of (*) at τ; false where the state is infeasible (a value at or below its bid, below r*,
  /// or above the top of the support): the signature of too high a b̄.
  /// A group still at its top value (s_g = 0) takes part only once its top type wants to bid b:
  /// S_A >= c_g for the set A of groups already bidding there (its y_g = S − c_g >= 0); above that bid
  /// its ds_g = 0 (with several bidders per group, weak groups' highest bids can lie below b̄).
  bool rhs(double tau, const double* s, double* ds) const {
    const double x = std::exp(tau), b = r + x;
    double c[kMaxGroups];
    bool active[kMaxGroups];
    for (int g = 0; g < G; ++g) {
      if (!(s[g] <= 1e-13)) return false;
      const double t = std::exp(std::min(s[g], 0.0));
      if (!(t > 0.0) || (t0[g] > 0.0 && t < t0[g])) return false;
      const double phi = (*dists)[g].quantile(t * mass[g], arena);
      const double m = phi - b;
      if (s[g] < 0.0) {
        if (!(m > 0.0)) return false;
        c[g] = 1.0 / m;
        active[g] = true;
      } else {  // at the top: out of the bidding while its top value is at or below b
        c[g] = m > 0.0 ? 1.0 / m : 0.0;
        active[g] = m > 0.0;
      }
    }
    return asymmetric_slopes(G, n.data(), s, c, active, x, ds);
  }

  bool at_bottom(const double* s) const {
    for (int g = 0; g < G; ++g)
      if (std::exp(s[g]) - t0[g] > kBottom * (1.0 - t0[g])) return false;
    return true;
  }
};

/// Every accepted integration point (τ, s, ds/dτ), and which of them are the checkpoints
/// τ = tau_top − grid_offset(j0 + i), i = 0, 1, ….
struct Trajectory {
  int j0 = 0;
  std::vector<double> tau, s, ds;  // s, ds: [k·G + g]
  std::vector<int> cp;             // point index of checkpoint j0 + i
  bool failed = false;             // stopped by infeasibility (too high)
  int count() const { return static_cast<int>(cp.size()); }
  const double* state(int i, int G) const { return &s[static_cast<size_t>(cp[i]) * G]; }
  void push(double t, const double* st, const double* d, int G) {
    tau.push_back(t);
    s.insert(s.end(), st, st + G);
    ds.insert(ds.end(), d, d + G);
  }
};


/// Integrates backwards from checkpoint j0 (state s0) checkpoint by checkpoint until infeasible or
/// below tau_floor.
Trajectory shoot(const Problem& p, double tau_top, int j0, const double* s0, double tau_floor) {
  const int G = p.G;
  Trajectory tr;
  tr.j0 = j0;
  const double tau0 = tau_top - grid_offset(j0);
  dopri::Stages<kMaxGroups> w;
  double s[kMaxGroups];
  double* k1 = w.k[0];
  std::copy(s0, s0 + G, s);
  if (!p.rhs(tau0, s, k1)) {
    tr.failed = true;
    return tr;
  }
  tr.push(tau0, s, k1, G);
  tr.cp.push_back(0);
  double tau = tau0, h = -grid_step(j0);
  long steps = 0;  // attempts; a stiff approach to infeasibility can shrink steps without end
  auto rhs = [&p](double t, const double* in, double* out) { return p.rhs(t, in, out); };
  for (int j = j0 + 1;; ++j) {
    const double target = tau_top - grid_offset(j);
    if (target < tau_floor) return tr;
    while (tau > target) {
      double hh = std::max(h, target - tau);
      if (++steps > kMaxSteps || tau + hh == tau) {  // no representable progress: the shot is failing
        tr.failed = true;
        return tr;
      }
      const bool last = hh == target - tau;
      if (!dopri::step(rhs, G, tau, hh, last ? target : tau + hh, s, w)) {
        h = 0.25 * hh;
        if (std::fabs(h) < 1e-13) {
          tr.failed = true;
          return tr;
        }
        continue;
      }
      const double err = dopri::error_norm(w, G, hh, kTol);
      const double factor = dopri::step_factor(err);
      if (err <= 1.0) {
        tau = last ? target : tau + hh;
        std::copy(w.y5, w.y5 + G, s);
        std::copy(w.k[6], w.k[6] + G, k1);
        tr.push(tau, s, k1, G);
        h = std::max(hh * factor, -grid_step(j));
      } else {
        h = hh * factor;
        if (std::fabs(h) < 1e-13) {
          tr.failed = true;
          return tr;
        }
      }
    }
    tr.cp.push_back(static_cast<int>(tr.tau.size()) - 1);
  }
}

/// Number of leading checkpoints on which a and b agree to kMatch.
int agreeing(const Trajectory& a, const Trajectory& b, int G) {
  const int n = std::min(a.count(), b.count());
  for (int j = 0; j < n; ++j)
    for (int g = 0; g < G; ++g)
      if (!(std::fabs(a.state(j, G)[g] - b.state(j, G)[g]) <= kMatch)) return j;
  return n;
}

std::string fmt(double x) {
  std::ostringstream o;
  o.precision(10);
  o << x;
  return o.str();
}

/// Cubic Hermite on [0, 1]: values y0, y1 and slopes m0, m1 (already scaled by the interval).
double hermite(double u, double y0, double y1, double m0, double m1) {
  const double u2 = u * u, u3 = u2 * u;
  return (2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * y1 + (u3 - u2) * m1;
}

}  // namespace

double ValueKnots::operator()(double v) const {
  if (v < entry) return -HUGE_VAL;
  if (!(v > value.front())) return bid.front();
  if (v >= value.back()) return bid.back();
  const size_t k = std::upper_bound(value.begin(), value.end(), v) - value.begin();  // value[k−1] <= v < value[k]
  return bid[k - 1] + (bid[k] - bid[k - 1]) * (v - value[k - 1]) / (value[k] - value[k - 1]);
}

double AsymmetricBneSolution::inverse_bid(const std::vector<Distribution>& dists, const double* arena, int g,
                                          double b) const {
  const Distribution& d = dists[g];
  const int J = static_cast<int>(bid.size());
  double tt;  // t/mass_g
  if (b >= top_bid) {
    tt = 1.0;
  } else if (b <= bid[J - 1]) {
    const double t0 = bottom_t[g], tl = std::exp(log_t[g][J - 1]);
    const double w = bid[J - 1] > lowest_type ? (b - lowest_type) / (bid[J - 1] - lowest_type) : 0.0;
    tt = t0 + (tl - t0) * std::max(0.0, w);
  } else {
    // bid[] descends: find j with bid[j] >= b > bid[j + 1]
    int lo = 0, hi = J - 1;
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      (bid[mid] >= b ? lo : hi) = mid;
    }
    const double tau_hi = std::log(bid[lo] - lowest_type), tau_lo = std::log(bid[hi] - lowest_type);
    const double w = tau_hi - tau_lo;
    const double u = (std::log(b - lowest_type) - tau_lo) / w;
    tt = std::exp(std::min(0.0, hermite(u, log_t[g][hi], log_t[g][lo], w * dlog_t[g][hi], w * dlog_t[g][lo])));
  }
  return tt > 0 ? d.quantile(tt * mass[g], arena) : std::max(lowest_type, d.low);
}

AsymmetricBneSolution first_price_bne_asymmetric(const std::vector<Distribution>& dists, const std::vector<int>& counts,
                                                 const double* arena, double reserve, const std::string& path,
                                                 int points) {
  const int G = static_cast<int>(dists.size());
  MCREV_EXPECTS(G >= 1 && G <= kMaxGroups && static_cast<int>(counts.size()) == G, path, "invalid bidder groups");
  Problem p;
  p.dists = &dists;
  p.arena = arena;
  p.G = G;
  p.N = 0;
  for (int g = 0; g < G; ++g) {
    p.n.push_back(counts[g]);
    p.N += counts[g];
  }
  MCREV_EXPECTS(p.N >= 2, path, "a first-price equilibrium needs at least two bidders");
  double rstar = reserve;
  for (const Distribution& d : dists) rstar = std::max(rstar, d.low);
  for (const Distribution& d : dists)  // lowest values differ below r*: asymmetric_supports.hpp
    if (d.low < rstar && reserve < rstar) return first_price_bne_different_supports(dists, counts, arena, reserve, path, points);
  for (int g = 0; g < G; ++g) {
    const Distribution& d = dists[g];
    MCREV_EXPECTS(rstar < d.high, path,
                  "the reserve " + fmt(rstar) + " is at or above the highest value of bidder group " +
                      std::to_string(g) + " (" + fmt(d.high) + ")");
  }
  p.r = rstar;
  std::vector<double> top(G);
  for (int g = 0; g < G; ++g) {
    const Distribution& d = dists[g];
    const bool unbounded = !(d.high < HUGE_VAL);
    p.mass.push_back(unbounded ? 1.0 - kTailCut : 1.0);
    top[g] = unbounded ? d.quantile(1.0 - kTailCut, arena) : d.high;
    p.t0.push_back(std::min(1.0, std::max(0.0, d.cdf(rstar, arena) / p.mass[g])));
  }

  // Bracket for b̄: at least two bidders bid there, so b̄ lies below the top value of the group that
  // completes the two highest-valued bidders.
  double b_max = HUGE_VAL;
  {
    std::vector<int> order(G);
    for (int g = 0; g < G; ++g) order[g] = g;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return top[a] > top[b]; });
    double seen = 0;
    for (int g : order) {
      seen += counts[g];
      if (seen >= 2) {
        b_max = top[g];
        break;
      }
    }
  }
  MCREV_EXPECTS(b_max > rstar && b_max < HUGE_VAL, path, "no two bidders have values above the reserve");
  const double zeros[kMaxGroups] = {};
  const double scale = b_max - rstar;
  const double tau_floor = std::log(1e-13 * std::max(scale, std::fabs(rstar)));
  auto shoot_top = [&](double bbar) { return shoot(p, std::log(bbar - rstar), 0, zeros, tau_floor); };
  Trajectory tr_hi, tr_lo;
  bool have_hi = false, have_lo = false;
  double lo = rstar, hi = b_max;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) break;
    Trajectory t = shoot_top(mid);
    if (t.failed) {
      hi = mid;
      tr_hi = std::move(t);
      have_hi = true;
    } else {
      lo = mid;
      tr_lo = std::move(t);
      have_lo = true;
    }
  }
  MCREV_EXPECTS(have_hi && have_lo, path, "backward shooting found no highest bid b̄ (bracket [" + fmt(rstar) + ", " +
                                              fmt(b_max) + "])");

  AsymmetricBneSolution sol;
  sol.lowest_type = rstar;
  sol.top_bid = lo;
  const double tau_top = std::log(lo - rstar);
  Trajectory comp;  // the composite trajectory, checkpoints from tau_top
  int level = 0;
  for (;; ++level) {
    MCREV_EXPECTS(level < 400, path, "the equilibrium solver did not converge (too many shooting levels)");
    const int agree = agreeing(tr_lo, tr_hi, G);
    const int lo_count = tr_lo.count();
    // Accept tr_lo's points up to the last checkpoint on which the bracket agrees.
    const int keep = std::max(1, agree);
    const bool first = comp.tau.empty();
    const int from = first ? 0 : tr_lo.cp[0] + 1;  // a restart's checkpoint 0 is the composite's last
    for (int k = from; k <= tr_lo.cp[keep - 1]; ++k) {
      comp.push(tr_lo.tau[k], &tr_lo.s[static_cast<size_t>(k) * G], &tr_lo.ds[static_cast<size_t>(k) * G], G);
      if (std::find(tr_lo.cp.begin(), tr_lo.cp.end(), k) != tr_lo.cp.end())
        comp.cp.push_back(static_cast<int>(comp.tau.size()) - 1);
    }
    const int J = comp.count();
    const bool reached_floor = agree == lo_count && !tr_lo.failed && !tr_hi.failed && tr_hi.count() == lo_count;
    const double tau_m = tau_top - grid_offset(J - 1);
    if (reached_floor || p.at_bottom(comp.state(J - 1, G)) || tau_m < tau_floor + 2.0) break;
    MCREV_EXPECTS(agree >= 2, path,
                  first ? "backward shooting diverged at the top; no monotone equilibrium found for these distributions"
                        : "the equilibrium solver made no progress near the lowest bid");
    // Re-shoot from the last agreeing checkpoint over the segment between the two bracketing states.
    std::vector<double> a(tr_lo.state(keep - 1, G), tr_lo.state(keep - 1, G) + G);
    std::vector<double> bst(tr_hi.state(keep - 1, G), tr_hi.state(keep - 1, G) + G);
    Trajectory new_lo, new_hi;
    bool nlo = false, nhi = false;
    double l0 = 0.0, l1 = 1.0;
    std::vector<double> mid_state(G);
    for (int it = 0; it < 200; ++it) {
      const double lm = 0.5 * (l0 + l1);
      if (!(lm > l0 && lm < l1)) break;
      bool same_lo = true, same_hi = true;
      for (int g = 0; g < G; ++g) {
        mid_state[g] = a[g] + lm * (bst[g] - a[g]);
        same_lo = same_lo && mid_state[g] == a[g] + l0 * (bst[g] - a[g]);
        same_hi = same_hi && mid_state[g] == a[g] + l1 * (bst[g] - a[g]);
      }
      if (same_lo || same_hi) break;
      Trajectory t = shoot(p, tau_top, J - 1, mid_state.data(), tau_floor);
      if (t.failed) {
        l1 = lm;
        new_hi = std::move(t);
        nhi = true;
      } else {
        l0 = lm;
        new_lo = std::move(t);
        nlo = true;
      }
    }
    if (!nlo) new_lo = shoot(p, tau_top, J - 1, a.data(), tau_floor);
    if (!nhi) new_hi = shoot(p, tau_top, J - 1, bst.data(), tau_floor);
    tr_lo = std::move(new_lo);
    tr_hi = std::move(new_hi);
  }
  sol.levels = level + 1;

  const int J = static_cast<int>(comp.tau.size());
  sol.bid.resize(J);
  sol.log_t.assign(G, std::vector<double>(J));
  sol.dlog_t.assign(G, std::vector<double>(J));
  for (int j = 0; j < J; ++j) {
    sol.bid[j] = rstar + std::exp(comp.tau[j]);
    for (int g = 0; g < G; ++g) {
      sol.log_t[g][j] = comp.s[static_cast<size_t>(j) * G + g];
      sol.dlog_t[g][j] = comp.ds[static_cast<size_t>(j) * G + g];
    }
  }
  for (int g = 0; g < G; ++g)
    for (int j = 1; j < J; ++j)
      MCREV_EXPECTS(sol.log_t[g][j] <= sol.log_t[g][j - 1] + 1e-12, path,
                    "the computed inverse bid function of bidder group " + std::to_string(g) +
                        " is not increasing near bid " + fmt(sol.bid[j]) + "; no monotone equilibrium was found");

  // Tabulate each group's bid as knots (v, b), linear in v between them: the trajectory's points, plus
  // `points` levels evenly spaced in t = F_g(v) and `points` evenly spaced in b, so both the bid scale
  // (where a weak group's top bid has a square-root tip) and the value scale are resolved.
  sol.mass = p.mass;
  sol.bottom_t = p.t0;
  sol.knots.resize(G);
  for (int g = 0; g < G; ++g) {
    const Distribution& d = dists[g];
    const std::vector<double>& s = sol.log_t[g];
    const std::vector<double>& ds = sol.dlog_t[g];
    const double mass = p.mass[g];
    ValueKnots& K = sol.knots[g];
    const double t0_true = std::min(1.0, std::max(0.0, d.cdf(rstar, arena)));
    K.entry = t0_true > 0.0 ? rstar : -HUGE_VAL;
    std::vector<std::pair<double, double>> pts;  // (v, b)
    pts.emplace_back(rstar, rstar);
    // Bid at which log(t/mass) = target (target in (s[J−1], 0)): Hermite inverse between checkpoints.
    auto bid_at = [&](double target) {
      int lo_j = 0, hi_j = J - 1;  // s[lo_j] >= target > s[hi_j]
      while (hi_j - lo_j > 1) {
        const int mid = (lo_j + hi_j) / 2;
        (s[mid] >= target ? lo_j : hi_j) = mid;
      }
      const double w = comp.tau[lo_j] - comp.tau[hi_j];  // u = 0 at point hi_j (lower τ), u = 1 at lo_j
      double u0 = 0.0, u1 = 1.0;
      for (int it = 0; it < 64; ++it) {
        const double um = 0.5 * (u0 + u1);
        (hermite(um, s[hi_j], s[lo_j], w * ds[hi_j], w * ds[lo_j]) < target ? u0 : u1) = um;
      }
      return rstar + std::exp(comp.tau[hi_j] + 0.5 * (u0 + u1) * w);
    };
    // Trajectory points, thinned where the integrator took many tiny steps (stiff stretches).
    const double min_db = 1e-4 / points * (sol.top_bid - rstar), min_ds = 1e-3 / points;
    double last_b = HUGE_VAL, last_s = HUGE_VAL;
    for (int j = 1; j < J; ++j) {
      if (!(s[j] < 0.0) || (last_b - sol.bid[j] < min_db && std::fabs(last_s - s[j]) < min_ds)) continue;
      pts.emplace_back(d.quantile(std::exp(s[j]) * mass, arena), sol.bid[j]);
      last_b = sol.bid[j];
      last_s = s[j];
    }
    const double s_last = s[J - 1];
    for (int k = 1; k + 1 < points; ++k) {
      const double t = t0_true + (1.0 - t0_true) * k / (points - 1);
      const double target = std::log(t / mass);
      if (target <= s_last || target >= 0.0) continue;
      pts.emplace_back(d.quantile(t, arena), bid_at(target));
    }
    // Knots evenly in log(1 − t) down to 1 − t = 1e-13 as well: with many bidders the winners' values
    // lie in the upper quantiles, which knots evenly in t leave coarse (e.g. a bound far in the tail).
    const double tail_lo = std::log1p(-t0_true), tail_hi = std::log(1e-13);
    for (int k = 1; k + 1 < points; ++k) {
      const double t = -std::expm1(tail_lo + (tail_hi - tail_lo) * k / (points - 1));
      const double target = std::log(t / mass);
      if (!(t > t0_true) || target <= s_last || target >= 0.0) continue;
      pts.emplace_back(d.quantile(t, arena), bid_at(target));
    }
    // The group's highest value bids b̄ if it bids at the top, else its own top bid (where it enters).
    const double top_bid_g = s[1] < 0.0 ? sol.top_bid : bid_at(-1e-15);
    pts.emplace_back(top[g], top_bid_g);
    // Knots evenly spaced in the bid as well: near a weak group's top, b̄_g − b ∝ √(top − v).
    for (int k = 1; k + 1 < points; ++k) {
      const double b = rstar + (top_bid_g - rstar) * k / (points - 1);
      if (b <= sol.bid[J - 1]) continue;
      pts.emplace_back(sol.inverse_bid(dists, arena, g, b), b);
    }
    std::sort(pts.begin(), pts.end());
    for (const auto& [v, b] : pts) {
      if (!K.value.empty() && !(v > K.value.back())) continue;
      K.value.push_back(v);
      K.bid.push_back(K.bid.empty() ? b : std::max(b, K.bid.back()));
    }
    // Measured error of the linear interpolation: the knots' interpolant against the trajectory's bid
    // at the midpoint of every knot interval (in value).
    double err = 0.0;
    for (size_t j = 0; j + 1 < K.value.size(); ++j) {
      const double vm = 0.5 * (K.value[j] + K.value[j + 1]);
      const double tm = d.cdf(vm, arena);
      const double target = std::log(tm / mass);
      if (!(tm > 0.0) || target <= s_last || target >= 0.0) continue;
      const double e = std::fabs(K(vm) - bid_at(target));
      err = std::isfinite(e) ? std::max(err, e) : HUGE_VAL;
    }
    K.max_error = err;
  }
  return sol;
}

void group_distributions(const ModelData& md, std::vector<Distribution>* dists, std::vector<int>* counts) {
  for (const Group& g : md.groups) {
    dists->push_back(g.dist);
    counts->push_back(g.count);
  }
}

std::vector<Strategy> asymmetric_first_price_strategies(ModelData& md, double reserve, const std::string& path,
                                                       std::vector<BidTableInfo>* info) {
  std::vector<Distribution> dists;
  std::vector<int> counts;
  group_distributions(md, &dists, &counts);
  const AsymmetricBneSolution sol = first_price_bne_asymmetric(dists, counts, md.arena.data(), reserve, path);
  std::vector<Strategy> out;
  for (const ValueKnots& k : sol.knots) {
    Strategy st;
    st.kind = StrategyKind::ValueTable;
    st.entry = k.entry;
    st.table = static_cast<int>(md.arena.size());
    st.table_n = static_cast<int>(k.value.size());
    md.arena.insert(md.arena.end(), k.value.begin(), k.value.end());
    md.arena.insert(md.arena.end(), k.bid.begin(), k.bid.end());
    out.push_back(st);
    if (info)
      info->push_back({"", sol.regime == "common lowest type" ? "asymmetric" : "asymmetric " + sol.regime, st.table_n,
                       k.max_error});
  }
  return out;
}

}  // namespace mcrev
