// First-price Bayes–Nash equilibrium for asymmetric bidder groups (host/asymmetric_bne.hpp), its use
// by `strategy = "bne"`, and bid functions read from a file (`strategy = "table"`).
#include "solvers/asymmetric_bne.hpp"
#include "solvers/bne.hpp"
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace mcrev {
namespace {

Distribution uniform(double lo, double hi) {
  Distribution d;
  d.kind = DistKind::Uniform;
  d.low = lo;
  d.high = hi;
  return d;
}
Distribution power(double k) {
  Distribution d;
  d.kind = DistKind::Power;
  d.p[0] = k;
  return d;
}
Distribution exponential(double rate) {
  Distribution d;
  d.kind = DistKind::Exponential;
  d.high = HUGE_VAL;
  d.p[0] = rate;
  return d;
}

// ---- two uniform bidders U[0, w1], U[0, w2], no reserve (Plum 1992; Krishna, Auction Theory §4.3) ----
// Inverse bids v_i(b) = 2b/(1 + k_i b²) with k_1 = 1/w1² − 1/w2² = −k_2; top bid b̄ = w1 w2/(w1 + w2).
// Derivation: the FOCs for one bidder each are d log v_1/db = 1/(v_2 − b), d log v_2/db = 1/(v_1 − b);
// with v_1 = 2b/(1 + k b²) both sides equal (1 − k b²)/(b (1 + k b²)); v_i(b̄) = w_i gives
// 1/w1 + 1/w2 = 1/b̄ and 1/w1 − 1/w2 = k b̄.
struct TwoUniforms {
  double w1, w2;
  double k() const { return 1 / (w1 * w1) - 1 / (w2 * w2); }
  double top() const { return w1 * w2 / (w1 + w2); }
  double inverse(int i, double b) const { return 2 * b / (1 + (i == 0 ? k() : -k()) * b * b); }
  double bid(int i, double v) const {  // smaller root of k_i v b² − 2b + v = 0, without cancellation
    const double ki = i == 0 ? k() : -k();
    return v / (1 + std::sqrt(1 - ki * v * v));
  }
};

TEST(AsymmetricBne, ClosedFormSatisfiesTheFirstOrderConditions) {
  // Check the formula itself (not the solver): finite differences of log F_j(v_j(b)) against 1/(v_i − b).
  const TwoUniforms cf{1.0, 2.0};
  for (double b : {0.05, 0.2, 0.4, 0.6}) {
    const double h = 1e-6;
    for (int i = 0; i < 2; ++i) {
      const int j = 1 - i;
      const double dlog = (std::log(cf.inverse(j, b + h)) - std::log(cf.inverse(j, b - h))) / (2 * h);
      EXPECT_NEAR((cf.inverse(i, b) - b) * dlog, 1.0, 1e-8) << "b=" << b << " i=" << i;
    }
  }
  EXPECT_NEAR(cf.inverse(0, cf.top()), 1.0, 1e-15);
  EXPECT_NEAR(cf.inverse(1, cf.top()), 2.0, 1e-15);
}

TEST(AsymmetricBne, MatchesClosedFormForTwoUniforms) {
  for (TwoUniforms cf : {TwoUniforms{1, 2}, TwoUniforms{1, 1.2}, TwoUniforms{2, 5}, TwoUniforms{3, 1}}) {
    SCOPED_TRACE(std::to_string(cf.w1) + "," + std::to_string(cf.w2));
    const std::vector<Distribution> ds{uniform(0, cf.w1), uniform(0, cf.w2)};
    const AsymmetricBneSolution sol = first_price_bne_asymmetric(ds, {1, 1}, nullptr, 0.0, "test");
    EXPECT_NEAR(sol.top_bid, cf.top(), 1e-12 * cf.top());
    // The integrated inverse bids along the trajectory.
    for (size_t j = 0; j < sol.bid.size(); j += 7)
      for (int i = 0; i < 2; ++i) {
        const double b = sol.bid[j], exact = cf.inverse(i, b);
        EXPECT_NEAR(sol.inverse_bid(ds, nullptr, i, b), exact, 1e-9 * exact) << "b=" << b;
      }
    // The tabulated bid functions (what the device interpolates): exact at the knots (to the ODE's
    // accuracy), linear between them, so off the knots the error is at most Δv² max|β''|/8 on the
    // knot interval [v_a, v_b] (Δv = v_b − v_a; β'' of the closed form by central differences).
    const double w[2] = {cf.w1, cf.w2};
    for (int i = 0; i < 2; ++i) {
      const ValueKnots& kn = sol.knots[i];
      for (size_t j = 1; j < kn.value.size(); j += 5)
        EXPECT_NEAR(kn.bid[j], cf.bid(i, kn.value[j]), 1e-10 * w[i]) << "knot v=" << kn.value[j];
      for (int k = 1; k < 1000; ++k) {
        const double v = w[i] * k / 1000.0;
        const size_t j = std::upper_bound(kn.value.begin(), kn.value.end(), v) - kn.value.begin();
        const double dv = kn.value[j] - kn.value[j - 1], h = 1e-3 * w[i];
        const double curvature = std::fabs(cf.bid(i, v + h) - 2 * cf.bid(i, v) + cf.bid(i, v - h)) / (h * h);
        EXPECT_NEAR(kn(v), cf.bid(i, v), 1.5 * dv * dv * curvature / 8 + 1e-10 * w[i]) << "v=" << v;
      }
    }
  }
}

// Identical groups: the asymmetric solver reproduces the symmetric equilibrium
//   β(v) = v − ∫_r^v (F(x)/F(v))^{n−1} dx       (THEORY.md, "First price, symmetric BNE")
// in closed form for F(x) = x^k on [0, 1] (uniform: k = 1): β(v) = v − (v^{m+1} − r^{m+1})/((m+1) v^m), m = k(n−1);
// by Simpson's rule (4000 intervals) for the exponential distribution.
double symmetric_bid(const Distribution& d, int n, double r, double v) {
  if (d.kind == DistKind::Exponential) {
    const int steps = 4000;
    const double fv = d.cdf(v, nullptr), h = (v - r) / steps;
    double s = 0;
    for (int k = 0; k <= steps; ++k)
      s += ((k == 0 || k == steps) ? 1 : (k % 2 ? 4 : 2)) * std::pow(d.cdf(r + k * h, nullptr) / fv, n - 1);
    return v - s * h / 3;
  }
  const double k = d.kind == DistKind::Power ? d.p[0] : 1.0, m = k * (n - 1);
  return v - (std::pow(v, m + 1) - std::pow(r, m + 1)) / ((m + 1) * std::pow(v, m));
}

TEST(AsymmetricBne, ReproducesTheSymmetricEquilibrium) {
  struct Case {
    Distribution d;
    std::vector<int> counts;
    double reserve;
  };
  for (const Case& c : {Case{uniform(0, 1), {1, 1}, 0.0}, Case{uniform(0, 1), {2, 3}, 0.0},
                        Case{uniform(0, 1), {2, 3}, 0.3}, Case{power(2.5), {4, 4}, 0.2},
                        Case{exponential(1.5), {1, 2}, 0.0}}) {
    int n = 0;
    for (int k : c.counts) n += k;
    SCOPED_TRACE("n=" + std::to_string(n) + " r=" + std::to_string(c.reserve));
    const std::vector<Distribution> ds(c.counts.size(), c.d);
    const AsymmetricBneSolution sol = first_price_bne_asymmetric(ds, c.counts, nullptr, c.reserve, "test");
    for (int k = 1; k < 1000; ++k) {
      const double v = c.d.quantile(k / 1000.0, nullptr);
      if (v < c.reserve) {
        EXPECT_EQ(sol.knots[0](v), -HUGE_VAL);
        continue;
      }
      if (v == c.reserve) continue;
      const double expected = symmetric_bid(c.d, n, std::max(c.reserve, 0.0), v);
      for (size_t g = 0; g < ds.size(); ++g) {
        // Linear between knots: error <= Δv² |β''|/8 on the knot interval (β'' by central differences).
        const ValueKnots& kn = sol.knots[g];
        const size_t j = std::upper_bound(kn.value.begin(), kn.value.end(), v) - kn.value.begin();
        const double dv = kn.value[j] - kn.value[j - 1], h = std::min(1e-3, 0.5 * (v - std::max(c.reserve, 0.0)));
        const double curvature = std::fabs(symmetric_bid(c.d, n, c.reserve, v + h) - 2 * expected +
                                           symmetric_bid(c.d, n, c.reserve, v - h)) / (h * h);
        EXPECT_NEAR(kn(v), expected, 1.5 * dv * dv * curvature / 8 + 1e-10) << "v=" << v;
      }
    }
  }
}

// φ_g along the trajectory satisfies the first-order conditions
//   (φ_g(b) − b) Σ_h (n_h − δ_gh) d log F_h(φ_h(b))/db = 1
// for every group bidding at b, with derivatives by central differences of the interpolated solution.
struct Mixed {
  std::vector<Distribution> ds{uniform(0, 1), power(2.0), exponential(2.0)};
  std::vector<int> counts{2, 1, 2};
};

TEST(AsymmetricBne, SolutionSatisfiesFirstOrderConditions) {
  const Mixed m;
  for (double reserve : {0.0, 0.2}) {
    SCOPED_TRACE(reserve);
    const AsymmetricBneSolution sol = first_price_bne_asymmetric(m.ds, m.counts, nullptr, reserve, "test");
    const int G = 3;
    std::vector<double> group_top(G);  // where each group starts bidding
    for (int g = 0; g < G; ++g) group_top[g] = sol.knots[g].bid.back();
    // The weak (bounded) groups' highest bids lie below b̄ here: with two strong bidders the exponential
    // group bids alone at the top (each group's top type just wants to enter at its own top bid).
    EXPECT_LT(group_top[0], sol.top_bid - 1e-3);
    EXPECT_NEAR(group_top[2], sol.top_bid, 1e-12);
    const double r = sol.lowest_type;
    int checked = 0;
    for (int k = 1; k < 100; ++k) {
      const double b = r + (sol.top_bid - r) * k / 100.0;
      // Richardson-extrapolated central differences (error O(h⁴)); relative step on the scale b − r.
      const double h = 2e-4 * (b - r);
      double y[3];
      bool near_kink = false;
      for (int g = 0; g < G; ++g) {
        near_kink = near_kink || std::fabs(b - group_top[g]) < 3 * h;
        auto logF = [&](double bb) { return std::log(m.ds[g].cdf(sol.inverse_bid(m.ds, nullptr, g, bb), nullptr)); };
        const double d1 = (logF(b + h) - logF(b - h)) / (2 * h), d2 = (logF(b + h / 2) - logF(b - h / 2)) / h;
        y[g] = (4 * d2 - d1) / 3;
      }
      if (near_kink) continue;
      for (int g = 0; g < G; ++g) {
        if (b >= group_top[g]) continue;  // not bidding here
        double sum = 0;
        for (int j = 0; j < G; ++j) sum += (m.counts[j] - (j == g)) * y[j];
        const double phi = sol.inverse_bid(m.ds, nullptr, g, b);
        EXPECT_NEAR((phi - b) * sum, 1.0, 1e-5) << "b=" << b << " group " << g;
        ++checked;
      }
      // A group still out of the bidding does not want in: its top type gains nothing by bidding b.
      for (int g = 0; g < G; ++g) {
        if (b < group_top[g]) continue;
        double sum = 0;
        for (int j = 0; j < G; ++j) sum += (m.counts[j] - (j == g)) * y[j];
        EXPECT_LE((m.ds[g].high - b) * sum, 1.0 + 1e-5) << "b=" << b << " group " << g;
      }
    }
    EXPECT_GT(checked, 150);
  }
}

/// P(β_h(V_h) <= b) for a ValueTable strategy: invert the knots (bids non-decreasing) and apply F_h.
double bid_cdf(const Strategy& st, const Distribution& d, const double* arena, double b) {
  const double* xs = arena + st.table;
  const double* ys = xs + st.table_n;
  const int n = st.table_n;
  if (b < ys[0]) return d.cdf(std::max(st.entry, d.low), arena);
  if (b >= ys[n - 1]) return 1.0;
  const int k = static_cast<int>(std::upper_bound(ys, ys + n, b) - ys);  // ys[k−1] <= b < ys[k]
  const double v = xs[k - 1] + (xs[k] - xs[k - 1]) * (b - ys[k - 1]) / (ys[k] - ys[k - 1]);
  return d.cdf(v, arena);
}

// Best-response check: for a grid of own values, the expected utility (v − b) Π_h P(β_h(V_h) <= b)^{n_h − δ}
// of the tabulated bid against every bid on a fine grid, computed exactly from the tabulated strategies
// the engine uses (no sampling noise). The deviation gain can only come from the tables' interpolation
// error, so it is bounded by 2·v·ε_W with ε_W = max_b |W_tables(b) − W_ODE(b)|.
TEST(AsymmetricBne, TabulatedStrategiesAdmitNoProfitableDeviation) {
  const Mixed m;
  Scenario sc = parse_scenario(
      "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"power\", k = 2.0 }\n"
      "[[bidders]]\ncount = 2\nvalue = { dist = \"exponential\", rate = 2.0 }\n"
      "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\nreserve = 0.1\n");
  const ModelData md = build_model(sc);
  const AsymmetricBneSolution sol = first_price_bne_asymmetric(m.ds, m.counts, nullptr, 0.1, "test");
  const int G = 3;
  for (int g = 0; g < G; ++g) ASSERT_EQ(md.strategies[g].kind, StrategyKind::ValueTable);
  const std::vector<double> grid = [&] {
    std::vector<double> b;
    for (int k = 0; k <= 6000; ++k) b.push_back(0.1 + (sol.top_bid - 0.1) * k / 6000.0);
    return b;
  }();
  for (int g = 0; g < G; ++g) {
    auto win_tables = [&](double b) {
      double w = 1;
      for (int h = 0; h < G; ++h) w *= std::pow(bid_cdf(md.strategies[h], md.groups[h].dist, md.arena.data(), b),
                                                md.groups[h].count - (h == g));
      return w;
    };
    auto win_ode = [&](double b) {
      double w = 1;
      for (int h = 0; h < G; ++h)
        w *= std::pow(m.ds[h].cdf(sol.inverse_bid(m.ds, nullptr, h, b), nullptr), m.counts[h] - (h == g));
      return w;
    };
    double eps_w = 0;
    for (double b : grid) eps_w = std::max(eps_w, std::fabs(win_tables(b) - win_ode(b)));
    EXPECT_LT(eps_w, 1e-5) << "group " << g;
    for (int k = 1; k < 60; ++k) {
      const double v = m.ds[g].quantile(k / 60.0, nullptr);
      if (v <= 0.1) continue;
      const double own = md.strategies[g].bid(v, md.groups[g].dist, md.arena.data());
      const double u_own = (v - own) * win_tables(own), u_ode = (v - own) * win_ode(own);
      double best = u_own, best_ode = u_ode;
      for (double b : grid) {
        if (b > v) break;
        best = std::max(best, (v - b) * win_tables(b));
        best_ode = std::max(best_ode, (v - b) * win_ode(b));
      }
      EXPECT_LE(best - u_own, 2 * v * eps_w + 1e-12) << "group " << g << " v=" << v;
      EXPECT_LE(best_ode - u_ode, 2 * v * eps_w + 1e-9) << "group " << g << " v=" << v;
    }
  }
}

// Expected revenue at the equilibrium: E[max bid] = b̄ − ∫_0^b̄ G_1(b) G_2(b) db with G_i(b) = v_i(b)/w_i.
TEST(AsymmetricBne, EstimatedRevenueMatchesQuadratureOfTheClosedForm) {
  const TwoUniforms cf{1, 2};
  const int n = 2000;  // Simpson on [0, b̄]
  double integral = 0;
  for (int k = 0; k <= n; ++k) {
    const double b = cf.top() * k / n;
    const double wk = (k == 0 || k == n) ? 1 : (k % 2 ? 4 : 2);
    integral += wk * (cf.inverse(0, b) / cf.w1) * (cf.inverse(1, b) / cf.w2);
  }
  integral *= cf.top() / n / 3;
  const double truth = cf.top() - integral;  // 0.4590050557…
  EXPECT_NEAR(truth, 0.45900505570283506, 1e-12);  // scipy.integrate.quad of the same integrand
  Scenario sc = parse_scenario(
      "samples = 400000\nseed = 3\n"
      "[[bidders]]\nname = \"weak\"\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nname = \"strong\"\nvalue = { dist = \"uniform\", low = 0, high = 2 }\n"
      "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n");
  RunOptions opt;
  opt.backend = Backend::Cpu;
  opt.threads = 2;
  const RunResult r = run(sc, opt);
  EXPECT_NEAR(r.mechanisms[0].revenue.mean, truth, 5 * r.mechanisms[0].revenue.stderr_);
  // The weak bidder bids more aggressively: it wins more often than under truthful second price (1/4).
  EXPECT_GT(r.mechanisms[0].bidders[0].win.mean, 0.3);
}

// Revenue with a reserve and three groups, against the trajectory: E[rev] = ∫_0^∞ P(max bid > b) db
// = r P(sale) + ∫_r^b̄ (1 − Π_h G_h(b)^{n_h}) db with G_h(b) = F_h(φ_h(b)).
TEST(AsymmetricBne, EstimatedRevenueWithReserveMatchesTheSolution) {
  const Mixed m;
  const double r = 0.2;
  const AsymmetricBneSolution sol = first_price_bne_asymmetric(m.ds, m.counts, nullptr, r, "test");
  auto none_above = [&](double b) {
    double w = 1;
    for (int h = 0; h < 3; ++h) w *= std::pow(m.ds[h].cdf(sol.inverse_bid(m.ds, nullptr, h, b), nullptr), m.counts[h]);
    return w;
  };
  const int n = 4000;
  double integral = 0;
  for (int k = 0; k <= n; ++k) {
    const double b = r + (sol.top_bid - r) * k / n;
    integral += ((k == 0 || k == n) ? 1 : (k % 2 ? 4 : 2)) * (1 - none_above(b));
  }
  integral *= (sol.top_bid - r) / n / 3;
  const double truth = r * (1 - none_above(r)) + integral;
  Scenario sc = parse_scenario(
      "samples = 300000\nseed = 4\n"
      "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"power\", k = 2.0 }\n"
      "[[bidders]]\ncount = 2\nvalue = { dist = \"exponential\", rate = 2.0 }\n"
      "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\nreserve = 0.2\n");
  RunOptions opt;
  opt.backend = Backend::Cpu;
  opt.threads = 2;
  const RunResult res = run(sc, opt);
  EXPECT_NEAR(res.mechanisms[0].revenue.mean, truth, 5 * res.mechanisms[0].revenue.stderr_);
}

void expect_scenario_error(const std::string& toml, const std::string& path, const std::string& words) {
  try {
    build_model(parse_scenario(toml));
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(AsymmetricBne, ScopeOfStrategyBne) {
  const std::string groups =
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 2 }\n";
  // second_price: truthful for any groups; first_price: the numerical equilibrium.
  const ModelData md = build_model(parse_scenario(groups + "[[mechanisms]]\nkind = \"second_price\"\nstrategy = \"bne\"\n"
                                                           "[[mechanisms]]\nkind = \"first_price\"\n"));
  EXPECT_EQ(md.strategies[0].kind, StrategyKind::Truthful);
  EXPECT_EQ(md.strategies[2].kind, StrategyKind::ValueTable);
  EXPECT_EQ(md.strategies[3].kind, StrategyKind::ValueTable);
  // all_pay: the numerical equilibrium (tests/asymmetric_all_pay_test.cpp) without a minimum bid only.
  expect_scenario_error(groups + "[[mechanisms]]\nkind = \"all_pay\"\nreserve = 0.1\n", "mechanisms[0].strategy",
                        "all-pay");
  // Different lowest values: solved since issue 15 (tests/asymmetric_supports_test.cpp); a reserve
  // between the strong bidder's lowest bid (0.25) and its lowest value (0.5) is refused.
  EXPECT_NO_THROW(build_model(parse_scenario(
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0.5, high = 2 }\n[[mechanisms]]\nkind = \"first_price\"\n")));
  expect_scenario_error(
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0.5, high = 2 }\n[[mechanisms]]\nkind = \"first_price\"\n"
      "reserve = 0.3\n",
      "mechanisms[0].strategy", "pool at the reserve");
  // With a reserve at or above both lower bounds the lowest type is common again.
  EXPECT_NO_THROW(build_model(parse_scenario(
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0.5, high = 2 }\n"
      "[[mechanisms]]\nkind = \"first_price\"\nreserve = 0.5\n")));
}

// ---- strategies from a file ----

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char* kTableGroups =
    "samples = 50000\n"
    "[[bidders]]\nname = \"weak\"\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
    "[[bidders]]\nname = \"strong\"\nvalue = { dist = \"uniform\", low = 0, high = 2 }\n";

Scenario table_scenario(const std::string& file_name, const std::string& extra = "") {
  return parse_scenario(std::string(kTableGroups) + "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"table\"\nfile = \"" +
                            file_name + "\"\n" + extra,
                        ::testing::TempDir());
}

TEST(StrategyTable, OneColumnInterpolatesLinearlyInValue) {
  write_file("mcrev_bids_one.csv", "# bids\nvalue,bid\n0.0,0.0\n1.0,0.4\n2.0,1.2\n");
  const ModelData md = build_model(table_scenario("mcrev_bids_one.csv"));
  const Model m = md.view();
  for (int g = 0; g < 2; ++g) {
    const Strategy& st = m.strategies[g];
    ASSERT_EQ(st.kind, StrategyKind::ValueTable);
    EXPECT_DOUBLE_EQ(st.bid(0.5, m.groups[g].dist, m.arena), 0.2);
    EXPECT_DOUBLE_EQ(st.bid(1.5, m.groups[g].dist, m.arena), 0.8);
    EXPECT_DOUBLE_EQ(st.bid(1.0, m.groups[g].dist, m.arena), 0.4);
    EXPECT_DOUBLE_EQ(st.bid(-1.0, m.groups[g].dist, m.arena), 0.0);  // constant beyond the ends
    EXPECT_DOUBLE_EQ(st.bid(3.0, m.groups[g].dist, m.arena), 1.2);
  }
}

TEST(StrategyTable, ColumnsPerGroupByName) {
  write_file("mcrev_bids_groups.csv", "value, strong, weak\n0,0,0\n2,1.5,1.0\n");
  const ModelData md = build_model(table_scenario("mcrev_bids_groups.csv"));
  const Model m = md.view();
  EXPECT_DOUBLE_EQ(m.strategies[0].bid(1.0, m.groups[0].dist, m.arena), 0.5);   // weak
  EXPECT_DOUBLE_EQ(m.strategies[1].bid(1.0, m.groups[1].dist, m.arena), 0.75);  // strong
}

TEST(StrategyTable, HalfBidsReproduceTheShadeStrategyExactly) {
  write_file("mcrev_bids_half.csv", "value,bid\n0,0\n1,0.5\n");
  // Every value of U[0, 1] lies in the table: bid = 0 + 0.5 · (v/1), the same double as 0.5 · v.
  const char* one_group =
      "samples = 30000\n[[bidders]]\ncount = 3\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n";
  RunOptions opt;
  opt.backend = Backend::Cpu;
  const RunResult a = run(parse_scenario(std::string(one_group) +
                                             "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"table\"\n"
                                             "file = \"mcrev_bids_half.csv\"\n",
                                         ::testing::TempDir()),
                          opt);
  const RunResult b = run(parse_scenario(std::string(one_group) +
                                         "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.5\n"),
                          opt);
  EXPECT_EQ(a.partial, b.partial);
}

TEST(StrategyTable, MalformedFilesNameTheKeyAndLine) {
  struct Bad {
    const char* text;
    const char* words;
  };
  for (const Bad& bad : {Bad{"bid,value\n0,0\n1,1\n", "header"}, Bad{"value,bid\n0,0\n1\n", "line 3: expected 2 fields"},
                         Bad{"value,bid\n0,0\n1,x\n", "line 3: 'x' is not a number"},
                         Bad{"value,bid\n1,0\n0.5,1\n", "strictly increasing"}, Bad{"value,bid\n0,0\n", "two rows"},
                         Bad{"value,weak,other\n0,0,0\n1,1,1\n", "'other' names no bidder group"},
                         Bad{"value,a,b,c\n0,0,0,0\n1,1,1,1\n", "3 bid columns"}, Bad{"", "empty"}}) {
    write_file("mcrev_bids_bad.csv", bad.text);
    try {
      table_scenario("mcrev_bids_bad.csv");
      ADD_FAILURE() << "no error for " << bad.text;
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.path(), "mechanisms[0].file") << e.what();
      EXPECT_NE(std::string(e.what()).find(bad.words), std::string::npos) << e.what();
    }
  }
  try {
    table_scenario("mcrev_no_such_file.csv");
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "mechanisms[0].file");
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
  try {
    parse_scenario(std::string(kTableGroups) + "[[mechanisms]]\nkind = \"first_price\"\nfile = \"x.csv\"\n");
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "mechanisms[0].file");
    EXPECT_NE(std::string(e.what()).find("strategy = \"table\" only"), std::string::npos);
  }
}

}  // namespace
}  // namespace mcrev
