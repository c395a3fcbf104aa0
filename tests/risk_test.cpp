// Risk-averse (CRRA) bidders (issue 15; docs/single_item.md "Risk-averse bidders"): utility
// risk_utility(ρ, w) = sign(w)|w|^ρ of the net gain, the symmetric first-price equilibrium
// β(v) = v − ∫_r^v (F(x)/F(v))^{(n−1)/ρ} dx, second price truthful, utilities and incentive
// statistics in the bidders' utility.
#include "mcrev/incentives/expost.hpp"
#include "mcrev/incentives/interim.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::string crra_bidders(int n, double rho) {
  return "[[bidders]]\ncount = " + std::to_string(n) +
         "\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\nrisk = { kind = \"crra\", rho = " + std::to_string(rho) +
         " }\n";
}

double bid_of(const ModelData& md, int m, int g, double v) {
  const Model view = md.view();
  return view.strategies[view.mechanisms[m].strategies + g].bid(v, view.groups[g].dist, view.arena);
}

std::string error_of(const std::string& toml) {
  try {
    build_model(parse_scenario(toml));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(RiskAverse, UtilityOfTheNetGain) {
  EXPECT_EQ(risk_utility(1.0, 0.37), 0.37);
  EXPECT_EQ(risk_utility(1.0, -0.37), -0.37);
  EXPECT_DOUBLE_EQ(risk_utility(0.5, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(risk_utility(0.5, -0.25), -0.5);
  EXPECT_EQ(risk_utility(0.5, 0.0), 0.0);
  // All-pay, truthful bids: values (0.5, 0.9) bid (0.5, 0.9): the winner gets (0.9 − 0.9)^ρ = 0, the
  // loser −0.5^ρ; first price at bids (0.3, 0.6): the winner (value 0.9) gets 0.3^ρ.
  ScenarioFixture f(crra_bidders(2, 0.5) + "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"truthful\"\n"
                                           "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"truthful\"\n");
  const double v[2] = {0.5, 0.9};
  Outcome o = f.outcome(0, {0.5, 0.9});
  EXPECT_EQ(bidder_utility(f.m, o, v, 1), 0.0);
  EXPECT_DOUBLE_EQ(bidder_utility(f.m, o, v, 0), -std::sqrt(0.5));
  o = f.outcome(1, {0.3, 0.6});
  EXPECT_DOUBLE_EQ(bidder_utility(f.m, o, v, 1), std::sqrt(0.3));
  EXPECT_EQ(bidder_utility(f.m, o, v, 0), 0.0);
}

TEST(RiskAverse, FirstPriceEquilibriumClosedForms) {
  // e = (n − 1)/ρ; U[0,1]: β(v) = v − ∫_r^v (x/v)^e dx = v − (v^{e+1} − r^{e+1})/((e + 1) v^e).
  // 2 bidders, ρ = 1/2: e = 2, β = 2v/3 (the issue's check); 3 bidders, ρ = 0.25: e = 8, β = 8v/9.
  for (auto [n, rho, r] : {std::tuple{2, 0.5, 0.0}, std::tuple{3, 0.25, 0.0}, std::tuple{2, 0.5, 0.3}}) {
    const ModelData md = build_model(parse_scenario(crra_bidders(n, rho) + "[[mechanisms]]\nkind = \"first_price\"\nreserve = " +
                                                    std::to_string(r) + "\n"));
    const double e = (n - 1) / rho;
    for (double v = std::max(r, 0.01); v <= 1.0; v += 0.01) {
      const double want = v - (std::pow(v, e + 1) - std::pow(r, e + 1)) / ((e + 1) * std::pow(v, e));
      EXPECT_NEAR(bid_of(md, 0, 0, v), want, 1e-9) << n << " " << rho << " " << v;
    }
    if (r > 0) {
      EXPECT_EQ(bid_of(md, 0, 0, r - 0.01), kNoBid);
    }
    EXPECT_EQ(md.bid_tables[0][0].method, "symmetric crra");
  }
}

TEST(RiskAverse, RevenueUtilitiesAndTruthfulSecondPrice) {
  // 2 U[0,1] bidders, ρ = 1/2. First price at β = 2v/3: revenue (2/3)E[V(1)] = 4/9 (above second
  // price's 1/3); a bidder's utility E[(V/3)^{1/2} 1{win}] = ∫_0^1 (v/3)^{1/2} v dv = (2/5)/√3.
  // Second price: E[(V1 − V2)^{1/2}; V1 > V2] = ∫_0^1 (2/3) x^{3/2} dx = 4/15; ex-post regret 0 (DSIC).
  const Scenario sc = parse_scenario("samples = 400000\nseed = 17\n" + crra_bidders(2, 0.5) + R"(
[[mechanisms]]
kind = "second_price"
incentives = { expost_regret = true, deviations = 16, refine_levels = 1 }
[[mechanisms]]
kind = "first_price"
)");
  const RunResult r = run_cpu_scenario(sc);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 1.0 / 3));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 4.0 / 9));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 4.0 / 9 - 1.0 / 3));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].bidders[0].utility, 0.4 / std::sqrt(3.0)));
  EXPECT_TRUE(WithinSE(r.mechanisms[0].bidders[0].utility, 4.0 / 15));
  EXPECT_EQ(r.mechanisms[0].incentives.expost.regret.mean, 0.0);
  EXPECT_EQ(r.mechanisms[0].incentives.expost.regret.stderr_, 0.0);
}

TEST(RiskAverse, InterimLossAtTheEquilibriumIsZero) {
  // At β = 2v/3 the cross-fitted interval contains 0. The risk-neutral equilibrium v/2 is not one
  // for these bidders: against v/2, bidding b wins w.p. min(1, 2b), and max_b 2b (v − b)^{1/2} is at
  // b = 2v/3, so shading to v/2 loses ≈ 0.063 v^{3/2} per type (for v <= 3/4).
  const Scenario sc = parse_scenario("samples = 1000\nseed = 3\n" + crra_bidders(2, 0.5) + R"(
[[mechanisms]]
kind = "first_price"
incentives = { interim_loss = true, values = 16, deviations = 64, opponent_samples = 131072 }
[[mechanisms]]
name = "neutral_bids"
kind = "first_price"
strategy = "shade"
factor = 0.5
incentives = { interim_loss = true, values = 16, deviations = 64, opponent_samples = 65536 }
)");
  const RunResult r = run_cpu_scenario(sc);
  const InterimGroupResult& bne = r.mechanisms[0].incentives.interim.at(0);
  EXPECT_LE(bne.exante_crossfit.ci_low, 0.0);
  EXPECT_GE(bne.exante_crossfit.ci_high, 0.0);
  // The prescribed interim utility: U(v) = P(win) (v/3)^{1/2} = v (v/3)^{1/2}, averaged on the type grid.
  double want = 0.0;
  for (int k = 0; k < 16; ++k) {
    const double v = (k + 0.5) / 16;
    want += v * std::sqrt(v / 3) / 16;
  }
  EXPECT_TRUE(WithinSE(bne.prescribed_utility, want));
  const InterimGroupResult& neutral = r.mechanisms[1].incentives.interim.at(0);
  EXPECT_GT(neutral.exante_crossfit.ci_low, 0.005);
}

TEST(RiskAverse, DeterministicOnAnyThreadCount) {
  const Scenario sc = parse_scenario("samples = 3000\nseed = 8\n" + crra_bidders(3, 0.7) + R"(
[[mechanisms]]
kind = "first_price"
incentives = { expost_regret = true, deviations = 8, refine_levels = 1 }
[[mechanisms]]
kind = "all_pay"
strategy = "shade"
factor = 0.3
)");
  expect_cpu_backend_is_per_profile_model(sc);
  const ModelData md = build_model(sc);
  IncentiveOptions opt;
  opt.enabled = opt.interim_loss = true;
  opt.values = 8;
  opt.deviations = 16;
  opt.opponent_samples = 5000;
  opt.batches = 8;
  const InterimGrid grid = make_interim_grid(md, 0, 0, opt);
  const InterimLayout layout = interim_layout(opt.opponent_samples, opt.batches);
  const InterimSums a = interim_sums_cpu(md, grid, layout, 1), b = interim_sums_cpu(md, grid, layout, 2);
  ASSERT_EQ(a.util.size(), static_cast<size_t>(8 * grid.bids.size() * 8));
  for (size_t k = 0; k < a.util.size(); ++k) ASSERT_EQ(a.util[k], b.util[k]) << k;
}

TEST(RiskAverse, ScenarioErrorsNameTheKey) {
  auto has = [](const std::string& msg, const std::string& key) {
    return msg.find(key) != std::string::npos ? ::testing::AssertionSuccess()
                                              : ::testing::AssertionFailure() << "'" << msg << "' lacks " << key;
  };
  const std::string sp = "[[mechanisms]]\nkind = \"second_price\"\n";
  EXPECT_TRUE(has(error_of(crra_bidders(2, 0.0) + sp), "bidders[0].risk.rho"));
  EXPECT_TRUE(has(error_of(crra_bidders(2, 1.5) + sp), "bidders[0].risk.rho"));
  EXPECT_TRUE(has(error_of("[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\nrisk = { kind = "
                           "\"cara\", rho = 0.5 }\n" + sp),
                  "bidders[0].risk.kind"));
  EXPECT_TRUE(has(error_of("[market]\nkind = \"units\"\nunits = 1\n" + crra_bidders(2, 0.5) + "[[mechanisms]]\nkind = \"vcg\"\n"),
                  "bidders[0].risk"));
  EXPECT_TRUE(has(error_of(crra_bidders(2, 0.5) + "[[mechanisms]]\nkind = \"all_pay\"\n"), "mechanisms[0].strategy"));
  EXPECT_TRUE(has(error_of(crra_bidders(3, 0.5) + "[[mechanisms]]\nkind = \"third_price\"\n"), "mechanisms[0].strategy"));
  EXPECT_TRUE(has(error_of(crra_bidders(1, 0.5) + crra_bidders(1, 0.7) + "[[mechanisms]]\nkind = \"first_price\"\n"),
                  "mechanisms[0].strategy"));
  EXPECT_EQ(error_of(crra_bidders(2, 0.5) + "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"truthful\"\n"), "no error");
  EXPECT_EQ(error_of(crra_bidders(2, 0.5) + sp + "strategy = \"bne\"\n"), "no error");
}
