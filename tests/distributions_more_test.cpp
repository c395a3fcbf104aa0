// Beta, lognormal, Pareto and gamma value distributions (mcrev/distribution_more.hpp), the incomplete
// gamma/beta functions behind them (mcrev/incomplete.hpp), their scenario keys, and the empirical
// distribution read from a CSV file.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/core/incomplete.hpp"
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

// ---- incomplete gamma and beta against mpmath 1.3.0 (40 digits), evaluated at the same doubles ----

struct GammaRef {
  double a, x, p, q;
};
constexpr GammaRef kGammaRefs[] = {
    {0.1, 0.01, 0.66262125995447979172, 0.33737874004552020828},
    {0.5, 2.0, 0.9544997361036415856, 0.045500263896358414401},
    {2.5, 1.0, 0.15085496391539036377, 0.84914503608460963623},
    {2.5, 8.0, 0.993155926077579569, 0.0068440739224204309991},
    {10, 3.0, 0.0011024881301154797421, 0.99889751186988452026},
    {50, 45.0, 0.24680203440017027271, 0.75319796559982972729},
    {50, 70.0, 0.9948594975414941061, 0.0051405024585058938995},
    {1000, 950.0, 0.055054686230738034495, 0.94494531376926196551},
    {1000, 1100.0, 0.99894067674607002265, 0.0010593232539299773489},
    {0.01, 1e-05, 0.89633679826719720097, 0.10366320173280279903},
};

struct BetaRef {
  double a, b, x, lower, upper;
};
constexpr BetaRef kBetaRefs[] = {
    {0.5, 0.5, 0.1, 0.20483276469913345754, 0.79516723530086654246},
    {2, 3, 0.4, 0.52480000000000003837, 0.47519999999999996163},
    {2, 3, 0.95, 0.99951874999999999873, 0.00048125000000000126565},
    {0.1, 5, 1e-06, 0.30728837499950496525, 0.69271162500049503475},
    {5, 0.1, 0.999, 0.38710164062500546284, 0.61289835937499453716},
    {30, 40, 0.2, 8.1435006545699112016e-6, 0.99999185649934543009},
    {30, 40, 0.6, 0.99807411120246101958, 0.0019258887975389804199},
    {0.02, 0.03, 0.5, 0.60009271480132710507, 0.39990728519867289493},
    {200, 300, 0.45, 0.98814634562026288124, 0.011853654379737118755},
};

TEST(IncompleteGamma, MatchesMpmathInBothTails) {
  for (const GammaRef& r : kGammaRefs) {
    double p, q;
    gamma_pq(r.a, r.x, &p, &q);
    EXPECT_NEAR(p, r.p, 2e-13 * r.p) << "a=" << r.a << " x=" << r.x;
    EXPECT_NEAR(q, r.q, 2e-13 * r.q) << "a=" << r.a << " x=" << r.x;
  }
}

TEST(IncompleteGamma, ClosedFormsForIntegerAndHalfIntegerShape) {
  // P(k, x) = 1 − e^{−x} Σ_{j<k} x^j/j!  and  P(1/2, x) = erf(√x).
  for (double x : {0.3, 1.0, 4.0, 12.0}) {
    for (int k : {1, 2, 5}) {
      double sum = 0, term = 1;
      for (int j = 0; j < k; ++j) {
        sum += term;
        term *= x / (j + 1);
      }
      double p, q;
      gamma_pq(k, x, &p, &q);
      EXPECT_NEAR(q, std::exp(-x) * sum, 1e-14 * std::exp(-x) * sum);
    }
    double p, q;
    gamma_pq(0.5, x, &p, &q);
    EXPECT_NEAR(p, std::erf(std::sqrt(x)), 1e-14);
    EXPECT_NEAR(q, std::erfc(std::sqrt(x)), 1e-13 * std::erfc(std::sqrt(x)));
  }
}

TEST(IncompleteBeta, MatchesMpmathAndClosedForms) {
  for (const BetaRef& r : kBetaRefs) {
    double lo, up;
    beta_inc(r.a, r.b, r.x, &lo, &up);
    EXPECT_NEAR(lo, r.lower, 2e-13 * r.lower) << r.a << "," << r.b << " x=" << r.x;
    EXPECT_NEAR(up, r.upper, 2e-13 * r.upper) << r.a << "," << r.b << " x=" << r.x;
  }
  // Arcsine law: I_x(1/2, 1/2) = (2/π) asin(√x); I_x(1, b) = 1 − (1 − x)^b.
  for (double x : {1e-8, 0.01, 0.3, 0.77, 0.999}) {
    double lo, up;
    beta_inc(0.5, 0.5, x, &lo, &up);
    EXPECT_NEAR(lo, 2.0 / M_PI * std::asin(std::sqrt(x)), 1e-14 + 1e-13 * lo);
    beta_inc(1.0, 3.5, x, &lo, &up);
    EXPECT_NEAR(up, std::pow(1.0 - x, 3.5), 1e-13 * std::pow(1.0 - x, 3.5));
  }
}

TEST(IncompleteInverse, RoundTripsInBothTails) {
  for (double a : {0.05, 0.5, 1.0, 2.5, 40.0, 3000.0}) {
    for (double u : {1e-10, 1e-4, 0.1, 0.5, 0.9, 1 - 1e-4, 1 - 1e-10}) {
      const double x = gamma_pq_inv(a, u, 1 - u);
      double p, q;
      gamma_pq(a, x, &p, &q);
      if (x < 1e-300) continue;  // the quantile underflows (tiny shapes)
      // |ΔF| <= 1e-12 relative to the smaller tail, plus what one ulp of x moves F.
      const double slack = 4e-16 * x * gamma_density(a, x);
      if (u < 0.5)
        EXPECT_NEAR(p, u, 1e-12 * u + slack) << "a=" << a << " u=" << u;
      else
        EXPECT_NEAR(q, 1 - u, 1e-12 * (1 - u) + slack) << "a=" << a << " u=" << u;
    }
  }
  for (auto ab : {std::pair<double, double>{0.5, 0.5}, {2, 3}, {0.1, 5}, {30, 40}, {3, 0.7}}) {
    for (double u : {1e-10, 1e-4, 0.1, 0.5, 0.9, 1 - 1e-4, 1 - 1e-10}) {
      const double x = beta_inc_inv(ab.first, ab.second, u, 1 - u);
      double lo, up;
      beta_inc(ab.first, ab.second, x, &lo, &up);
      if (x < 1e-300 || x >= 1.0) continue;  // not representable apart from 0 or 1
      const double slack = 4e-16 * std::max(x, 1 - x) * beta_density(ab.first, ab.second, x) + 1e-300;
      if (u < 0.5)
        EXPECT_NEAR(lo, u, 1e-12 * u + slack) << ab.first << "," << ab.second << " u=" << u;
      else
        EXPECT_NEAR(up, 1 - u, 1e-12 * (1 - u) + slack) << ab.first << "," << ab.second << " u=" << u;
    }
  }
}

// ---- the distributions, built through the scenario parser ----

Scenario one_group(const std::string& value, int count = 1) {
  return parse_scenario("samples = 1000\n[[bidders]]\ncount = " + std::to_string(count) + "\nvalue = " + value +
                        "\n[[mechanisms]]\nkind = \"second_price\"\n");
}

double phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct Case {
  std::string value;
  double mean;           // exact E[V]
  double second_moment;  // exact E[V²] (NaN: not checked)
};

std::vector<Case> cases() {
  std::vector<Case> out;
  const double nan = std::nan("");
  // beta: E = a/(a+b), E[X²] = a(a+1)/((a+b)(a+b+1)) on [0, 1]; affine on [low, high].
  out.push_back({"{ dist = \"beta\", alpha = 2, beta = 5 }", 2.0 / 7, 6.0 / 56});
  out.push_back({"{ dist = \"beta\", alpha = 0.5, beta = 0.5, low = 1, high = 3 }", 2.0, 1 + 4 * 0.375 + 4 * 0.5});
  out.push_back({"{ dist = \"beta\", alpha = 30, beta = 40 }", 3.0 / 7, 30.0 * 31 / (70.0 * 71)});
  out.push_back({"{ dist = \"beta\", alpha = 0.2, beta = 3 }", 0.2 / 3.2, 0.2 * 1.2 / (3.2 * 4.2)});
  // lognormal: E = e^{μ+σ²/2}; truncated to [a, b]: e^{μ+σ²/2} (Φ(β−σ) − Φ(α−σ)) / (Φ(β) − Φ(α)).
  out.push_back({"{ dist = \"lognormal\", mu = 0.0, sigma = 0.5 }", std::exp(0.125), std::exp(0.5)});
  {
    const double mu = 0.2, s = 1.0, a = (std::log(0.5) - mu) / s, b = (std::log(4.0) - mu) / s;
    const double mass = phi(b) - phi(a);
    out.push_back({"{ dist = \"lognormal\", mu = 0.2, sigma = 1.0, low = 0.5, high = 4.0 }",
                   std::exp(mu + s * s / 2) * (phi(b - s) - phi(a - s)) / mass,
                   std::exp(2 * mu + 2 * s * s) * (phi(b - 2 * s) - phi(a - 2 * s)) / mass});
  }
  // Pareto(x_m, α): E = α x_m/(α − 1), E[X²] = α x_m²/(α − 2); truncated at H:
  // E[X^k] = α x_m^α (H^{k−α} − x_m^{k−α}) / ((k − α)(1 − (x_m/H)^α)).
  out.push_back({"{ dist = \"pareto\", scale = 1.0, shape = 3.0 }", 1.5, nan});  // E[X^4] = ∞: no SE for E[X²]
  {
    const double xm = 2, al = 1.5, H = 20, mass = 1 - std::pow(xm / H, al);
    auto mom = [&](double k) { return al * std::pow(xm, al) * (std::pow(H, k - al) - std::pow(xm, k - al)) / ((k - al) * mass); };
    out.push_back({"{ dist = \"pareto\", scale = 2.0, shape = 1.5, high = 20.0 }", mom(1), mom(2)});
  }
  // gamma(k, θ): E = kθ, E[X²] = k(k+1)θ²; truncated to [a, b]: E[X] = kθ ΔP(k+1)/ΔP(k).
  out.push_back({"{ dist = \"gamma\", shape = 2.5, scale = 0.8 }", 2.0, 2.5 * 3.5 * 0.64});
  out.push_back({"{ dist = \"gamma\", shape = 200, scale = 0.01 }", 2.0, 200.0 * 201 * 1e-4});
  {
    const double k = 0.5, th = 0.5, a = 0.1, b = 3.0;
    auto dP = [&](double kk) {
      double pa, qa, pb, qb;
      gamma_pq(kk, a / th, &pa, &qa);
      gamma_pq(kk, b / th, &pb, &qb);
      return pb - pa;
    };
    out.push_back({"{ dist = \"gamma\", shape = 0.5, rate = 2.0, low = 0.1, high = 3.0 }", k * th * dP(k + 1) / dP(k),
                   k * (k + 1) * th * th * dP(k + 2) / dP(k)});
  }
  return out;
}

TEST(DistributionsMore, QuantileCdfRoundTripAndDensity) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.value);
    const Distribution d = one_group(c.value).groups[0].value.dist;
    for (double u : {1.2e-10, 1e-6, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6, 1 - 1.2e-10}) {
      const double x = d.quantile(u, nullptr);
      ASSERT_GE(x, d.low);
      ASSERT_LE(x, d.high);
      const double slack = 8e-16 * std::fabs(x) * d.pdf(x, nullptr);  // one-ulp moves of x
      EXPECT_NEAR(d.cdf(x, nullptr), u, 1e-11 * std::min(u, 1 - u) + slack) << "u=" << u;
    }
    for (double u : {0.05, 0.3, 0.6, 0.95}) {  // density = derivative of the CDF
      const double x = d.quantile(u, nullptr);
      const double h = 1e-4 * std::min({std::max(1.0, std::fabs(x)), x - d.low, d.high - x});
      const double numeric = (d.cdf(x + h, nullptr) - d.cdf(x - h, nullptr)) / (2 * h);
      EXPECT_NEAR(d.pdf(x, nullptr), numeric, 1e-6 * numeric) << "u=" << u;
    }
    EXPECT_EQ(d.cdf(d.low, nullptr), 0.0);
    if (std::isfinite(d.high)) {
      EXPECT_EQ(d.cdf(d.high, nullptr), 1.0);
    }
  }
}

// Samples drawn by the engine (lane 0, inverse CDF), tested against the exact CDF and moments.
TEST(DistributionsMore, KolmogorovSmirnovTruncationAndMoments) {
  constexpr int n = 20000;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.value);
    Scenario sc = one_group(c.value);
    sc.seed = 20240601;
    const ModelData md = build_model(sc);
    const Model model = md.view();
    const Distribution& d = md.groups[0].dist;
    std::vector<double> xs(n);
    std::vector<double> v(model.n_values);
    for (int i = 0; i < n; ++i) {
      draw_values(model, static_cast<std::uint64_t>(i), v.data());
      xs[i] = v[0];
    }
    // Truncation respected.
    EXPECT_GE(*std::min_element(xs.begin(), xs.end()), d.low);
    EXPECT_LE(*std::max_element(xs.begin(), xs.end()), d.high);
    // KS: sqrt(n)·D_n < 1.95 (Kolmogorov distribution: P(K > 1.95) ≈ 0.001).
    std::sort(xs.begin(), xs.end());
    double dn = 0;
    for (int i = 0; i < n; ++i) {
      const double f = d.cdf(xs[i], nullptr);
      dn = std::max({dn, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
    }
    EXPECT_LT(std::sqrt(static_cast<double>(n)) * dn, 1.95);
    // Moments within 5 standard errors (SE from the sample itself).
    auto check_moment = [&](double exact, int k) {
      double s = 0, s2 = 0;
      for (double x : xs) {
        const double y = std::pow(x, k);
        s += y;
        s2 += y * y;
      }
      const double mean = s / n, var = s2 / n - mean * mean, se = std::sqrt(var / n);
      EXPECT_NEAR(mean, exact, 5 * se) << "moment " << k;
    };
    check_moment(c.mean, 1);
    if (!std::isnan(c.second_moment)) check_moment(c.second_moment, 2);
  }
}

TEST(DistributionsMore, DescribeStrings) {
  EXPECT_EQ(one_group("{ dist = \"beta\", alpha = 2, beta = 5 }").groups[0].value.describe, "beta(2, 5) on [0, 1]");
  EXPECT_EQ(one_group("{ dist = \"lognormal\", mu = 0, sigma = 1, high = 10 }").groups[0].value.describe,
            "lognormal(mu 0, sigma 1) truncated to [0, 10]");
  EXPECT_EQ(one_group("{ dist = \"pareto\", scale = 1, shape = 2 }").groups[0].value.describe,
            "pareto(scale 1, shape 2)");
  EXPECT_EQ(one_group("{ dist = \"gamma\", shape = 2, rate = 4 }").groups[0].value.describe,
            "gamma(shape 2, scale 0.25)");
}

void expect_error(const std::string& value, const std::string& path, const std::string& words) {
  try {
    one_group(value);
    ADD_FAILURE() << "no error for " << value;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(DistributionsMore, InvalidParametersNameTheKey) {
  expect_error("{ dist = \"beta\", alpha = 0, beta = 2 }", "bidders[0].value.alpha", "must lie in (0");
  expect_error("{ dist = \"beta\", alpha = 1, beta = 2, low = 2, high = 1 }", "bidders[0].value.low", "below high");
  expect_error("{ dist = \"beta\", alpha = 1 }", "bidders[0].value.beta", "required");
  expect_error("{ dist = \"lognormal\", mu = 0, sigma = -1 }", "bidders[0].value.sigma", "must lie in (0");
  expect_error("{ dist = \"lognormal\", mu = 0, sigma = 1, low = -1 }", "bidders[0].value.low", ">= 0");
  expect_error("{ dist = \"lognormal\", mu = 0, sigma = 0.01, low = 100, high = 200 }", "bidders[0].value.low",
               "no mass");
  expect_error("{ dist = \"pareto\", scale = 2, shape = 2, high = 1 }", "bidders[0].value.high", "above scale");
  expect_error("{ dist = \"pareto\", scale = 0, shape = 2 }", "bidders[0].value.scale", "must lie in (0");
  expect_error("{ dist = \"gamma\", shape = 2, scale = 1, rate = 1 }", "bidders[0].value.scale", "exactly one");
  expect_error("{ dist = \"gamma\", shape = 2 }", "bidders[0].value.scale", "exactly one");
  expect_error("{ dist = \"gamma\", shape = 2e5, scale = 1 }", "bidders[0].value.shape", "must lie in (0");
  expect_error("{ dist = \"gamma\", shape = 2, scale = 1, mean = 3 }", "bidders[0].value.mean", "unknown key");
  expect_error("{ dist = \"weibull\", k = 2 }", "bidders[0].value.dist", "gamma");
}

// The empirical distribution read from a CSV of observed values (first column, optional header).
TEST(DistributionsMore, EmpiricalFromCsvFile) {
  const std::string dir = ::testing::TempDir();
  const std::string file = dir + "/mcrev_observed_values.csv";
  {
    std::ofstream out(file);
    out << "value,comment\n3.0,a\n1.0,b\n# skipped\n2.0,c\n\n4.0,d\n";
  }
  const Scenario sc = parse_scenario(
      "[[bidders]]\nvalue = { dist = \"empirical\", file = \"mcrev_observed_values.csv\" }\n"
      "[[mechanisms]]\nkind = \"second_price\"\n",
      dir);
  const DistributionSpec& v = sc.groups[0].value;
  ASSERT_EQ(v.table_x, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(v.table_f, (std::vector<double>{0, 1.0 / 3, 2.0 / 3, 1}));
  const ModelData md = build_model(sc);
  const Distribution& d = md.groups[0].dist;
  EXPECT_DOUBLE_EQ(d.quantile(0.5, md.arena.data()), 2.5);  // linear between the order statistics
  EXPECT_DOUBLE_EQ(d.cdf(3.5, md.arena.data()), 2.0 / 3 + 1.0 / 6);
  // A malformed file names the key and the line.
  {
    std::ofstream out(file);
    out << "value\n1.0\nabc\n";
  }
  try {
    parse_scenario("[[bidders]]\nvalue = { dist = \"empirical\", file = \"mcrev_observed_values.csv\" }\n"
                   "[[mechanisms]]\nkind = \"second_price\"\n",
                   dir);
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), "bidders[0].value.file");
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  std::remove(file.c_str());
}

}  // namespace
}  // namespace mcrev
