// Myerson's optimal auction (mcrev/myerson.hpp): hand-computed profiles (the IIT lecture's Examples 1
// and 3, a discrete ironed example), equivalence with second price at the monopoly reserve, expected
// revenue against E[max(0, max_i ψ̄_i(V_i))] by quadrature, dominant-strategy IC and ex-post IR on
// random profiles, the optimal reserve keys and the output.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/pipeline/evaluate.hpp"

#include "solvers/myerson.hpp"
#include "output/output.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mcrev {
namespace {

/// A scenario, its model and the Model view (not copyable: the view points into md).
struct Built {
  Scenario sc;
  ModelData md;
  Model m;
  explicit Built(const std::string& toml) : sc(parse_scenario(toml)), md(build_model(sc)), m(md.view()) {}
  Built(const Built&) = delete;
  Outcome outcome(int mech, std::vector<double> b, std::uint64_t profile = 0) const {
    b.resize(m.scratch_doubles());  // reports first, then the pipeline's scratch (sparse outcomes: unused)
    return allocate(m, mech, profile, b.data());
  }
};

const char* kTwoUniforms = R"(
[[bidders]]
name = "one"
value = { dist = "uniform", low = 0.0, high = %g }
[[bidders]]
name = "two"
value = { dist = "uniform", low = 0.0, high = %g }
[[mechanisms]]
kind = "myerson"
[[mechanisms]]
kind = "myerson"
virtual_values = "table"
)";

std::string two_uniforms(double h1, double h2) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, kTwoUniforms, h1, h2);
  return buf;
}

// IIT lecture, Example 1: T1 = [0,12], T2 = [0,18], uniform; w1 = 2t1 − 12, w2 = 2t2 − 18.
TEST(Myerson, IitExample1) {
  const Built b(two_uniforms(12, 18));
  struct Case {
    double t1, t2;
    int winner;
    double pay;
  };
  const Case cases[] = {{4, 8, -1, 0}, {2, 12, 1, 9}, {6, 6, 0, 6}, {9, 9, 0, 6}, {8, 15, 1, 11}};
  for (const Case& c : cases) {
    const Outcome o = b.outcome(0, {c.t1, c.t2});
    EXPECT_EQ(o.winner, c.winner) << c.t1 << "," << c.t2;
    if (c.winner >= 0) { EXPECT_EQ(o.price, c.pay) << c.t1 << "," << c.t2; }  // closed forms: exact
    if (c.t1 == 6 && c.t2 == 6) continue;  // ψ1 = 0 = v0 exactly: a tabulated ψ may fall 1 ulp either side
    const Outcome t = b.outcome(1, {c.t1, c.t2});  // tabulated ψ
    EXPECT_EQ(t.winner, c.winner);
    if (c.winner >= 0) { EXPECT_NEAR(t.price, c.pay, 1e-9); }
  }
}

// IIT lecture, Example 3: T1 = [0,10], T2 = [0,6], uniform; w1 = 2t1 − 10, w2 = 2t2 − 6, reserves 5 and 3.
//   (4, 2):   w = (−2, −2)          unsold
//   (7, 4):   w = (4, 2)  → 1,     pays inf{t1: 2t1 − 10 >= 2} = 6
//   (6, 5):   w = (2, 4)  → 2,     pays inf{t2: 2t2 − 6 >= 2} = 4   (sold to the lower value: inefficient)
//   (5.5, 2): w = (1, −2) → 1,     pays the reserve 5
//   (3, 3.5): w = (−4, 1) → 2,     pays the reserve 3
//   (10, 6):  w = (10, 6) → 1,     pays inf{t1: 2t1 − 10 >= 6} = 8
//   (6, 4):   w = (2, 2)  → tie, random; the winner pays its own threshold = its value (6 or 4)
TEST(Myerson, IitExample3) {
  const Built b(two_uniforms(10, 6));
  struct Case {
    double t1, t2;
    int winner;
    double pay;
  };
  const Case cases[] = {{4, 2, -1, 0}, {7, 4, 0, 6}, {6, 5, 1, 4}, {5.5, 2, 0, 5}, {3, 3.5, 1, 3}, {10, 6, 0, 8}};
  for (const Case& c : cases) {
    for (int mech : {0, 1}) {
      const Outcome o = b.outcome(mech, {c.t1, c.t2});
      EXPECT_EQ(o.winner, c.winner) << c.t1 << "," << c.t2;
      if (c.winner >= 0) { EXPECT_NEAR(o.price, c.pay, mech == 0 ? 0.0 : 1e-9) << c.t1 << "," << c.t2; }
    }
  }
  int wins1 = 0;
  const int N = 4000;
  for (int p = 0; p < N; ++p) {
    const Outcome o = b.outcome(0, {6, 4}, p);
    ASSERT_GE(o.winner, 0);
    EXPECT_EQ(o.price, o.winner == 0 ? 6.0 : 4.0);
    wins1 += o.winner == 0;
  }
  EXPECT_NEAR(wins1 / static_cast<double>(N), 0.5, 5 * std::sqrt(0.25 / N));
}

// Symmetric regular bidders: Myerson = second price with reserve ψ^{-1}(0), profile by profile.
TEST(Myerson, SymmetricRegularEqualsSecondPriceAtMonopolyReserve) {
  const char* values[] = {
      R"({ dist = "uniform", low = 0.0, high = 1.0 })",
      R"({ dist = "exponential", rate = 2.0 })",
      R"({ dist = "power", low = 1.0, high = 3.0, k = 2.5 })",
      R"({ dist = "normal", mean = 1.0, sd = 0.4, low = 0.0, high = 2.5 })",  // tabulated ψ
      R"({ dist = "empirical", points = [[0.0, 0.0], [1.0, 0.2], [2.0, 0.5], [3.0, 1.0]] })",  // increasing density: MHR
  };
  for (const char* value : values) {
    const Built b(std::string("[[bidders]]\ncount = 4\nvalue = ") + value + R"(
[[mechanisms]]
kind = "second_price"
reserve = "optimal"
[[mechanisms]]
kind = "myerson"
[[mechanisms]]
kind = "myerson"
virtual_values = "table"
)");
    const double r = b.md.mechanisms[0].reserve;
    ASSERT_TRUE(std::isfinite(r));
    double v[4];
    std::vector<double> scratch(b.m.scratch_doubles());
    double* bids = scratch.data();
    int sold = 0;
    for (std::uint64_t p = 0; p < 20000; ++p) {
      draw_values(b.m, p, v);
      for (int mech : {1, 2}) {
        const Outcome sp = run_mechanism(b.m, 0, p, v, bids);
        const Outcome my = run_mechanism(b.m, mech, p, v, bids);
        ASSERT_EQ(my.winner, sp.winner) << value << " profile " << p;
        if (sp.winner >= 0) { EXPECT_NEAR(my.price, sp.price, 1e-7 * (1 + std::fabs(sp.price))) << value << " " << p; }
        sold += sp.winner >= 0;
      }
    }
    EXPECT_GT(sold, 0);
  }
}

// ---- quadrature (independent of the implementation) ----

double gauss_legendre(const std::function<double(double)>& f, double a, double b) {
  static const double x[5] = {0.1488743389816312, 0.4333953941292472, 0.6794095682990244, 0.8650633666889845,
                              0.9739065285171717};
  static const double w[5] = {0.2955242247147529, 0.2692667193099963, 0.2190863625159820, 0.1494513491505806,
                              0.0666713443086881};
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  double s = 0;
  for (int i = 0; i < 5; ++i) s += w[i] * (f(c - h * x[i]) + f(c + h * x[i]));
  return s * h;
}

/// ∫ f over [a, b], split at the given breakpoints, 400 panels per piece.
double integrate(const std::function<double(double)>& f, double a, double b, std::vector<double> breaks = {}) {
  breaks.push_back(a);
  breaks.push_back(b);
  std::sort(breaks.begin(), breaks.end());
  double s = 0;
  for (size_t k = 0; k + 1 < breaks.size(); ++k) {
    const double lo = std::max(a, breaks[k]), hi = std::min(b, breaks[k + 1]);
    if (!(hi > lo)) continue;
    for (int j = 0; j < 400; ++j) s += gauss_legendre(f, lo + (hi - lo) * j / 400, lo + (hi - lo) * (j + 1) / 400);
  }
  return s;
}

/// E[max(v0, max_i ψ̄_i(V_i))] − v0 = ∫_{v0}^∞ (1 − Π_i G_i(y)) dy, with G_i(y) = P(ψ̄_i(V_i) <= y).
RunResult run_cpu(const Scenario& sc) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = 2;
  return run(sc, o);
}

void expect_within(const Estimate& e, double truth, const char* what) {
  std::printf("  %-40s estimate %.6f ± %.6f, exact %.6f (%.2f SE)\n", what, e.mean, e.stderr_, truth,
              (e.mean - truth) / e.stderr_);
  EXPECT_LT(std::fabs(e.mean - truth), 5 * e.stderr_) << what << ": " << e.mean << " vs " << truth;
}

// Two U[0,1] bidders and one U[0,2]: ψ = 2v − 1 and 2v − 2; G_1(y) = (y + 1)/2, G_2(y) = (y + 2)/4.
TEST(MyersonRevenue, AsymmetricUniformsMatchQuadrature) {
  const Scenario sc = parse_scenario(R"(
samples = 1000000
seed = 11
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
value = { dist = "uniform", low = 0.0, high = 2.0 }
[[mechanisms]]
kind = "myerson"
)");
  auto G1 = [](double y) { return std::min(1.0, std::max(0.0, (y + 1) / 2)); };
  auto G2 = [](double y) { return std::min(1.0, std::max(0.0, (y + 2) / 4)); };
  const double exact = integrate([&](double y) { return 1 - G1(y) * G1(y) * G2(y); }, 0, 2, {1});
  expect_within(run_cpu(sc).mechanisms[0].revenue, exact, "asymmetric uniforms, revenue");
}

// Exponentials with rates 1 (two bidders) and 2.5 (one): ψ_i = v − 1/λ_i, G_i(y) = 1 − e^{−λ_i y − 1}.
// Revenue (v0 = 0) and, with v0 = 0.3, the seller's utility E[max(v0, max ψ_i)].
TEST(MyersonRevenue, ExponentialsMatchQuadrature) {
  const std::string groups = R"(
samples = 1000000
seed = 5
[[bidders]]
count = 2
value = { dist = "exponential", rate = 1.0 }
[[bidders]]
value = { dist = "exponential", rate = 2.5 }
)";
  const Scenario sc = parse_scenario(groups + R"(
[[mechanisms]]
kind = "myerson"
[[mechanisms]]
kind = "myerson"
seller_value = 0.3
[[mechanisms]]
kind = "myerson"
virtual_values = "table"
)");
  auto G = [](double y, double rate) { return y >= -1 / rate ? 1 - std::exp(-rate * y - 1) : 0.0; };
  auto tail = [&](double y) { return 1 - G(y, 1.0) * G(y, 1.0) * G(y, 2.5); };
  const double revenue = integrate(tail, 0, 60);
  const double v0 = 0.3, utility = v0 + integrate(tail, v0, 60);
  const RunResult r = run_cpu(sc);
  expect_within(r.mechanisms[0].revenue, revenue, "exponentials, revenue");
  expect_within(r.mechanisms[1].seller_utility, utility, "exponentials v0 = 0.3, seller utility");
  expect_within(r.mechanisms[2].revenue, revenue, "exponentials, tabulated psi, revenue");
}

// The irregular mixture 0.75 U[0,1] + 0.25 U[1,2] (ψ̄ derived in virtual_value_test.cpp), 3 bidders:
//   Myerson: ∫_0^2 (1 − G(y)³) dy, G(y) = F((y + 4/3)/2) for y < s = 1 − 1/√3, F((y + 2)/2) above;
//   second price with reserve r: r (1 − F(r)³) + ∫_r^2 (1 − F³ − 3F²(1 − F)) dy, maximized over r
//   (golden section): the best anonymous reserve is 2/3. Ironing beats it: checked on the same profiles.
TEST(MyersonRevenue, IroningBeatsTheBestAnonymousReserve) {
  auto F = [](double v) { return v <= 0 ? 0.0 : v < 1 ? 0.75 * v : v < 2 ? 0.75 + 0.25 * (v - 1) : 1.0; };
  const double s = 1 - 1 / std::sqrt(3.0);
  auto G = [&](double y) { return y < s ? F((y + 4.0 / 3) / 2) : F((y + 2) / 2); };
  const double myerson = integrate([&](double y) { return 1 - std::pow(G(y), 3); }, 0, 2, {s});
  auto sp = [&](double r) {
    return r * (1 - std::pow(F(r), 3)) +
           integrate([&](double y) { const double f = F(y); return 1 - f * f * f - 3 * f * f * (1 - f); }, r, 2, {1});
  };
  double a = 0.3, b = 1.2;  // golden section for the best anonymous reserve
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 80; ++it) {
    const double c = b - g * (b - a), d = a + g * (b - a);
    (sp(c) > sp(d) ? b : a) = (sp(c) > sp(d) ? d : c);
  }
  const double r_best = 0.5 * (a + b), sp_best = sp(r_best);
  EXPECT_NEAR(r_best, 2.0 / 3, 1e-6);
  std::printf("  quadrature: Myerson (ironed) %.7f, best second price (reserve %.6f) %.7f, gain %.7f\n", myerson,
              r_best, sp_best, myerson - sp_best);
  const Scenario sc = parse_scenario(R"(
samples = 2000000
seed = 3
[[bidders]]
count = 3
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "second_price"
reserve = "optimal"
[[mechanisms]]
kind = "myerson"
)");
  const RunResult r = run_cpu(sc);
  expect_within(r.mechanisms[0].revenue, sp_best, "second price at reserve 2/3");
  expect_within(r.mechanisms[1].revenue, myerson, "myerson with ironing");
  expect_within(r.mechanisms[1].revenue_diff, myerson - sp_best, "myerson - second price (same profiles)");
  EXPECT_GT(r.mechanisms[1].revenue_diff.mean, 5 * r.mechanisms[1].revenue_diff.stderr_);
}

// Atoms inside a continuous part, 3 bidders: 0.5 discrete{1: 0.5, 3: 0.5} + 0.5 U[0, 4] (ψ̄ derived in
// virtual_value_test.cpp: only atom 3 pooled with (3, 1 + √6] at √24 − 2 and ψ̄ = 2x − 4 above reach 0):
// G(y) = P(V < 3) = 5/8 for 0 <= y < √24 − 2, F((y + 4)/2) = (y + 4)/16 + 1/2 above.
TEST(MyersonRevenue, AtomsInsideAContinuousPartMatchQuadrature) {
  const Scenario sc = parse_scenario(R"(
samples = 1000000
seed = 9
[[bidders]]
count = 3
value = { dist = "mixture", weights = [0.5, 0.5], components = [ { dist = "discrete", values = [1.0, 3.0], probs = [0.5, 0.5] }, { dist = "uniform", low = 0.0, high = 4.0 } ] }
[[mechanisms]]
kind = "myerson"
)");
  const double s2 = std::sqrt(24.0) - 2;
  auto G = [&](double y) { return y < s2 ? 0.625 : std::min(1.0, (y + 4) / 16 + 0.5); };
  const double exact = integrate([&](double y) { return 1 - std::pow(G(y), 3); }, 0, 4, {s2});
  expect_within(run_cpu(sc).mechanisms[0].revenue, exact, "atoms in a continuous part, revenue");
}

// Discrete {1: 0.45, 2: 0.1, 3: 0.45} (ψ̄ = −7/11 on the pooled atoms 1, 2; ψ̄(3) = 3), two bidders,
// v0 = −1 (every profile sells). Hand-computed outcomes:
//   (3, 1): ψ̄ (3, −7/11): bidder 0 wins; x_0(s) = 0 below 1, 1/2 on [1, 3), 1 from 3: pays 3 − 2/2 = 2
//   (1, 2), (2, 2): tie at −7/11; the winner pays inf{s: ψ̄(s) >= −7/11} = 1
//   (3, 3): tie at 3; the winner pays 3
// Expected revenue by enumeration: 0.55²·1 + 2·0.45·0.55·2 + 0.45²·3 = 1.9
//   = E[max ψ̄] = (1 − 0.55²)·3 − 0.55²·7/11 = 1.9.
TEST(MyersonDiscrete, IronedAtomsByHandAndEnumeration) {
  const Built b(R"(
samples = 400000
[[bidders]]
count = 2
value = { dist = "discrete", values = [1.0, 2.0, 3.0], probs = [0.45, 0.1, 0.45] }
[[mechanisms]]
kind = "myerson"
seller_value = -1.0
)");
  EXPECT_EQ(b.outcome(0, {3, 1}).winner, 0);
  EXPECT_DOUBLE_EQ(b.outcome(0, {3, 1}).price, 2.0);
  EXPECT_DOUBLE_EQ(b.outcome(0, {1, 3}).price, 2.0);
  EXPECT_DOUBLE_EQ(b.outcome(0, {1, 2}).price, 1.0);
  EXPECT_DOUBLE_EQ(b.outcome(0, {2, 2}).price, 1.0);
  EXPECT_DOUBLE_EQ(b.outcome(0, {3, 3}).price, 3.0);
  const double xs[3] = {1, 2, 3}, ps[3] = {0.45, 0.1, 0.45};
  double revenue = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) revenue += ps[i] * ps[j] * b.outcome(0, {xs[i], xs[j]}).price;
  EXPECT_NEAR(revenue, 1.9, 1e-12);
  expect_within(run_cpu(b.sc).mechanisms[0].revenue, 1.9, "discrete ironed, revenue");
}

// Truthful reporting is a dominant strategy (in expectation over the tie-break) and ex-post IR, for
// bidders pooled by ironing, asymmetric groups and a seller value: on random profiles, no report on a
// grid (plus the ironed interval's ends) gives a higher expected utility than the true value.
TEST(Myerson, DominantStrategyAndExPostIr) {
  const Built b(R"(
[[bidders]]
count = 2
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[bidders]]
value = { dist = "uniform", low = 0.2, high = 1.8 }
[[mechanisms]]
kind = "myerson"
seller_value = 0.1
)");
  const std::vector<VirtualValueFunction> psi = group_virtual_values(b.sc);
  const int group_of[3] = {0, 0, 1};
  auto expected_utility = [&](std::vector<double> reports, int i, double value) {
    double top = -HUGE_VAL;
    int n_top = 0;
    for (int j = 0; j < 3; ++j) top = std::max(top, psi[group_of[j]](reports[j]));
    for (int j = 0; j < 3; ++j) n_top += psi[group_of[j]](reports[j]) == top;
    if (!(psi[group_of[i]](reports[i]) == top && top >= 0.1)) return 0.0;
    for (std::uint64_t p = 0; p < 200; ++p) {  // find a tie-break in which i wins: its price
      const Outcome o = b.outcome(0, reports, p);
      if (o.winner == i) {
        EXPECT_LE(o.price, reports[i]);
        return (value - o.price) / n_top;
      }
    }
    ADD_FAILURE() << "bidder never wins a tie";
    return 0.0;
  };
  std::vector<double> deviations;
  for (int k = 0; k <= 100; ++k) deviations.push_back(2.0 * k / 100);
  const double va = (7 - std::sqrt(3.0)) / 6, vb = 1.5 - std::sqrt(3.0) / 6;
  for (double x : {va, vb, std::nextafter(va, 0.0), std::nextafter(vb, 0.0), 2.0 / 3, 0.65, 0.6}) deviations.push_back(x);
  double v[3];
  int ties = 0;
  for (std::uint64_t p = 0; p < 1500; ++p) {
    draw_values(b.m, p, v);
    const std::vector<double> truth(v, v + 3);
    if (psi[0](v[0]) == psi[0](v[1])) ++ties;
    for (int i = 0; i < 3; ++i) {
      const double u_true = expected_utility(truth, i, v[i]);
      EXPECT_GE(u_true, 0.0);  // IR
      for (double s : deviations) {
        std::vector<double> dev = truth;
        dev[i] = s;
        EXPECT_LE(expected_utility(dev, i, v[i]), u_true + 1e-12) << "profile " << p << " bidder " << i << " report " << s;
      }
    }
  }
  EXPECT_GT(ties, 10);  // pooled bidders did occur
}

TEST(OptimalReserves, ResolvedFromVirtualValues) {
  const Built mix(R"(
[[bidders]]
count = 2
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "second_price"
reserve = "optimal"
[[mechanisms]]
kind = "second_price"
reserve = "optimal"
seller_value = 1.5
)");
  EXPECT_NEAR(mix.md.mechanisms[0].reserve, 2.0 / 3, 1e-13);
  EXPECT_NEAR(mix.md.mechanisms[1].reserve, 1.75, 1e-12);  // 2v − 2 = 1.5
  const Built asym(R"(
[[bidders]]
value = { dist = "uniform", low = 0.0, high = 12.0 }
[[bidders]]
value = { dist = "uniform", low = 0.0, high = 18.0 }
[[mechanisms]]
kind = "second_price"
reserve = "optimal_personalized"
[[mechanisms]]
kind = "myerson"
seller_value = 2.0
)");
  ASSERT_GE(asym.md.mechanisms[0].group_reserves, 0);
  EXPECT_EQ(asym.md.arena[asym.md.mechanisms[0].group_reserves], 6.0);
  EXPECT_EQ(asym.md.arena[asym.md.mechanisms[0].group_reserves + 1], 9.0);
  // personalized reserves: (2, 12) sells to bidder 2 at its reserve 9, like Myerson
  EXPECT_EQ(asym.outcome(0, {2, 12}).winner, 1);
  EXPECT_EQ(asym.outcome(0, {2, 12}).price, 9.0);
  // seller value 2: reserves (2 + 12)/2 = 7 and (2 + 18)/2 = 10
  const OptimalMechanismInfo info = optimal_info(asym.sc, 1);
  ASSERT_TRUE(info.present);
  EXPECT_EQ(info.rule, "myerson");
  EXPECT_EQ(info.groups[0].reserve, 7.0);
  EXPECT_EQ(info.groups[1].reserve, 10.0);
  EXPECT_EQ(info.groups[0].virtual_value, "uniform");
  EXPECT_TRUE(info.groups[0].regular);
  EXPECT_EQ(asym.outcome(1, {6.5, 9.5}).winner, -1);
  EXPECT_EQ(asym.outcome(1, {7.5, 9.5}).price, 7.0);
}

TEST(OptimalReserves, ScenarioErrorsNameTheKey) {
  auto error_path = [](const std::string& groups, const std::string& mech) {
    try {
      parse_scenario(groups + "[[mechanisms]]\n" + mech + "\n");
    } catch (const ScenarioError& e) {
      return e.path();
    }
    return std::string("no error");
  };
  const std::string iid = "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n";
  const std::string asym = iid + "[[bidders]]\nvalue = { dist = \"uniform\", low = 0.0, high = 2.0 }\n";
  EXPECT_EQ(error_path(asym, "kind = \"second_price\"\nreserve = \"optimal\""), "mechanisms[0].reserve");
  EXPECT_EQ(error_path(asym, "kind = \"second_price\"\nreserve = \"optimal_personalized\""), "no error");
  EXPECT_EQ(error_path(iid, "kind = \"second_price\"\nreserve = \"best\""), "mechanisms[0].reserve");
  EXPECT_EQ(error_path(iid, "kind = \"first_price\"\nreserve = \"optimal\""), "mechanisms[0].reserve");
  EXPECT_EQ(error_path(iid, "kind = \"myerson\"\nreserve = 0.5"), "mechanisms[0].reserve");
  EXPECT_EQ(error_path(iid, "kind = \"myerson\"\nstrategy = \"shade\""), "mechanisms[0].strategy");
  EXPECT_EQ(error_path(iid, "kind = \"myerson\"\nvirtual_values = \"spline\""), "mechanisms[0].virtual_values");
  EXPECT_EQ(error_path(iid, "kind = \"second_price\"\nvirtual_values = \"table\""), "mechanisms[0].virtual_values");
  EXPECT_EQ(error_path(iid, "kind = \"myerson\"\nseller_value = 0.25\nname = \"opt\""), "no error");
}

TEST(OptimalReserves, JsonAndTableListReservesAndIronedIntervals) {
  const Scenario sc = parse_scenario(R"(
samples = 1000
[[bidders]]
count = 2
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "myerson"
)");
  const RunResult r = run_cpu(sc);
  const std::string json = format_json(sc, r);
  EXPECT_NE(json.find("\"optimal\""), std::string::npos);
  EXPECT_NE(json.find("\"ironed_intervals\""), std::string::npos);
  EXPECT_NE(json.find("\"reserve\": 0.666666666666666"), std::string::npos) << json;
  EXPECT_NE(json.find("0.877991532071853"), std::string::npos);
  EXPECT_EQ(json.find("\"optimal\""), json.rfind("\"optimal\""));  // only the myerson mechanism has it
  const std::string table = format_table(sc, r);
  EXPECT_NE(table.find("ironed [0.877992, 1.21132] at 0.42265"), std::string::npos) << table;
}

}  // namespace
}  // namespace mcrev
