// Distributions: quantile/CDF round trips, Kolmogorov–Smirnov on sampled values, truncation,
// moments against closed forms, empirical CDFs.
#include "mcrev/distributions/distribution.hpp"
#include "mcrev/core/rng.hpp"

#include "scenario/scenario.hpp"
#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace mcrev;

namespace {

struct Case {
  const char* name;
  DistributionSpec spec;
};

DistributionSpec parse_value(const std::string& value) {
  const Scenario sc = parse_scenario("[[bidders]]\nvalue = " + value +
                                     "\n[[mechanisms]]\nkind = \"second_price\"\n");
  return sc.groups[0].value;
}

// Places tables into an arena exactly as build_model does.
struct Placed {
  Distribution d;
  std::vector<double> arena{0.0};
  explicit Placed(const DistributionSpec& s) : d(s.dist) {
    if (d.kind == DistKind::Empirical) {
      d.table = static_cast<int>(arena.size());
      d.table_n = static_cast<int>(s.table_x.size());
      arena.insert(arena.end(), s.table_x.begin(), s.table_x.end());
      arena.insert(arena.end(), s.table_f.begin(), s.table_f.end());
    }
  }
};

std::vector<Case> cases() {
  return {
      {"uniform", parse_value("{ dist = \"uniform\", low = -1.0, high = 3.0 }")},
      {"exponential", parse_value("{ dist = \"exponential\", rate = 2.0, shift = 0.5 }")},
      {"power", parse_value("{ dist = \"power\", low = 1.0, high = 2.0, k = 3.0 }")},
      {"power_concave", parse_value("{ dist = \"power\", k = 0.4 }")},
      {"normal_center", parse_value("{ dist = \"normal\", mean = 0.5, sd = 0.2, low = 0.0, high = 1.0 }")},
      {"normal_upper_tail", parse_value("{ dist = \"normal\", mean = 0.0, sd = 1.0, low = 3.0, high = 6.0 }")},
      {"normal_lower_tail", parse_value("{ dist = \"normal\", mean = 0.0, sd = 1.0, low = -8.0, high = -4.0 }")},
      {"empirical_points", parse_value("{ dist = \"empirical\", points = [[0.0, 0.0], [1.0, 0.5], [3.0, 1.0]] }")},
      {"empirical_values", parse_value("{ dist = \"empirical\", values = [3.0, 1.0, 2.0, 2.5, 7.0] }")},
  };
}

}  // namespace

TEST(Distribution, QuantileCdfRoundTrip) {
  for (const Case& c : cases()) {
    Placed p(c.spec);
    for (int k = 1; k < 1000; ++k) {
      const double u = k / 1000.0;
      const double x = p.d.quantile(u, p.arena.data());
      EXPECT_GE(x, p.d.low) << c.name;
      EXPECT_LE(x, p.d.high) << c.name;
      EXPECT_NEAR(p.d.cdf(x, p.arena.data()), u, 1e-12) << c.name << " u=" << u;
    }
  }
}

TEST(Distribution, PdfIsDerivativeOfCdf) {
  for (const Case& c : cases()) {
    Placed p(c.spec);
    for (int k = 1; k < 50; ++k) {
      const double x = p.d.quantile(k / 50.0 + 0.0037, p.arena.data());
      const double h = 1e-5 * std::min(x - p.d.low, std::isfinite(p.d.high) ? p.d.high - x : 1.0);
      const double num = (p.d.cdf(x + h, p.arena.data()) - p.d.cdf(x - h, p.arena.data())) / (2 * h);
      EXPECT_NEAR(p.d.pdf(x, p.arena.data()), num, 1e-6 * std::max(1.0, num)) << c.name << " x=" << x;
    }
  }
}

// Kolmogorov–Smirnov: sup |F_m − F| of m values drawn through the engine's streams, against the
// asymptotic critical value 1.95/√m (level 0.001).
TEST(Distribution, KolmogorovSmirnovOnSamples) {
  const int m = 20000;
  for (const Case& c : cases()) {
    Placed p(c.spec);
    std::vector<double> xs(m);
    for (int i = 0; i < m; ++i) xs[i] = p.d.quantile(Stream(11, i, kValueLane).uniform(), p.arena.data());
    std::sort(xs.begin(), xs.end());
    double dmax = 0;
    for (int i = 0; i < m; ++i) {
      const double f = p.d.cdf(xs[i], p.arena.data());
      dmax = std::max({dmax, std::fabs(f - double(i) / m), std::fabs(f - double(i + 1) / m)});
      ASSERT_GE(xs[i], p.d.low) << c.name;
      ASSERT_LE(xs[i], p.d.high) << c.name;
    }
    EXPECT_LT(dmax, 1.95 / std::sqrt(double(m))) << c.name;
  }
}

TEST(Distribution, TruncatedNormalIsTruncatedNotClipped) {
  // N(0.5, 0.4²) on [0, 1]: mean μ + σ(φ(α) − φ(β))/Z, no atoms at the ends.
  Placed p(parse_value("{ dist = \"normal\", mean = 0.5, sd = 0.4, low = 0.0, high = 1.0 }"));
  const double a = -1.25, b = 1.25;
  const double Z = normal_cdf(b) - normal_cdf(a);
  const double mean = 0.5 + 0.4 * (normal_pdf(a) - normal_pdf(b)) / Z;  // = 0.5 by symmetry
  const double var = 0.16 * (1 + (a * normal_pdf(a) - b * normal_pdf(b)) / Z);
  const int m = 400000;
  double s = 0;
  int at_ends = 0;
  for (int i = 0; i < m; ++i) {
    const double x = p.d.quantile(Stream(3, i, 0).uniform(), p.arena.data());
    s += x;
    at_ends += (x == 0.0 || x == 1.0);
  }
  EXPECT_NEAR(s / m, mean, 5 * std::sqrt(var / m));
  EXPECT_EQ(at_ends, 0);
  // Clipping would put Φ(−1.25) ≈ 10.6% of the mass on each end; the CDF has none there.
  EXPECT_NEAR(p.d.cdf(1e-9, p.arena.data()), 0.0, 1e-7);
}

TEST(Distribution, ExponentialClosedForms) {
  Placed p(parse_value("{ dist = \"exponential\", rate = 2.0, shift = 0.5 }"));
  EXPECT_DOUBLE_EQ(p.d.quantile(0.5, p.arena.data()), 0.5 + std::log(2.0) / 2.0);
  EXPECT_DOUBLE_EQ(p.d.cdf(0.5, p.arena.data()), 0.0);
  EXPECT_NEAR(p.d.cdf(1.5, p.arena.data()), 1 - std::exp(-2.0), 1e-15);
  EXPECT_NEAR(p.d.pdf(1.5, p.arena.data()), 2 * std::exp(-2.0), 1e-15);
}

TEST(Distribution, EmpiricalPiecewiseLinearWithAtoms) {
  // points: F jumps from 0.2 to 0.6 at x = 1 (an atom of mass 0.4).
  Placed p(parse_value("{ dist = \"empirical\", points = [[0.0, 0.0], [1.0, 0.2], [1.0, 0.6], [2.0, 1.0]] }"));
  const double* a = p.arena.data();
  EXPECT_DOUBLE_EQ(p.d.quantile(0.1, a), 0.5);
  EXPECT_DOUBLE_EQ(p.d.quantile(0.3, a), 1.0);
  EXPECT_DOUBLE_EQ(p.d.quantile(0.59, a), 1.0);
  EXPECT_DOUBLE_EQ(p.d.quantile(0.8, a), 1.5);
  EXPECT_DOUBLE_EQ(p.d.cdf(0.5, a), 0.1);
  EXPECT_DOUBLE_EQ(p.d.cdf(1.0, a), 0.6);
  EXPECT_DOUBLE_EQ(p.d.cdf(1.5, a), 0.8);
  // From observed values: sorted, F(x_(k)) = k/(m − 1).
  Placed q(parse_value("{ dist = \"empirical\", values = [3.0, 1.0, 2.0] }"));
  EXPECT_DOUBLE_EQ(q.d.cdf(2.0, q.arena.data()), 0.5);
  EXPECT_DOUBLE_EQ(q.d.quantile(0.75, q.arena.data()), 2.5);
}

TEST(Distribution, EmpiricalFromFile) {
  const Scenario sc = load_scenario_file(std::string(MCREV_SOURCE_DIR) + "/examples/empirical.toml");
  const DistributionSpec& d = sc.groups[0].value;
  ASSERT_EQ(d.dist.kind, DistKind::Empirical);
  EXPECT_GE(d.table_x.size(), 10u);
  EXPECT_TRUE(std::is_sorted(d.table_x.begin(), d.table_x.end()));
  EXPECT_EQ(d.table_f.front(), 0.0);
  EXPECT_EQ(d.table_f.back(), 1.0);
}
