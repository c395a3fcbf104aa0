#include "solvers/virtual_value.hpp"

#include "solvers/distribution_ext.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mcrev {

namespace {

/// Table segments holding less probability than this are not subdivided (near a pole of ψ, e.g.
/// ψ → −∞ at the lower end when f(lo) = 0, linear interpolation cannot converge uniformly).
constexpr double kMinSegmentMass = 1e-10;

struct Pt {
  double q, R, x;  // x = +inf: the origin (q = 0, R = 0) of an unbounded support
  int tag = 0;
};

double prev_double(double x) { return std::nextafter(x, -HUGE_VAL); }
double next_double(double x) { return std::nextafter(x, HUGE_VAL); }

/// Upper concave hull of points sorted by q ascending (R descending among equal q, deduplicated).
std::vector<int> upper_hull(const std::vector<Pt>& p) {
  std::vector<int> h;
  for (int i = 0; i < static_cast<int>(p.size()); ++i) {
    while (h.size() >= 2) {
      const Pt& o = p[h[h.size() - 2]];
      const Pt& a = p[h.back()];
      const double cross = (a.q - o.q) * (p[i].R - o.R) - (a.R - o.R) * (p[i].q - o.q);
      if (cross >= 0) h.pop_back(); else break;
    }
    h.push_back(i);
  }
  return h;
}

void sort_points(std::vector<Pt>& p) {
  std::sort(p.begin(), p.end(), [](const Pt& a, const Pt& b) {
    if (a.q != b.q) return a.q < b.q;
    if (a.R != b.R) return a.R > b.R;
    return a.x < b.x;
  });
  p.erase(std::unique(p.begin(), p.end(), [](const Pt& a, const Pt& b) { return a.q == b.q; }), p.end());
}

struct Edge {
  double xa, xb;  // ironed types [xa, xb); xb = +inf: up to the top of the support
  double s;       // hull slope = ψ̄ there
};

class Tabulator {
 public:
  Tabulator(const Distribution& d, const double* arena, const VirtualValueOptions& opt)
      : d_(d), arena_(arena), opt_(opt) {
    bps_ = breakpoints(d, arena);
    atoms_ = atoms(d, arena);
    bounded_ = std::isfinite(d.high);
    const double q01 = d.quantile(0.01, arena), q99 = d.quantile(0.99, arena), q50 = d.quantile(0.5, arena);
    scale_ = std::max(q99 - q01, std::fabs(q50));
    if (!(scale_ > 0) || !std::isfinite(scale_))  // e.g. one dominant atom at 0
      scale_ = std::isfinite(d.high - d.low) && d.high > d.low ? d.high - d.low : 1.0;
  }

  VirtualValueTable run() {
    build_points();
    find_ironing();
    build_nodes();
    VirtualValueTable t;
    t.mode = VirtualValueMode::Table;
    t.lo = d_.low;
    t.hi = d_.high;
    t.x = nx_;
    t.yl = nyl_;
    t.yr = nyr_;
    t.capped_top = bounded_;
    t.max_error = max_error_;
    const int n = static_cast<int>(nx_.size());
    const int buckets = std::max(64, std::min(1 << 14, n));
    t.x0 = nx_.front();
    const double span = nx_.back() - nx_.front();
    t.inv_h = span > 0 ? buckets / span : 0.0;
    t.guide.resize(buckets + 1);
    int j = 0;
    for (int g = 0; g <= buckets; ++g) {
      const double xs = g == buckets ? nx_.back() : t.x0 + g * (span / buckets);
      while (j + 1 < n - 1 && nx_[j + 1] <= xs) ++j;
      t.guide[g] = std::max(0, std::min(j, n - 2));
    }
    // level guide over [y_a, yr_{n−1}], y_a = ψ̄ at the 0.1% quantile (the far lower tail may reach −∞)
    const double x_a = d_.quantile(1e-3, arena_);
    const size_t j_a = static_cast<size_t>(std::lower_bound(nx_.begin(), nx_.end(), x_a) - nx_.begin());
    const double y_a = nyr_[std::min(j_a, nyr_.size() - 1)], y_b = nyr_.back();
    if (y_b > y_a && std::isfinite(y_a) && std::isfinite(y_b)) {
      const int ybuckets = buckets;
      t.y_a = y_a;
      t.inv_hy = ybuckets / (y_b - y_a);
      for (int k = 0; k <= ybuckets; ++k) {
        const double level = k == ybuckets ? y_b : y_a + k * ((y_b - y_a) / ybuckets);
        t.yguide.push_back(static_cast<double>(std::lower_bound(nyr_.begin(), nyr_.end(), level) - nyr_.begin()));
      }
    }
    for (const Edge& e : edges_) {
      IronedInterval iv;
      iv.low = e.xa;
      iv.level = e.s;
      if (!std::isfinite(e.xb)) {
        iv.high = d_.high;
      } else {
        // the largest type below x_B: x_B itself where the support reaches it continuously, else the
        // lower end of the gap (or the atom) just below it
        const double below = prev_double(e.xb);
        const bool continuous_below = d_.pdf(below, arena_) > 0 && !is_atom(below);
        iv.high = continuous_below ? e.xb : d_.quantile(std::max(1e-300, 1.0 - survival_left(d_, e.xb, arena_)), arena_);
      }
      t.ironed.push_back(iv);
    }
    return t;
  }

 private:
  Pt point(double x, int tag = 0) const {
    const double q = survival_left(d_, x, arena_);
    return Pt{q, x * q, x, tag};
  }

  bool is_atom(double x) const { return std::binary_search(atoms_.begin(), atoms_.end(), x); }

  void add_special_in(double a, double b, std::vector<double>& xs) const {
    for (const std::vector<double>* v : {&bps_, &atoms_}) {
      auto it = std::lower_bound(v->begin(), v->end(), a);
      for (; it != v->end() && *it <= b; ++it) {
        xs.push_back(*it);
        if (*it < d_.high) xs.push_back(next_double(*it));
      }
    }
  }

  void build_points() {
    std::vector<double> xs;
    const int M = opt_.grid;
    for (int k = 1; k < M; ++k) xs.push_back(d_.quantile(static_cast<double>(k) / M, arena_));
    for (double e = 4.0; e <= 12.01; e += 0.5) {
      const double t = std::pow(10.0, -e);
      xs.push_back(d_.quantile(t, arena_));
      xs.push_back(d_.quantile(1.0 - t, arena_));
    }
    xs.push_back(std::isfinite(d_.low) ? d_.low : d_.quantile(1e-13, arena_));
    if (bounded_) xs.push_back(d_.high);
    add_special_in(-HUGE_VAL, HUGE_VAL, xs);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    xs.erase(std::remove_if(xs.begin(), xs.end(), [&](double x) { return !std::isfinite(x) || x < d_.low || x > d_.high; }),
             xs.end());
    xs_ = xs;
    for (double x : xs) pts_.push_back(point(x));
    const Pt top = point(xs.back());
    if (!(top.q == 0.0)) pts_.push_back(Pt{0.0, 0.0, HUGE_VAL, 0});  // the origin R(0) = 0
    sort_points(pts_);
    double rmax = 0;
    for (const Pt& p : pts_) rmax = std::max(rmax, std::fabs(p.R));
    gap_tol_ = 1e-11 * std::max(rmax, 1e-300);
  }

  /// Zooms onto the bridge between the windows around vertex a (larger q) and vertex b.
  void refine(Pt& a, double a0, double a1, Pt& b, double b0, double b1) const {
    const bool b_fixed = !std::isfinite(b.x);
    for (int it = 0; it < 200; ++it) {
      std::vector<double> sa, sb;
      auto fill = [&](std::vector<double>& s, double w0, double w1, double at) {
        s.push_back(at);
        for (int k = 0; k <= 32; ++k) s.push_back(k == 32 ? w1 : w0 + (w1 - w0) * (k / 32.0));
        add_special_in(w0, w1, s);
        std::sort(s.begin(), s.end());
        s.erase(std::unique(s.begin(), s.end()), s.end());
        s.erase(std::remove_if(s.begin(), s.end(), [&](double x) { return x < w0 || x > w1 || x < d_.low || x > d_.high; }),
                s.end());
      };
      fill(sa, a0, a1, a.x);
      std::vector<Pt> p;
      for (double x : sa) p.push_back(point(x, 1));
      if (b_fixed) {
        p.push_back(Pt{0.0, 0.0, HUGE_VAL, 2});
      } else {
        fill(sb, b0, b1, b.x);
        for (double x : sb) p.push_back(point(x, 2));
      }
      sort_points(p);
      const std::vector<int> h = upper_hull(p);
      int found = -1;
      for (size_t i = 0; i + 1 < h.size(); ++i)
        if (p[h[i]].tag == 2 && p[h[i + 1]].tag == 1) found = static_cast<int>(i);
      if (found < 0) return;
      const Pt na = p[h[found + 1]], nb = p[h[found]];
      const bool same = na.x == a.x && (b_fixed || nb.x == b.x);
      a = na;
      b = nb;
      auto shrink = [](const std::vector<double>& s, double at, double& w0, double& w1) {
        const auto it = std::lower_bound(s.begin(), s.end(), at);
        const size_t i = static_cast<size_t>(it - s.begin());
        w0 = i > 0 ? s[i - 1] : at;
        w1 = i + 1 < s.size() ? s[i + 1] : at;
      };
      shrink(sa, a.x, a0, a1);
      if (!b_fixed) shrink(sb, b.x, b0, b1);
      const bool narrow_a = a1 - a0 <= 4.0 * (next_double(std::fabs(a.x)) - std::fabs(a.x)) || a1 <= next_double(a0);
      const bool narrow_b = b_fixed || b1 - b0 <= 4.0 * (next_double(std::fabs(b.x)) - std::fabs(b.x)) || b1 <= next_double(b0);
      if (narrow_a && narrow_b && same) return;
      if (a1 <= a0 && (b_fixed || b1 <= b0)) return;
    }
  }

  /// ψ(x) = x − S(x)/f(x⁺) without ironing (continuous points).
  double psi_raw(double x) const {
    const double S = survival(d_, x, arena_);
    const double f = d_.pdf(x < d_.high ? next_double(x) : x, arena_);
    return S > 0 ? x - S / f : x;
  }

  /// The hull locates a smooth tangency only to ~sqrt(ulp) (R̄ − R is quadratic there); ψ crosses the
  /// flat level s upwards at both ends of an ironed interval, so solve ψ(x) = s nearby by bisection.
  /// Ends at atoms, breakpoints (kinks of R) or without a sign change nearby are kept.
  double settle(double xe, double s) const {
    if (!std::isfinite(xe) || is_atom(xe)) return xe;
    // a hull vertex next to a kink of R (support end, component end, atom) is that kink: zooming can
    // drift by rounding there, e.g. to 1e-16 instead of a lower end 0
    const auto near = std::lower_bound(bps_.begin(), bps_.end(), xe - 1e-7 * scale_);
    if (near != bps_.end() && *near <= xe + 1e-7 * scale_) return *near;
    const double delta = 1e-6 * scale_;
    double lo = std::max(d_.low, xe - delta), hi = std::min(d_.high, xe + delta);
    const auto b = std::lower_bound(bps_.begin(), bps_.end(), lo);
    if (b != bps_.end() && *b <= hi) return xe;
    if (!(psi_raw(lo) < s && psi_raw(hi) > s)) return xe;
    for (int it = 0; it < 2200; ++it) {
      const double mid = lo + 0.5 * (hi - lo);
      if (!(mid > lo && mid < hi)) break;
      (psi_raw(mid) < s ? lo : hi) = mid;
    }
    return hi;
  }

  void find_ironing() {
    const std::vector<int> h = upper_hull(pts_);
    std::vector<Pt> extra;
    for (size_t i = 0; i + 1 < h.size(); ++i) {
      const int ib = h[i], ia = h[i + 1];  // ib: smaller q (higher x); ia: larger q (lower x)
      if (ia - ib < 2) continue;
      const Pt& B = pts_[ib];
      const Pt& A = pts_[ia];
      double gap = 0.0;
      for (int k = ib + 1; k < ia; ++k) {
        const double line = B.R + (A.R - B.R) * (pts_[k].q - B.q) / (A.q - B.q);
        gap = std::max(gap, line - pts_[k].R);
      }
      if (!(gap > gap_tol_)) continue;
      Pt a = A, b = B;
      const double a0 = ia + 1 < static_cast<int>(pts_.size()) ? pts_[ia + 1].x : A.x;
      const double a1 = pts_[ia - 1].x;
      const double b0 = pts_[ib + 1].x;
      const double b1 = ib > 0 && std::isfinite(pts_[ib - 1].x) ? pts_[ib - 1].x : B.x;
      refine(a, std::min(a0, A.x), std::max(a1, A.x), b, std::min(b0, B.x), std::max(b1, B.x));
      Edge e;
      const double s0 = (a.R - b.R) / (a.q - b.q);  // first-order insensitive to where the ends are
      e.xa = settle(a.x, s0);
      e.xb = settle(b.x, s0);
      const Pt pa = point(e.xa), pb = std::isfinite(e.xb) ? point(e.xb) : Pt{0.0, 0.0, HUGE_VAL, 0};
      e.s = (pa.R - pb.R) / (pa.q - pb.q);
      edges_.push_back(e);
      extra.push_back(a);
      if (std::isfinite(b.x)) extra.push_back(b);
    }
    std::sort(edges_.begin(), edges_.end(), [](const Edge& l, const Edge& r) { return l.xa < r.xa; });
    // R̄ for the atoms' slopes: the hull of every point, refined ends included.
    std::vector<Pt> all = pts_;
    all.insert(all.end(), extra.begin(), extra.end());
    sort_points(all);
    for (int i : upper_hull(all)) {
      hull_q_.push_back(all[i].q);
      hull_r_.push_back(all[i].R);
    }
  }

  double hull_value(double q) const {
    auto it = std::lower_bound(hull_q_.begin(), hull_q_.end(), q);
    if (it == hull_q_.end()) return hull_r_.back();
    const size_t i = static_cast<size_t>(it - hull_q_.begin());
    if (*it == q || i == 0) return hull_r_[i];
    const double w = (q - hull_q_[i - 1]) / (hull_q_[i] - hull_q_[i - 1]);
    return hull_r_[i - 1] + w * (hull_r_[i] - hull_r_[i - 1]);
  }

  /// ψ̄(x) for a report x in the support's range (right-continuous).
  double psibar(double x, int depth = 0) const {
    if (x < d_.low) return -HUGE_VAL;
    if (bounded_ && x > d_.high) x = d_.high;
    for (const Edge& e : edges_)
      if (x >= e.xa && x < e.xb) return e.s;
    const double S = survival(d_, x, arena_);
    if (is_atom(x)) {
      const double Sl = survival_left(d_, x, arena_);
      return (x * Sl - hull_value(S)) / (Sl - S);
    }
    if (!(S > 0)) return x;
    const double f = d_.pdf(x < d_.high ? next_double(x) : x, arena_);
    if (!(f > 0)) {
      // a gap of the support: the value at its lower end
      const double x1 = d_.quantile(std::min(1.0 - 1e-300, std::max(1e-300, d_.cdf(x, arena_))), arena_);
      if (x1 < x && depth < 4) return psibar(x1, depth + 1);
      return -HUGE_VAL;
    }
    return x - S / f;
  }

  void build_nodes() {
    std::vector<double> xs = xs_;
    for (const Edge& e : edges_) {
      xs.push_back(e.xa);
      if (std::isfinite(e.xb)) xs.push_back(e.xb);
    }
    for (double a : atoms_)
      if (a < d_.high) xs.push_back(next_double(a));
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    xs.erase(std::remove_if(xs.begin(), xs.end(), [&](double x) { return !std::isfinite(x) || x < d_.low || x > d_.high; }),
             xs.end());
    struct Node {
      double x, yl, yr;
    };
    auto make = [&](double x) {
      double yr = psibar(x);
      double yl = x > d_.low ? psibar(prev_double(x)) : yr;
      for (const Edge& e : edges_) {  // exact flats: rounding at their ends must not lift them
        if (x == e.xa) yl = std::min(yl, e.s);
        if (x == e.xb) yr = std::max(yr, e.s);
      }
      return Node{x, std::isfinite(yl) ? yl : yr, yr};
    };
    std::vector<Node> base;
    for (double x : xs) {
      Node n = make(x);
      if (std::isfinite(n.yr)) base.push_back(n);
      else if (!base.empty()) base.push_back(Node{x, base.back().yr, base.back().yr});  // should not happen
    }
    if (base.empty()) base.push_back(Node{d_.low, d_.low, d_.low});
    if (!std::isfinite(base.front().yl)) base.front().yl = base.front().yr;
    // adaptive refinement of every segment
    const double tol_abs = opt_.tolerance * scale_;
    const double min_width = 1e-13 * scale_;
    const size_t max_nodes = 1u << 18;
    std::vector<Node> out;
    out.push_back(base.front());
    for (size_t k = 1; k < base.size(); ++k) {
      std::vector<Node> stack{base[k]};
      while (!stack.empty()) {
        const Node& l = out.back();
        const Node r = stack.back();
        double err = 0.0;
        bool ok = true;
        const bool heavy = d_.cdf(r.x, arena_) - d_.cdf(l.x, arena_) >= kMinSegmentMass;
        if (r.x - l.x > min_width && heavy && out.size() + stack.size() < max_nodes) {
          for (double t : {0.25, 0.5, 0.75}) {
            const double xm = l.x + (r.x - l.x) * t;
            if (!(xm > l.x && xm < r.x)) continue;
            const double exact = psibar(xm);
            const double lin = l.yr + (r.yl - l.yr) * t;
            const double e = std::fabs(exact - lin);
            err = std::max(err, std::isfinite(e) ? e / (scale_ + std::fabs(exact)) : HUGE_VAL);
            if (!(e <= tol_abs + opt_.tolerance * std::fabs(exact))) ok = false;
          }
        }
        if (ok) {
          if (heavy) max_error_ = std::max(max_error_, std::isfinite(err) ? err : HUGE_VAL);
          out.push_back(r);
          stack.pop_back();
        } else {
          const double xm = l.x + 0.5 * (r.x - l.x);
          stack.push_back(make(xm));
        }
      }
    }
    // non-decreasing: running maximum over yr_0, yl_1, yr_1, ...
    double run = -HUGE_VAL;
    for (Node& n : out) {
      if (&n != &out.front()) n.yl = run = std::max(run, n.yl);
      n.yr = run = std::max(run, n.yr);
      if (&n == &out.front()) n.yl = n.yr;
    }
    // Drop nodes that lie on the chord of their neighbours to rounding (linear pieces of ψ̄, flats):
    // the function is unchanged and small tables stay in the L1 cache.
    std::vector<Node> kept{out.front()};
    for (size_t e = 1; e < out.size(); ++e) {
      const bool last = e + 1 == out.size();
      const double tiny = 1e-14 * (scale_ + std::fabs(out[e].yr));
      bool removable = !last && std::fabs(out[e].yl - out[e].yr) <= tiny;  // no jump (up to rounding)
      if (removable) {
        const Node& k = kept.back();
        const Node& r = out[e + 1];
        for (size_t i = e; removable && i > 0; --i) {  // every node between k and r must stay on the chord
          const Node& m = (i == e) ? out[e] : out[i];
          if (m.x <= k.x) break;
          const double chord = k.yr + (r.yl - k.yr) * ((m.x - k.x) / (r.x - k.x));
          removable = std::fabs(chord - m.yr) <= 1e-14 * (scale_ + std::fabs(m.yr));
        }
      }
      if (!removable) kept.push_back(out[e]);
    }
    for (const Node& n : kept) {
      nx_.push_back(n.x);
      nyl_.push_back(n.yl);
      nyr_.push_back(n.yr);
    }
  }

  const Distribution d_;
  const double* arena_;
  VirtualValueOptions opt_;
  std::vector<double> bps_, atoms_, xs_;
  bool bounded_;
  double scale_ = 1.0, gap_tol_ = 0.0, max_error_ = 0.0;
  std::vector<Pt> pts_;
  std::vector<Edge> edges_;
  std::vector<double> hull_q_, hull_r_;
  std::vector<double> nx_, nyl_, nyr_;
};

}  // namespace

std::array<double, kVirtualValueHeader> VirtualValueTable::place(std::vector<double>& arena) const {
  std::array<double, kVirtualValueHeader> h{};
  h[0] = static_cast<double>(static_cast<int>(mode));
  h[1] = lo;
  h[2] = hi;
  h[3] = param;
  if (mode == VirtualValueMode::Table) {
    h[4] = static_cast<double>(arena.size());
    h[5] = static_cast<double>(x.size());
    for (size_t j = 0; j < x.size(); ++j) {
      arena.push_back(x[j]);
      arena.push_back(yl[j]);
      arena.push_back(yr[j]);
      arena.push_back(j + 1 < x.size() ? (yl[j + 1] - yr[j]) / (x[j + 1] - x[j]) : 0.0);
    }
    h[6] = static_cast<double>(arena.size());
    h[7] = static_cast<double>(guide.size() - 1);
    arena.insert(arena.end(), guide.begin(), guide.end());
    h[8] = x0;
    h[9] = inv_h;
    h[10] = capped_top ? 1.0 : 0.0;
    h[11] = static_cast<double>(arena.size());
    h[12] = yguide.empty() ? 0.0 : static_cast<double>(yguide.size() - 1);
    h[13] = y_a;
    h[14] = inv_hy;
    arena.insert(arena.end(), yguide.begin(), yguide.end());
  }
  return h;
}

VirtualValueTable tabulate_virtual_value(const Distribution& d, const double* arena, const VirtualValueOptions& options) {
  if (!options.force_table) {
    VirtualValueTable t;
    t.lo = d.low;
    t.hi = d.high;
    if (d.kind == DistKind::Uniform) {
      t.mode = VirtualValueMode::Uniform;
      return t;
    }
    if (d.kind == DistKind::Exponential) {
      t.mode = VirtualValueMode::Exponential;
      t.param = 1.0 / d.p[0];
      return t;
    }
    if (d.kind == DistKind::Power && d.p[0] >= 1.0) {
      t.mode = VirtualValueMode::Power;
      t.param = d.p[0];
      return t;
    }
  }
  return Tabulator(d, arena, options).run();
}

VirtualValueFunction::VirtualValueFunction(VirtualValueTable table) : table_(std::move(table)) {
  const std::array<double, kVirtualValueHeader> h = table_.place(arena_);
  header_ = static_cast<int>(arena_.size());
  arena_.insert(arena_.end(), h.begin(), h.end());
}

}  // namespace mcrev
