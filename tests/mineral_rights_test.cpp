// The mineral-rights common value (`[values] kind = "mineral_rights"`; host/solvers/mineral_rights.hpp;
// docs/single_item.md "Mineral rights: a common draw plus noise" derives every number used here):
// the bid tables against closed forms, a per-profile hand case, revenues and the winner's curse
// against closed forms within 5 SE, determinism and scope errors.
#include "solvers/mineral_rights.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>
#include <vector>

using namespace mcrev;
using namespace mcrev::test;

namespace {

// Normal–normal, two bidders: V ~ N(μ, σ_V²), ε ~ N(0, σ²) (both truncated at 8 SD, below 1e-15).
constexpr double kMu = 5.0, kSv = 0.5, kS = 0.3;
const std::string kNormal = std::string("[values]\nkind = \"mineral_rights\"\n[correlation]\nkind = \"affiliated\"\n") +
                            "common = { dist = \"normal\", mean = 5.0, sd = 0.5, low = 1.0, high = 9.0 }\n"
                            "[[bidders]]\ncount = 2\nvalue = { dist = \"normal\", mean = 0.0, sd = 0.3, low = -2.4, high = 2.4 }\n";

std::string uniform_model(int n, double a) {
  return "[values]\nkind = \"mineral_rights\"\n[correlation]\nkind = \"affiliated\"\n"
         "common = { dist = \"uniform\", low = 0.0, high = 1.0 }\n[[bidders]]\ncount = " +
         std::to_string(n) + "\nvalue = { dist = \"uniform\", low = " + std::to_string(-a) + ", high = " + std::to_string(a) + " }\n";
}

std::string mechanism(const std::string& kind, const std::string& strategy, const std::string& name = "") {
  return "[[mechanisms]]\n" + (name.empty() ? "" : "name = \"" + name + "\"\n") + "kind = \"" + kind +
         "\"\nstrategy = \"" + strategy + "\"\n";
}

/// V ~ U[0,1], ε ~ U[−a, a], n bidders: given s_i = x and the highest other signal at x, the posterior
/// of V is ∝ (x − c + a)^{n−2} on [max(0, x − a), min(1, x + a)]; with u = x − c + a on [u0, u1]
/// E[u] = ((n − 1)/n)(u1^n − u0^n)/(u1^{n−1} − u0^{n−1}) and v(x, x) = x + a − E[u]. Naive: the
/// posterior is uniform on that interval, E[V | x] its midpoint.
double uniform_vxx(int n, double a, double x) {
  const double u0 = x + a - std::min(1.0, x + a), u1 = x + a - std::max(0.0, x - a);
  return x + a - (n - 1.0) / n * (std::pow(u1, n) - std::pow(u0, n)) / (std::pow(u1, n - 1) - std::pow(u0, n - 1));
}
double uniform_naive(double a, double x) { return 0.5 * (std::max(0.0, x - a) + std::min(1.0, x + a)); }

double bid_of(const ModelData& md, int m, double s) {
  const Model view = md.view();
  return view.strategies[view.mechanisms[m].strategies].bid(s, view.groups[0].dist, view.arena);
}

}  // namespace

TEST(MineralRights, BidTablesAgainstClosedForms) {
  // Normal–normal, n = 2: v(x, x) = E[V | s_1 = s_2 = x] = (σ² μ + 2σ_V² x)/(σ² + 2σ_V²) and naive
  // E[V | s = x] = (σ² μ + σ_V² x)/(σ² + σ_V²) (Gaussian posteriors), checked where the truncation
  // at 8 SD is immaterial (|x − μ| <= 2); tolerance: the table's measured error + 1e-12.
  {
    const ModelData md = build_model(parse_scenario(kNormal + mechanism("second_price", "bne") + mechanism("second_price", "naive", "n")));
    const double e0 = md.bid_tables[0][0].max_error, e1 = md.bid_tables[1][0].max_error;
    EXPECT_LT(e0, 1e-3);
    for (double x = 3.0; x <= 7.0; x += 0.01) {
      EXPECT_NEAR(bid_of(md, 0, x), (kS * kS * kMu + 2 * kSv * kSv * x) / (kS * kS + 2 * kSv * kSv), e0 + 1e-12) << x;
      EXPECT_NEAR(bid_of(md, 1, x), (kS * kS * kMu + kSv * kSv * x) / (kS * kS + kSv * kSv), e1 + 1e-12) << x;
    }
  }
  // Uniforms, n = 3 and 5, a = 0.1: the piecewise closed forms above over the whole signal range
  // (interior: v(x, x) = x − a(n − 2)/n, Kagel and Levin's second-price bid; naive x).
  for (int n : {3, 5}) {
    const double a = 0.1;
    const ModelData md = build_model(parse_scenario(uniform_model(n, a) + mechanism("second_price", "bne") +
                                                    mechanism("second_price", "naive", "n")));
    const double e0 = md.bid_tables[0][0].max_error, e1 = md.bid_tables[1][0].max_error;
    EXPECT_LT(e0, 1e-3);
    for (int k = 1; k < 1200; ++k) {
      const double x = -a + (1 + 2 * a) * k / 1200.0;
      EXPECT_NEAR(bid_of(md, 0, x), uniform_vxx(n, a, x), e0 + 1e-12) << n << " " << x;
      EXPECT_NEAR(bid_of(md, 1, x), uniform_naive(a, x), e1 + 1e-12) << n << " " << x;
    }
    EXPECT_NEAR(uniform_vxx(n, a, 0.5), 0.5 - a * (n - 2) / n, 1e-15);
  }
}

TEST(MineralRights, PerProfileHandCase) {
  // V ~ U[0,1], ε ~ U[−0.1, 0.1], n = 3, signals (0.5, 0.3, 0.45) on profile 0: interior bids
  // x − 0.1/3; bidder 0 wins and pays 0.45 − 0.1/3. Every value is profile 0's common draw
  // V = first uniform of lane kCorrelationLane: welfare V, bidder 0's utility V − price (per bidder
  // of the group: /3). Naive first price: bids = signals (interior), pays 0.5.
  ScenarioFixture f("seed = 11\n" + uniform_model(3, 0.1) + mechanism("second_price", "bne") +
                    mechanism("first_price", "naive", "fp_naive"));
  const double V = Stream(11, 0, kCorrelationLane).uniform();
  const double price = 0.45 - 0.1 / 3;
  std::vector<double> x = metrics_on(f, 0, {0.5, 0.3, 0.45});
  EXPECT_NEAR(x[metric::kRevenue], price, 1e-6);
  EXPECT_EQ(x[metric::kWelfare], V);
  EXPECT_NEAR(x[metric::utility(0)], (V - price) / 3, 1e-6);
  x = metrics_on(f, 1, {0.5, 0.3, 0.45});
  EXPECT_NEAR(x[metric::kRevenue], 0.5, 1e-6);
  EXPECT_NEAR(x[metric::utility(0)], (V - 0.5) / 3, 1e-6);
}

TEST(MineralRights, RevenuesAndWinnersCurseClosedForms) {
  // Normal–normal, n = 2 (derivation in the docs): E[min(s_1, s_2)] = μ − σ/√π, E[max] = μ + σ/√π,
  // k = 2σ_V²/(σ² + 2σ_V²), r = σ_V²/(σ² + σ_V²). Second price at v(x, x): revenue μ − kσ/√π,
  // winner's curse statistic E[V − price] = kσ/√π; naive second price μ − rσ/√π (+rσ/√π); naive first
  // price pays r·max + (1 − r)μ: μ + rσ/√π, E[V − price] = −rσ/√π < 0 (the winner's curse).
  const Scenario sc = parse_scenario("samples = 400000\nseed = 3\n" + kNormal + mechanism("second_price", "bne") +
                                     mechanism("second_price", "naive", "sp_naive") +
                                     mechanism("first_price", "naive", "fp_naive"));
  const RunResult res = run_cpu_scenario(sc);
  const double q = kS / std::sqrt(M_PI), k = 2 * kSv * kSv / (kS * kS + 2 * kSv * kSv), r = kSv * kSv / (kS * kS + kSv * kSv);
  EXPECT_TRUE(WithinSE(res.mechanisms[0].revenue, kMu - k * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[0].winners_curse, k * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[1].revenue, kMu - r * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[1].winners_curse, r * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[2].revenue, kMu + r * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[2].winners_curse, -r * q));
  EXPECT_TRUE(WithinSE(res.mechanisms[0].welfare, kMu));
  EXPECT_LT(res.mechanisms[2].winners_curse.ci_high, 0.0);
}

TEST(MineralRights, DeterministicOnAnyThreadCount) {
  expect_cpu_backend_is_per_profile_model(parse_scenario("samples = 3000\nseed = 4\n" + uniform_model(3, 0.1) +
                                                         mechanism("second_price", "bne") + mechanism("first_price", "naive")));
  expect_cpu_backend_is_per_profile_model(parse_scenario("samples = 3000\nseed = 5\n" + kNormal + mechanism("second_price", "bne")));
}

TEST(MineralRights, ScopeErrorsNameTheKey) {
  const std::string no_corr = "[values]\nkind = \"mineral_rights\"\n[[bidders]]\ncount = 2\n"
                              "value = { dist = \"uniform\", low = -0.1, high = 0.1 }\n";
  EXPECT_NE(scenario_error(no_corr + mechanism("second_price", "bne")).find("values: "), std::string::npos);
  EXPECT_NE(scenario_error(uniform_model(2, 0.1) + mechanism("first_price", "bne")).find("mechanisms[0].strategy: "),
            std::string::npos);
  EXPECT_NE(scenario_error(uniform_model(2, 0.1) + mechanism("second_price", "bne") + "reserve = 0.2\n").find("mechanisms[0].reserve: "),
            std::string::npos);
  std::string copula = uniform_model(2, 0.1);
  copula.replace(copula.find("kind = \"affiliated\""), 19, "kind = \"gaussian_copula\"\nrho = 0.3");
  EXPECT_NE(scenario_error(copula + mechanism("second_price", "truthful")), "no error");  // `common` is unknown there
  copula.erase(copula.find("common = "), copula.find("[[bidders]]") - copula.find("common = "));
  EXPECT_NE(scenario_error(copula + mechanism("second_price", "truthful")).find("correlation.kind: "), std::string::npos);
  EXPECT_NE(scenario_error("[values]\nkind = \"wallet\"\n" + no_corr.substr(no_corr.find("[[bidders]]"))).find("mineral_rights"),
            std::string::npos);
}
