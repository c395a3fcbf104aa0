// Discrete and mixture distributions: exact CDF / quantile values, round trips, atoms, gaps, unbounded
// components, flattening, sampling frequencies, scenario errors.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/pipeline/evaluate.hpp"

#include "solvers/distribution_ext.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace mcrev {
namespace {

struct Placed {
  std::vector<double> arena;
  Distribution d;
  explicit Placed(const DistributionSpec& s) { d = place_distribution(s, arena); }
  double F(double x) const { return d.cdf(x, arena.data()); }
  double Q(double u) const { return d.quantile(u, arena.data()); }
  double f(double x) const { return d.pdf(x, arena.data()); }
};

DistributionSpec uniform(double lo, double hi) {
  DistributionSpec s;
  s.dist.kind = DistKind::Uniform;
  s.dist.low = lo;
  s.dist.high = hi;
  s.describe = "uniform";
  return s;
}

DistributionSpec exponential(double rate) {
  DistributionSpec s;
  s.dist.kind = DistKind::Exponential;
  s.dist.low = 0.0;
  s.dist.high = HUGE_VAL;
  s.dist.p[0] = rate;
  s.describe = "exponential";
  return s;
}

/// A grid of u in (0, 1) including the extremes the Philox mapping can produce.
std::vector<double> u_grid() {
  std::vector<double> u = {1.1641532182693481e-10, 1e-9, 1e-6, 0.25, 0.5, 0.75, 1.0 - 1e-6, 1.0 - 1.1641532182693481e-10};
  for (int k = 1; k < 1000; ++k) u.push_back(k / 1000.0 + 1e-7 * std::sin(k));
  return u;
}

TEST(Discrete, SortsMergesAndGivesExactCdfAndQuantile) {
  // {3: 0.2, 1: 0.3, 2: 0.25, 2: 0.25} -> {1: 0.3, 2: 0.5, 3: 0.2}
  const Placed p(make_discrete({3, 1, 2, 2}, {0.2, 0.3, 0.25, 0.25}, "v"));
  EXPECT_EQ(p.d.low, 1.0);
  EXPECT_EQ(p.d.high, 3.0);
  EXPECT_EQ(p.d.table_n, 3);
  EXPECT_EQ(p.F(0.999), 0.0);
  EXPECT_DOUBLE_EQ(p.F(1.0), 0.3);
  EXPECT_DOUBLE_EQ(p.F(1.999), 0.3);
  EXPECT_DOUBLE_EQ(p.F(2.0), 0.8);
  EXPECT_EQ(p.F(3.0), 1.0);
  EXPECT_EQ(p.f(2.0), 0.0);  // no density
  EXPECT_EQ(p.Q(1e-10), 1.0);
  EXPECT_EQ(p.Q(0.3), 1.0);  // smallest x with F(x) >= u
  EXPECT_EQ(p.Q(0.3 + 1e-12), 2.0);
  EXPECT_EQ(p.Q(0.8), 2.0);
  EXPECT_EQ(p.Q(0.8 + 1e-12), 3.0);
  EXPECT_EQ(p.Q(1.0 - 1e-10), 3.0);
  // round trip: Q(u) is the smallest atom with F >= u
  for (double u : u_grid()) {
    const double x = p.Q(u);
    EXPECT_GE(p.F(x), u);
    EXPECT_LT(p.F(std::nextafter(x, -HUGE_VAL)), u);
  }
  for (double x : {1.0, 2.0, 3.0}) EXPECT_EQ(p.Q(p.F(x)), x);
}

TEST(Discrete, SingleAtomIsDegenerate) {
  const Placed p(make_discrete({2.5}, {1.0}, "v"));
  EXPECT_EQ(p.Q(0.5), 2.5);
  EXPECT_EQ(p.F(2.4), 0.0);
  EXPECT_EQ(p.F(2.5), 1.0);
}

TEST(Discrete, RejectsBadInputWithKeyPaths) {
  try {
    make_discrete({1, 2}, {0.5, 0.6}, "bidders[0].value");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "bidders[0].value.probs");
  }
  try {
    make_discrete({1, 2}, {1.0}, "bidders[0].value");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "bidders[0].value.probs");
  }
  try {
    make_discrete({1, 2}, {1.5, -0.5}, "bidders[0].value");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "bidders[0].value.probs[1]");
  }
}

// The issue's mixture: 0.75 U[0,1] + 0.25 U[1,2]:
//   F(x) = 0.75 x on [0, 1], 0.75 + 0.25 (x − 1) on [1, 2];  Q(u) = u / 0.75 (u <= 0.75), 1 + (u − 0.75)/0.25.
TEST(Mixture, TwoUniformsMatchClosedForms) {
  const Placed p(make_mixture({0.75, 0.25}, {uniform(0, 1), uniform(1, 2)}, "v"));
  EXPECT_EQ(p.d.low, 0.0);
  EXPECT_EQ(p.d.high, 2.0);
  for (double x : {0.0, 0.1, 0.5, 0.999, 1.0, 1.3, 1.999}) {
    const double F = x <= 1 ? 0.75 * x : 0.75 + 0.25 * (x - 1);
    EXPECT_NEAR(p.F(x), F, 1e-15) << x;
  }
  EXPECT_DOUBLE_EQ(p.f(0.5), 0.75);
  EXPECT_DOUBLE_EQ(p.f(1.5), 0.25);
  for (double u : u_grid()) {
    const double q = u <= 0.75 ? u / 0.75 : 1.0 + (u - 0.75) / 0.25;
    EXPECT_NEAR(p.Q(u), q, 4e-16 * std::max(1.0, q)) << u;
    EXPECT_NEAR(p.F(p.Q(u)), u, 1e-15) << u;  // round trip u -> x -> u
  }
  for (int k = 0; k <= 200; ++k) {
    const double x = 2.0 * k / 200;
    if (x > 0 && x < 2) { EXPECT_NEAR(p.Q(p.F(x)), x, 1e-14) << x; }  // round trip x -> u -> x
  }
}

// 0.5 discrete{1: 0.5, 3: 0.5} + 0.5 U[0, 4]: atoms of mass 0.25 at 1 and 3,
// F(x) = x/8 + 0.25 [x >= 1] + 0.25 [x >= 3]. Inside an atom's range the quantile is the atom, bitwise.
TEST(Mixture, AtomsAreReturnedExactly) {
  const Placed p(make_mixture({0.5, 0.5}, {make_discrete({1, 3}, {0.5, 0.5}, "c"), uniform(0, 4)}, "v"));
  EXPECT_NEAR(p.F(0.5), 0.0625, 1e-16);
  EXPECT_NEAR(p.F(1.0), 0.125 + 0.25, 1e-16);
  EXPECT_NEAR(p.F(std::nextafter(1.0, 0.0)), 0.125, 1e-15);
  EXPECT_NEAR(p.F(3.0), 0.375 + 0.5, 1e-16);
  EXPECT_DOUBLE_EQ(p.f(2.0), 0.125);
  for (double u : {0.1250001, 0.2, 0.3, 0.375}) EXPECT_EQ(p.Q(u), 1.0) << u;
  for (double u : {0.6250001, 0.7, 0.875}) EXPECT_EQ(p.Q(u), 3.0) << u;
  EXPECT_NEAR(p.Q(0.0625), 0.5, 1e-15);
  EXPECT_NEAR(p.Q(0.5), 2.0, 1e-15);   // 0.375 + x/8 − 0.125 = 0.5 at x = 2
  EXPECT_NEAR(p.Q(0.95), 3.6, 1e-15);  // x/8 + 0.5 = 0.95
  for (double u : u_grid()) {
    const double x = p.Q(u);
    EXPECT_GE(p.F(x), u - 1e-15);
    EXPECT_LT(p.F(std::nextafter(x, -HUGE_VAL) - 1e-13), u);
  }
}

// 0.5 U[0,1] + 0.5 U[2,3]: F is flat on [1, 2]; Q(0.5) = 1 (the smallest x with F >= 1/2).
TEST(Mixture, GapInTheSupport) {
  const Placed p(make_mixture({0.5, 0.5}, {uniform(0, 1), uniform(2, 3)}, "v"));
  EXPECT_EQ(p.F(1.5), 0.5);
  EXPECT_NEAR(p.Q(0.5), 1.0, 1e-15);
  EXPECT_NEAR(p.Q(0.5 + 1e-9), 2.0 + 2e-9, 1e-14);
  EXPECT_NEAR(p.Q(0.25), 0.5, 1e-15);
  EXPECT_NEAR(p.Q(0.75), 2.5, 1e-15);
}

// 0.3 Exp(1) + 0.7 Exp(3): unbounded top bracket; S(x) = 0.3 e^{−x} + 0.7 e^{−3x}.
TEST(Mixture, UnboundedComponentsRoundTrip) {
  const Placed p(make_mixture({0.3, 0.7}, {exponential(1), exponential(3)}, "v"));
  EXPECT_TRUE(std::isinf(p.d.high));
  for (double u : u_grid()) {
    const double x = p.Q(u);
    const double S = 0.3 * std::exp(-x) + 0.7 * std::exp(-3 * x);
    EXPECT_NEAR(1.0 - S, u, 2e-15) << u;
    EXPECT_NEAR(survival(p.d, x, p.arena.data()), S, 1e-15 * S + 1e-300);
  }
  EXPECT_NEAR(p.f(0.7), 0.3 * std::exp(-0.7) + 2.1 * std::exp(-2.1), 1e-15);
}

// Inversion keeps the order of the uniforms (copulas and quantile strategies rely on it).
TEST(Mixture, QuantileIsNonDecreasing) {
  for (const DistributionSpec& s :
       {make_mixture({0.75, 0.25}, {uniform(0, 1), uniform(1, 2)}, "v"),
        make_mixture({0.5, 0.5}, {make_discrete({1, 3}, {0.5, 0.5}, "c"), uniform(0, 4)}, "v"),
        make_mixture({0.3, 0.7}, {exponential(1), exponential(3)}, "v")}) {
    const Placed p(s);
    double prev = -HUGE_VAL;
    for (int k = 1; k < 200000; ++k) {
      const double x = p.Q(k / 200000.0);
      EXPECT_GE(x, prev) << k;
      prev = x;
    }
  }
}

TEST(Mixture, NestedMixturesAreFlattened) {
  const DistributionSpec inner = make_mixture({0.5, 0.5}, {uniform(0, 1), uniform(1, 2)}, "inner");
  const DistributionSpec outer = make_mixture({0.5, 0.5}, {inner, uniform(2, 3)}, "outer");
  ASSERT_EQ(outer.components.size(), 3u);
  EXPECT_DOUBLE_EQ(outer.weights[0], 0.25);
  EXPECT_DOUBLE_EQ(outer.weights[1], 0.25);
  EXPECT_DOUBLE_EQ(outer.weights[2], 0.5);
  const Placed p(outer);
  EXPECT_NEAR(p.Q(0.375), 1.5, 1e-15);
  EXPECT_NEAR(p.Q(0.75), 2.5, 1e-15);
  EXPECT_NEAR(p.F(0.4), 0.1, 1e-16);
}

// The engine samples a mixture by inversion: atom and component frequencies within 5 SE.
TEST(Mixture, SampledFrequenciesMatch) {
  const Scenario sc = parse_scenario(R"(
samples = 1
[[bidders]]
count = 4
value = { dist = "mixture", weights = [0.5, 0.5], components = [ { dist = "discrete", values = [1.0, 3.0], probs = [0.5, 0.5] }, { dist = "uniform", low = 0.0, high = 4.0 } ] }
[[mechanisms]]
kind = "second_price"
)");
  const ModelData md = build_model(sc);
  const Model m = md.view();
  const int N = 50000;
  double v[4];
  int at1 = 0, at3 = 0, below2 = 0, total = 0;
  for (int p = 0; p < N; ++p) {
    draw_values(m, p, v);
    for (double x : v) {
      at1 += x == 1.0;
      at3 += x == 3.0;
      below2 += x < 2.0;
      ++total;
    }
  }
  auto check = [&](int count, double prob) {
    const double se = std::sqrt(prob * (1 - prob) / total);
    EXPECT_NEAR(static_cast<double>(count) / total, prob, 5 * se);
  };
  check(at1, 0.25);
  check(at3, 0.25);
  check(below2, 0.25 + 0.25);  // atom at 1 + U[0,4] mass below 2
}

TEST(MixtureScenario, KeyShapeAndErrors) {
  const Scenario sc = parse_scenario(R"(
[[bidders]]
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "second_price"
)");
  EXPECT_EQ(sc.groups[0].value.dist.kind, DistKind::Mixture);
  EXPECT_EQ(sc.groups[0].value.components.size(), 2u);
  auto error_path = [](const std::string& value) {
    try {
      parse_scenario("[[bidders]]\nvalue = " + value + "\n[[mechanisms]]\nkind = \"second_price\"\n");
    } catch (const ScenarioError& e) {
      return e.path();
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_path(R"({ dist = "mixture", weights = [0.5, 0.6], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] })"),
            "bidders[0].value.weights");
  EXPECT_EQ(error_path(R"({ dist = "mixture", weights = [1.0], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] })"),
            "bidders[0].value.weights");
  EXPECT_EQ(error_path(R"({ dist = "mixture", weights = [0.5, 0.5], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "cauchy" } ] })"),
            "bidders[0].value.components[1].dist");
  EXPECT_EQ(error_path(R"({ dist = "mixture", weights = [0.5, 0.5], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0, k = 1 } ] })"),
            "bidders[0].value.components[1].k");
  EXPECT_EQ(error_path(R"({ dist = "mixture", weights = [1.0], components = [ 3 ] })"), "bidders[0].value.components[0]");
  EXPECT_EQ(error_path(R"({ dist = "discrete", values = [1.0, 2.0], probs = [0.5] })"), "bidders[0].value.probs");
  EXPECT_EQ(error_path(R"({ dist = "discrete", values = [1.0, 2.0] })"), "bidders[0].value.probs");
}

TEST(MixtureScenario, BneNeedsContinuousValues) {
  // All-pay has no pure equilibrium with these atoms; first price plays its mixed equilibrium
  // (tests/discrete_mixed_test.cpp).
  try {
    parse_scenario(R"(
[[bidders]]
count = 2
value = { dist = "discrete", values = [1.0, 2.0], probs = [0.5, 0.5] }
[[mechanisms]]
kind = "all_pay"
)");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "mechanisms[0].strategy");
  }
  const ModelData md = build_model(parse_scenario(R"(
[[bidders]]
count = 2
value = { dist = "discrete", values = [1.0, 2.0], probs = [0.5, 0.5] }
[[mechanisms]]
kind = "first_price"
)"));
  EXPECT_EQ(md.strategies[0].kind, StrategyKind::DiscreteMixed);
}

TEST(MixtureScenario, DifferentMixturesAreNotIid) {
  // Two mixtures with equal support but different weights differ: all-pay's strategy = "bne" solves
  // them as asymmetric groups (issue 15; before, asymmetric all-pay was refused), not with the
  // symmetric table.
  const ModelData md = build_model(parse_scenario(R"(
[[bidders]]
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[bidders]]
value = { dist = "mixture", weights = [0.25, 0.75], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "all_pay"
)"));
  ASSERT_EQ(md.bid_tables[0].size(), 2u);
  EXPECT_EQ(md.bid_tables[0][0].method, "asymmetric all-pay");
}

}  // namespace
}  // namespace mcrev
