// Correlated values (mcrev/correlation.hpp): the Gaussian copula and affiliated (common + private)
// values, their scenario keys, warnings, and that the independent model's streams are unchanged.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/core/special.hpp"
#include "output/output.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace mcrev {
namespace {

const char* kTwoGroups =
    "seed = 99\n"
    "[[bidders]]\nname = \"a\"\ncount = 2\nvalue = { dist = \"beta\", alpha = 2, beta = 5 }\n"
    "[[bidders]]\nname = \"b\"\ncount = 2\nvalue = { dist = \"exponential\", rate = 2.0 }\n"
    "[[mechanisms]]\nkind = \"second_price\"\n";

Scenario with_correlation(const std::string& corr, const char* base = kTwoGroups) {
  return parse_scenario(std::string(base) + corr);
}

std::vector<std::vector<double>> draw(const ModelData& md, int profiles) {
  const Model m = md.view();
  std::vector<std::vector<double>> out(profiles, std::vector<double>(md.n_bidders));
  for (int p = 0; p < profiles; ++p) draw_values(m, static_cast<std::uint64_t>(p), out[p].data());
  return out;
}

TEST(Correlation, IndependentStreamsAreUnchanged) {
  const ModelData md = build_model(parse_scenario(kTwoGroups));
  ASSERT_EQ(md.correlation.kind, CorrelationKind::Independent);
  const auto vs = draw(md, 100);
  for (int p = 0; p < 100; ++p) {
    Stream s(md.seed, static_cast<std::uint64_t>(p), kValueLane);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(vs[p][i], md.groups[i / 2].dist.quantile(s.uniform(), nullptr));
  }
}

TEST(Correlation, CopulaWithZeroRhoReproducesIndependentValues) {
  const auto ind = draw(build_model(parse_scenario(kTwoGroups)), 200);
  const auto cop = draw(build_model(with_correlation("[correlation]\nkind = \"gaussian_copula\"\nrho = 0.0\n")), 200);
  for (int p = 0; p < 200; ++p)
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(cop[p][i], ind[p][i], 1e-9 * (1 + ind[p][i]));
}

// Normal scores z_i = Φ^{-1}(F_g(v_i)) have pairwise correlation rho; marginals stay F_g.
TEST(Correlation, CopulaNormalScoresHaveCorrelationRho) {
  constexpr int n = 40000;
  for (double rho : {0.3, 0.8, -0.25}) {  // -1/(n-1) = -1/3 for 4 bidders
    SCOPED_TRACE(rho);
    Scenario sc = with_correlation("[correlation]\nkind = \"gaussian_copula\"\nrho = " + std::to_string(rho) + "\n");
    const ModelData md = build_model(sc);
    const auto vs = draw(md, n);
    std::vector<std::vector<double>> z(4, std::vector<double>(n));
    for (int i = 0; i < 4; ++i) {
      const Distribution& d = md.groups[i / 2].dist;
      std::vector<double> col(n);
      for (int p = 0; p < n; ++p) {
        col[p] = vs[p][i];
        z[i][p] = normal_quantile(d.cdf(vs[p][i], nullptr));
      }
      // Marginal: KS against F_g, sqrt(n)·D < 1.95 (P ≈ 0.001 under the null).
      std::sort(col.begin(), col.end());
      double dn = 0;
      for (int p = 0; p < n; ++p) {
        const double f = d.cdf(col[p], nullptr);
        dn = std::max({dn, f - static_cast<double>(p) / n, static_cast<double>(p + 1) / n - f});
      }
      EXPECT_LT(std::sqrt(static_cast<double>(n)) * dn, 1.95) << "bidder " << i;
    }
    // Pearson correlation of normal scores: SE ≈ (1 − rho²)/√n for a bivariate normal.
    const double se = (1 - rho * rho) / std::sqrt(static_cast<double>(n));
    for (int i = 0; i < 4; ++i)
      for (int j = i + 1; j < 4; ++j) {
        double mi = 0, mj = 0;
        for (int p = 0; p < n; ++p) {
          mi += z[i][p];
          mj += z[j][p];
        }
        mi /= n;
        mj /= n;
        double sij = 0, sii = 0, sjj = 0;
        for (int p = 0; p < n; ++p) {
          sij += (z[i][p] - mi) * (z[j][p] - mj);
          sii += (z[i][p] - mi) * (z[i][p] - mi);
          sjj += (z[j][p] - mj) * (z[j][p] - mj);
        }
        EXPECT_NEAR(sij / std::sqrt(sii * sjj), rho, 5 * se) << "pair " << i << "," << j;
      }
  }
}

// v_i = w·C + P_i: Cov(v_i, v_j) = w² Var(C) (i ≠ j), Var(v_i) = w² Var(C) + Var(P_g), E v_i = w E C + E P_g.
TEST(Correlation, AffiliatedValuesHaveKnownMomentsAndCovariance) {
  constexpr int n = 40000;
  const double w = 0.5;
  const Scenario sc = parse_scenario(
      "seed = 5\n[correlation]\nkind = \"affiliated\"\nweight = 0.5\ncommon = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[bidders]]\ncount = 2\nvalue = { dist = \"beta\", alpha = 2, beta = 2 }\n"
      "[[bidders]]\nvalue = { dist = \"uniform\", low = 0, high = 2 }\n"
      "[[mechanisms]]\nkind = \"second_price\"\n");
  const ModelData md = build_model(sc);
  const auto vs = draw(md, n);
  const double var_c = 1.0 / 12, mean_c = 0.5;
  const double mean_p[3] = {0.5, 0.5, 1.0}, var_p[3] = {0.05, 0.05, 4.0 / 12};  // beta(2,2): 1/20
  auto mean_se = [&](auto f) {
    double s = 0, s2 = 0;
    for (int p = 0; p < n; ++p) {
      const double y = f(p);
      s += y;
      s2 += y * y;
    }
    const double m = s / n;
    return std::pair<double, double>{m, std::sqrt((s2 / n - m * m) / n)};
  };
  for (int i = 0; i < 3; ++i) {
    const auto [m, se] = mean_se([&](int p) { return vs[p][i]; });
    EXPECT_NEAR(m, w * mean_c + mean_p[i], 5 * se) << "mean of bidder " << i;
    const double mu = w * mean_c + mean_p[i];
    const auto [v2, se2] = mean_se([&](int p) { return (vs[p][i] - mu) * (vs[p][i] - mu); });
    EXPECT_NEAR(v2, w * w * var_c + var_p[i], 5 * se2) << "variance of bidder " << i;
  }
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j) {
      const double mi = w * mean_c + mean_p[i], mj = w * mean_c + mean_p[j];
      const auto [c, se] = mean_se([&](int p) { return (vs[p][i] - mi) * (vs[p][j] - mj); });
      EXPECT_NEAR(c, w * w * var_c, 5 * se) << "covariance " << i << "," << j;
    }
}

// Second price with two bidders earns E[min(V1, V2)].
//  Copula, U[0,1] marginals, (Z1, Z2) standard bivariate normal with correlation ρ:
//    E[min] = ∫_0^1 P(V1 > x, V2 > x) dx = ∫ φ(y) P(Z1 > y, Z2 > y) dy,            x = Φ(y)
//    P(Z1 > y, Z2 > y) = ∫_y^∞ φ(z) Φ̄((y − ρ z)/√(1 − ρ²)) dz      (trapezoid in y, Simpson in z)
//  Affiliated, v_i = w C + P_i with C, P_i ~ U[0,1]: E[min] = w/2 + 1/3.
double copula_expected_min(double rho) {
  const int k = 1601;
  const double lo = -8.5, hi = 8.5, h = (hi - lo) / (k - 1);
  const double c = std::sqrt(1 - rho * rho);
  double outer = 0;
  for (int a = 0; a < k; ++a) {
    const double y = lo + a * h;
    const double hz = (hi - y) / (k - 1);
    double inner = 0;
    for (int b = 0; b < k; ++b) {
      const double z = y + b * hz;
      const double simpson = (b == 0 || b == k - 1) ? 1.0 : (b % 2 ? 4.0 : 2.0);
      inner += simpson * normal_pdf(z) * normal_sf((y - rho * z) / c);
    }
    outer += (a == 0 || a == k - 1 ? 0.5 : 1.0) * inner * hz / 3 * normal_pdf(y);
  }
  return outer * h;
}

TEST(Correlation, SecondPriceRevenueMatchesQuadrature) {
  const char* base =
      "samples = 200000\nseed = 11\n[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[mechanisms]]\nkind = \"second_price\"\n";
  RunOptions opt;
  opt.backend = Backend::Cpu;
  opt.threads = 2;
  for (double rho : {0.5, -0.6}) {
    const double truth = copula_expected_min(rho);
    const RunResult r =
        run(with_correlation("[correlation]\nkind = \"gaussian_copula\"\nrho = " + std::to_string(rho) + "\n", base), opt);
    EXPECT_NEAR(r.mechanisms[0].revenue.mean, truth, 5 * r.mechanisms[0].revenue.stderr_) << "rho " << rho;
  }
  EXPECT_NEAR(copula_expected_min(0.0), 1.0 / 3, 1e-9);  // the quadrature itself, at independence
  const RunResult r = run(
      with_correlation("[correlation]\nkind = \"affiliated\"\nweight = 0.8\ncommon = { dist = \"uniform\", low = 0, high = 1 }\n",
                       base),
      opt);
  EXPECT_NEAR(r.mechanisms[0].revenue.mean, 0.4 + 1.0 / 3, 5 * r.mechanisms[0].revenue.stderr_);
}

TEST(Correlation, DeterministicAcrossThreadCounts) {
  Scenario sc = with_correlation("[correlation]\nkind = \"gaussian_copula\"\nrho = 0.4\n");
  sc.samples = 70000;
  RunOptions one, two;
  one.backend = two.backend = Backend::Cpu;
  one.threads = 1;
  two.threads = 2;
  one.chunk_profiles = two.chunk_profiles = 1 << 13;
  EXPECT_EQ(run(sc, one).partial, run(sc, two).partial);
}

TEST(Correlation, WarnsWhenCombinedWithEquilibriumBidding) {
  const char* base =
      "samples = 1000\n[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
      "[[mechanisms]]\nkind = \"second_price\"\n[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n"
      "[[mechanisms]]\nkind = \"first_price\"\nname = \"shaded\"\nstrategy = \"shade\"\nfactor = 0.5\n";
  EXPECT_TRUE(scenario_warnings(parse_scenario(base)).empty());
  const Scenario sc = with_correlation("[correlation]\nkind = \"gaussian_copula\"\nrho = 0.2\n", base);
  const std::vector<std::string> w = scenario_warnings(sc);
  ASSERT_EQ(w.size(), 1u);  // only the bne mechanism
  EXPECT_NE(w[0].find("mechanisms[1]"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("revenue equivalence"), std::string::npos) << w[0];
  EXPECT_TRUE(assumes_independent_values(sc.mechanisms[1]));
  EXPECT_FALSE(assumes_independent_values(sc.mechanisms[0]));
  RunOptions opt;
  opt.backend = Backend::Cpu;
  const RunResult r = run(sc, opt);
  EXPECT_EQ(r.warnings, w);
  const std::string json = format_json(sc, r);
  EXPECT_NE(json.find("\"warnings\""), std::string::npos);
  EXPECT_EQ(format_json(parse_scenario(base), run(parse_scenario(base), opt)).find("\"warnings\""), std::string::npos);
}

void expect_error(const std::string& corr, const std::string& path, const std::string& words) {
  try {
    with_correlation(corr);
    ADD_FAILURE() << "no error for " << corr;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(Correlation, InvalidKeysNameThePath) {
  expect_error("[correlation]\nkind = \"gaussian_copula\"\nrho = 1.0\n", "correlation.rho", "strictly between");
  expect_error("[correlation]\nkind = \"gaussian_copula\"\nrho = -0.5\n", "correlation.rho", "-1/(n-1)");
  expect_error("[correlation]\nkind = \"gaussian_copula\"\n", "correlation.rho", "required");
  expect_error("[correlation]\nkind = \"t_copula\"\n", "correlation.kind", "gaussian_copula");
  expect_error("[correlation]\nkind = \"affiliated\"\n", "correlation.common", "required");
  expect_error("[correlation]\nkind = \"affiliated\"\ncommon = { dist = \"uniform\", low = 1, high = 0 }\n",
               "correlation.common.low", "below high");
  expect_error("[correlation]\nkind = \"gaussian_copula\"\nrho = 0.1\nweight = 2\n", "correlation.weight", "unknown key");
}

}  // namespace
}  // namespace mcrev
