// Host-side solutions of the two-sided and public-project mechanisms (solvers/two_sided.hpp;
// docs/two_sided.md).
#include "solvers/two_sided.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/rng.hpp"
#include "mcrev/mechanisms/two_sided.hpp"

#include <algorithm>
#include <cmath>

namespace mcrev {

namespace {

/// Welfare of every agent but i at the efficient outcome of values v (host; ties by agent order).
double others_welfare(const ModelData& md, const std::vector<double>& v, int i, std::vector<std::pair<double, int>>& bs,
                      std::vector<std::pair<double, int>>& ss) {
  const int n = md.n_bidders;
  if (md.market.kind == MarketKind::PublicProject) {
    const double share = md.market.cost / n;
    double w = 0.0, others = 0.0;
    for (int j = 0; j < n; ++j) {
      w += v[j] - share;
      if (j != i) others += v[j] - share;
    }
    return w >= 0.0 ? others : 0.0;
  }
  if (n == 2) {  // bilateral trade: one buyer, one seller
    const int buyer = md.groups[0].role == static_cast<int>(Role::Buyer) ? md.groups[0].first : md.groups[1].first;
    const int seller = 1 - buyer;
    if (!(v[buyer] >= v[seller])) return 0.0;
    return i == buyer ? -v[seller] : v[buyer];
  }
  bs.clear();
  ss.clear();
  for (const Group& g : md.groups)
    for (int j = g.first; j < g.first + g.count; ++j)
      (g.role == static_cast<int>(Role::Buyer) ? bs : ss).push_back({v[j], j});
  std::stable_sort(bs.begin(), bs.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::stable_sort(ss.begin(), ss.end(), [](auto& a, auto& b) { return a.first < b.first; });
  double total = 0.0;
  for (size_t k = 0; k < bs.size() && k < ss.size() && bs[k].first >= ss[k].first; ++k) {
    if (bs[k].second != i) total += bs[k].first;
    if (ss[k].second != i) total -= ss[k].first;
  }
  return total;
}

double grid_quantile(const Distribution& d, const double* arena, double u) {
  if (u >= 1.0 && !std::isfinite(d.high)) u = 1.0 - 1e-9;
  if (u <= 0.0 && !std::isfinite(d.low)) u = 1e-9;
  return d.quantile(u, arena);
}

}  // namespace

int place_dagva(ModelData& md, SolvedValues& solved) {
  const int n = md.n_bidders, K = kDagvaNodes, G = static_cast<int>(md.groups.size());
  const double* arena = md.arena.data();
  const bool quadrature = n == 2;
  const bool project = md.market.kind == MarketKind::PublicProject;  // O(n) per draw: afford more
  const int R = quadrature ? (1 << 15) : std::max(1024, (project ? (1 << 16) : (1 << 13)) * 8 / std::max(8, n));
  std::vector<std::vector<double>> tables(G);
  double interp_error = 0.0, max_se = 0.0;
  std::vector<std::pair<double, int>> bs, ss;
  std::vector<double> v(n);
  // Draws of the others: R rows of n uniforms (the own entry unused), shared by every node.
  std::vector<double> u(static_cast<size_t>(R) * n);
  for (int r = 0; r < R; ++r) {
    Stream s(md.seed, static_cast<std::uint64_t>(r), 2000u);
    for (int j = 0; j < n; ++j) u[static_cast<size_t>(r) * n + j] = quadrature ? (r + 0.5) / R : s.uniform();
  }
  for (int g = 0; g < G; ++g) {
    const int i = md.groups[g].first;
    // Others' values for every draw (own slot overwritten per node).
    std::vector<double> others(static_cast<size_t>(R) * n);
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < n; ++j)
        if (j != i) others[static_cast<size_t>(r) * n + j] = md.groups[md.view().group_of(j)].dist.quantile(u[static_cast<size_t>(r) * n + j], arena);
    auto xi_at = [&](double x, double* se) {
      double sum = 0.0, sum2 = 0.0;
      for (int r = 0; r < R; ++r) {
        std::copy(others.begin() + static_cast<long>(r) * n, others.begin() + static_cast<long>(r + 1) * n, v.begin());
        v[i] = x;
        const double w = others_welfare(md, v, i, bs, ss);
        sum += w;
        sum2 += w * w;
      }
      const double mean = sum / R;
      if (se) *se = quadrature ? 0.0 : std::sqrt(std::max(0.0, sum2 / R - mean * mean) / (R - 1));
      return mean;
    };
    const Distribution& d = md.groups[g].dist;
    std::vector<double>& tab = tables[g];
    for (int k = 0; k <= K; ++k) {
      double se = 0.0;
      tab.push_back(xi_at(grid_quantile(d, arena, static_cast<double>(k) / K), &se));
      max_se = std::max(max_se, se);
    }
    for (int k = 0; k < K; ++k) {
      const double mid = xi_at(grid_quantile(d, arena, (k + 0.5) / K), nullptr);
      interp_error = std::max(interp_error, std::fabs(mid - 0.5 * (tab[k] + tab[k + 1])));
    }
  }
  const int at = static_cast<int>(md.arena.size());
  md.arena.push_back(K);
  for (const auto& t : tables) md.arena.insert(md.arena.end(), t.begin(), t.end());
  solved = {{"table_nodes", K + 1.0}, {"table_interp_error", interp_error}, {"table_stderr", max_se},
            {"table_draws", static_cast<double>(R)}};
  return at;
}

namespace {

struct Side {
  Distribution d;
  const double* arena;
  double q(double u) const { return grid_quantile(d, arena, std::min(1.0, std::max(0.0, u))); }
  double F(double x) const { return d.cdf(x, arena); }
  double f(double x) const { return d.pdf(x, arena); }
};

}  // namespace

int place_second_best(ModelData& md, SolvedValues& solved, const std::string& path) {
  MCREV_EXPECTS(md.groups.size() == 2 && md.n_bidders == 2 && md.groups[0].role != md.groups[1].role, path,
                "second_best is the bilateral-trade mechanism: one buyer group and one seller group of count 1");
  const int gb = md.groups[0].role == static_cast<int>(Role::Buyer) ? 0 : 1;
  const double* arena = md.arena.data();
  const Side B{md.groups[gb].dist, arena}, S{md.groups[1 - gb].dist, arena};
  for (const Side* s : {&B, &S})
    MCREV_EXPECTS(s->d.kind != DistKind::Discrete && s->d.kind != DistKind::Empirical && s->d.kind != DistKind::Mixture,
                  path, "second_best needs distributions with a density (not discrete, empirical or mixture)");
  auto psi = [&](double v, double a) { return v - a * (1.0 - B.F(v)) / B.f(v); };
  auto phi = [&](double c, double a) { return c + a * S.F(c) / S.f(c); };
  // Regularity on a grid (ψ, φ nondecreasing).
  {
    double pp = -HUGE_VAL, pf = -HUGE_VAL;
    for (int k = 1; k < 1000; ++k) {
      const double x = psi(B.q(k / 1000.0), 1.0), y = phi(S.q(k / 1000.0), 1.0);
      MCREV_EXPECTS(x >= pp - 1e-9 * (1 + std::fabs(x)), path,
                    "the buyer's virtual value v − (1 − F)/f decreases near v = " + std::to_string(B.q(k / 1000.0)) +
                        ": second_best needs regular distributions");
      MCREV_EXPECTS(y >= pf - 1e-9 * (1 + std::fabs(y)), path,
                    "the seller's virtual cost c + G/g decreases near c = " + std::to_string(S.q(k / 1000.0)) +
                        ": second_best needs regular distributions");
      pp = std::max(pp, x);
      pf = std::max(pf, y);
    }
  }
  // Largest seller quantile w with φ_a(Q_S(w)) <= target (0 if none).
  auto seller_cut = [&](double target, double a) {
    if (phi(S.q(0.0), a) > target) return 0.0;
    if (phi(S.q(1.0), a) <= target) return 1.0;
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (lo + hi);
      (phi(S.q(mid), a) <= target ? lo : hi) = mid;
    }
    return lo;
  };
  // Smallest buyer quantile u with ψ_a(Q_B(u)) >= target (1 if none).
  auto buyer_cut = [&](double target, double a) {
    if (psi(B.q(0.0), a) >= target) return 0.0;
    if (psi(B.q(1.0), a) < target) return 1.0;
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (lo + hi);
      (psi(B.q(mid), a) >= target ? hi : lo) = mid;
    }
    return hi;
  };
  const int M = 2048;
  auto H = [&](double a) {
    double total = 0.0;
    for (int m = 0; m < M; ++m) {
      const double v = B.q((m + 0.5) / M);
      const double w = seller_cut(psi(v, a), a);
      if (w > 0.0) total += w * (psi(v, 1.0) - S.q(w));
    }
    return total / M;
  };
  double lo = 0.0, hi = 1.0;
  if (H(0.0) >= 0.0) {
    hi = 0.0;
  } else {
    for (int it = 0; it < 50; ++it) {
      const double mid = 0.5 * (lo + hi);
      (H(mid) >= 0.0 ? hi : lo) = mid;
    }
  }
  const double a = hi;
  const int K = 1024;
  std::vector<double> vb(K + 1), xb(K + 1), pb(K + 1), cs(K + 1), xs(K + 1), rs(K + 1);
  for (int k = 0; k <= K; ++k) {
    vb[k] = B.q(static_cast<double>(k) / K);
    xb[k] = seller_cut(psi(vb[k], a), a);
    cs[k] = S.q(static_cast<double>(k) / K);
    xs[k] = 1.0 - buyer_cut(phi(cs[k], a), a);
  }
  double integral = 0.0;
  for (int k = 0; k <= K; ++k) {
    if (k > 0) integral += 0.5 * (xb[k] + xb[k - 1]) * (vb[k] - vb[k - 1]);
    pb[k] = vb[k] * xb[k] - integral;
  }
  integral = 0.0;
  for (int k = K; k >= 0; --k) {
    if (k < K) integral += 0.5 * (xs[k] + xs[k + 1]) * (cs[k + 1] - cs[k]);
    rs[k] = cs[k] * xs[k] + integral;
  }
  double epb = 0.0, ers = 0.0;
  for (int k = 0; k < K; ++k) {
    epb += 0.5 * (pb[k] + pb[k + 1]) / K;
    ers += 0.5 * (rs[k] + rs[k + 1]) / K;
  }
  const int at = static_cast<int>(md.arena.size());
  md.arena.push_back(a);
  md.arena.push_back(K);
  md.arena.push_back(ers);
  md.arena.insert(md.arena.end(), pb.begin(), pb.end());
  md.arena.insert(md.arena.end(), rs.begin(), rs.end());
  solved = {{"a", a}, {"virtual_surplus_residual", epb - ers}, {"table_nodes", K + 1.0}};
  return at;
}

std::vector<Strategy> chatterjee_samuelson(ModelData& md, double k, SolvedValues& solved, const std::string& path) {
  MCREV_EXPECTS(md.groups.size() == 2 && md.n_bidders == 2 && md.groups[0].role != md.groups[1].role, path,
                "strategy = \"bne\" (the Chatterjee–Samuelson linear equilibrium) is implemented for one buyer and "
                "one seller only; use truthful, shade or table");
  const int gb = md.groups[0].role == static_cast<int>(Role::Buyer) ? 0 : 1;
  const Distribution& B = md.groups[gb].dist;
  const Distribution& S = md.groups[1 - gb].dist;
  MCREV_EXPECTS(B.kind == DistKind::Uniform && S.kind == DistKind::Uniform, path,
                "strategy = \"bne\" for k_double_auction is implemented for uniform values and costs only (the "
                "Chatterjee–Samuelson linear equilibrium); use truthful, shade or table");
  const double v0 = B.low, v1 = B.high, c0 = S.low, c1 = S.high;
  const double s_lo = ((1 - k) * v1 + (1 + k) * c0) / 2, b_hi = ((2 - k) * v1 + k * c0) / 2;
  const double bb = 1 / (1 + k), ab = k * s_lo / (1 + k);          // b(v) = ab + bb·v
  const double bs = 1 / (2 - k), as = (1 - k) * b_hi / (2 - k);    // s(c) = as + bs·c
  const double s_hi = as + bs * c1, b_lo = ab + bb * v0;
  MCREV_EXPECTS(b_hi <= s_hi + 1e-12 && s_lo >= b_lo - 1e-12, path,
                "the linear strategies are not an equilibrium for these supports (they need the highest bid <= the "
                "highest ask and the lowest ask >= the lowest bid); no equilibrium is implemented here");
  std::vector<Strategy> out(2);
  auto place = [&](int g, double lo, double hi, double a, double slope) {
    Strategy st;
    st.kind = StrategyKind::ValueTable;
    st.table = static_cast<int>(md.arena.size());
    st.table_n = 2;
    md.arena.insert(md.arena.end(), {lo, hi, a + slope * lo, a + slope * hi});
    out[g] = st;
  };
  place(gb, v0, v1, ab, bb);
  place(1 - gb, c0, c1, as, bs);
  solved = {{"buyer_intercept", ab}, {"buyer_slope", bb}, {"seller_intercept", as}, {"seller_slope", bs}};
  return out;
}

}  // namespace mcrev
