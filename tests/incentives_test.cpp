// Ex-post regret, IR and budget statistics (mcrev/expost.hpp, host/incentives.cpp):
// exact per-profile cases computed by hand, exact zeros for DSIC rules, closed forms within 5 SE,
// determinism, the unchanged layout of the existing metrics, and the scenario/JSON contract.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"
#include "mcrev/pipeline/kernel_body.hpp"

#include "output/output.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

namespace mcrev {
namespace {

Scenario uniform_scenario(int n, MechKind kind, StrategySpec::Kind strategy, std::uint64_t samples) {
  Scenario sc;
  sc.samples = samples;
  sc.seed = 20240611;
  GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value.dist.kind = DistKind::Uniform;
  g.value.dist.low = 0.0;
  g.value.dist.high = 1.0;
  g.value.describe = "uniform[0, 1]";
  sc.groups.push_back(g);
  MechanismSpec m;
  m.name = "m";
  m.kind = kind;
  m.strategy.kind = strategy;
  m.incentives.enabled = true;
  m.incentives.expost_regret = true;
  sc.mechanisms.push_back(m);
  return sc;
}

RunOptions cpu(int threads = 2) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = threads;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Per-profile cases, computed by hand. Values v = (0.8, 0.45, 0.3) (no report of a grid with step
// 0.1 ties with them); first price with truthful bidding: bidder 0 wins and pays 0.8 (u = 0);
// bidders 1, 2 lose (u = 0).

struct Profile3 {
  ModelData md;
  Model view;
  double v[3] = {0.8, 0.45, 0.3};
  std::vector<double> scratch;
  double* b = nullptr;
  Outcome o;
  std::vector<double> out;
  explicit Profile3(Scenario sc) : md(build_model(sc)), view(md.view()) {
    scratch.assign(view.scratch_doubles(), 0.0);
    b = scratch.data();
    o = run_mechanism(view, 0, 0, v, b);
    out.assign(incentive_metric::per_mechanism(1), -1.0);
    write_incentive_metrics(view, 0, 0, v, b, o, out.data());
  }
};

Scenario first_price_grid(int grid, int levels, int points, std::vector<double> shading = {}) {
  Scenario sc = uniform_scenario(3, MechKind::FirstPrice, StrategySpec::Truthful, 1);
  IncentiveOptions& o = sc.mechanisms[0].incentives;
  o.deviations = grid;
  o.refine_levels = levels;
  o.refine_points = points;
  o.shading = std::move(shading);
  o.tolerance = 0.1;
  return sc;
}

TEST(ExpostProfile, FirstPriceGridOnly) {
  // Grid {0, 0.1, ..., 1}: bidder 0's best report is the smallest grid point above 0.45, 0.5:
  // gain 0.8 − 0.5. Bidder 1 would have to outbid 0.8 (u = 0.45 − d < 0), bidder 2 likewise: 0.
  Profile3 p(first_price_grid(11, 0, 1));
  ASSERT_EQ(p.o.winner, 0);
  EXPECT_EQ(p.out[incentive_metric::kRegret], 0.8 - 0.5);
  EXPECT_EQ(p.out[incentive_metric::kAboveTol], 1.0);
  EXPECT_DOUBLE_EQ(p.out[incentive_metric::gain(0)], (0.8 - 0.5) / 3);
  EXPECT_EQ(p.out[incentive_metric::above_tol(0)], 1.0 / 3);
  EXPECT_EQ(p.out[incentive_metric::negative(0)], 0.0);
  EXPECT_EQ(p.out[incentive_metric::kDeficit], 0.0);
  const Deviation d1 = best_deviation(p.view, 0, 0, p.v, p.b, 1, 0.0);
  EXPECT_EQ(d1.utility, 0.0);  // no report beats the incumbent
  EXPECT_EQ(d1.report, 0.45);  // the prescribed report stays
}

TEST(ExpostProfile, FirstPriceRefinement) {
  // Refinement with 4 points and 2 rounds: round 1 around 0.5 with h = 0.1, step 0.2/5 = 0.04:
  // 0.44 (loses), 0.48, 0.52, 0.56 -> 0.48 is best; round 2 around 0.48 with h = 0.04, step 0.016:
  // 0.456, 0.472, 0.488, 0.504 -> 0.456; the gain is 0.8 − 0.456 (up to rounding of the points).
  Profile3 p(first_price_grid(11, 2, 4));
  const Deviation d = best_deviation(p.view, 0, 0, p.v, p.b, 0, 0.0);
  EXPECT_NEAR(d.report, 0.456, 1e-15);
  EXPECT_EQ(d.utility, 0.8 - d.report);
  EXPECT_NEAR(p.out[incentive_metric::kRegret], 0.344, 1e-15);
}

TEST(ExpostProfile, FirstPriceShading) {
  // Shading factors 0.7 (report 0.56, worse than the grid's 0.5) and 0.6 (report 0.48, best).
  Profile3 p(first_price_grid(11, 0, 1, {0.7, 0.6}));
  const Deviation d = best_deviation(p.view, 0, 0, p.v, p.b, 0, 0.0);
  EXPECT_EQ(d.report, 0.6 * 0.8);
  EXPECT_EQ(p.out[incentive_metric::kRegret], 0.8 - 0.6 * 0.8);
}

TEST(ExpostProfile, AllPayRegretAndIr) {
  // All-pay, truthful bids: everyone pays its bid. u = (0.8 − 0.8, −0.45, −0.3).
  // Bidder 0's best report: just above 0.45 -> grid 0.5, u = 0.3. Bidders 1, 2: report 0 (grid
  // point 0, pays 0, loses) -> u = 0; gains 0.45 and 0.3. IR: 2 of 3 negative, shortfall 0.75/3.
  Scenario sc = first_price_grid(11, 0, 1);
  sc.mechanisms[0].kind = MechKind::AllPay;
  Profile3 p(sc);
  EXPECT_DOUBLE_EQ(p.out[incentive_metric::kRegret], (0.8 - 0.5) + 0.45 + 0.3);
  EXPECT_EQ(p.out[incentive_metric::kAboveTol], 1.0);
  EXPECT_EQ(p.out[incentive_metric::above_tol(0)], 1.0);
  EXPECT_EQ(p.out[incentive_metric::negative(0)], 2.0 / 3);
  EXPECT_DOUBLE_EQ(p.out[incentive_metric::shortfall(0)], 0.75 / 3);
  EXPECT_DOUBLE_EQ(p.out[incentive_metric::ir_cross(0)], (2.0 / 3) * (0.75 / 3));
}

TEST(ExpostProfile, SecondPriceWithReserveIsExactlyZero) {
  // Reserve 0.6: bidder 0 wins alone and pays the reserve (u = 0.2); any report of bidders 1 and 2
  // that wins pays >= 0.8 > their values; bidder 0 cannot lower its price. Every entry is 0.0.
  Scenario sc = first_price_grid(101, 6, 8, {0.5, 0.9, 1.1});
  sc.mechanisms[0].kind = MechKind::SecondPrice;
  sc.mechanisms[0].reserve = 0.6;
  Profile3 p(sc);
  ASSERT_EQ(p.o.winner, 0);
  EXPECT_EQ(p.o.price, 0.6);
  for (double x : p.out) EXPECT_EQ(x, 0.0);
}

TEST(ExpostProfile, PostedPriceTruthfulIsExactlyZero) {
  // Price 0.5, reports = values: bidder 0 buys (u = 0.3); a report >= 0.5 of bidder 1 or 2 enters a
  // lottery whose winner pays 0.5 > its value; bidder 0 can only drop out.
  Scenario sc = first_price_grid(11, 3, 4, {0.5});
  sc.mechanisms[0].kind = MechKind::PostedPrice;
  sc.mechanisms[0].price = 0.5;
  sc.mechanisms[0].strategy.kind = StrategySpec::Truthful;
  Profile3 p(sc);
  EXPECT_EQ(p.out[incentive_metric::kRegret], 0.0);
}

// ---------------------------------------------------------------------------------------------
// Estimates over profiles.

TEST(ExpostRegret, SecondPriceIsExactlyZero) {
  // Two asymmetric groups, reserves per group, refinement and shading: dominant-strategy IC means no
  // deviation is ever strictly better, so every gain is exactly 0.0 and so are all statistics.
  Scenario sc = uniform_scenario(2, MechKind::SecondPrice, StrategySpec::Truthful, 20000);
  GroupSpec g2 = sc.groups[0];
  g2.name = "strong";
  g2.count = 2;
  g2.value.dist.low = 0.5;
  g2.value.dist.high = 2.0;
  sc.groups.push_back(g2);
  sc.mechanisms[0].group_reserves = {0.3, 0.9};
  sc.mechanisms[0].incentives.shading = {0.5, 0.9, 1.0, 1.2};
  const RunResult r = run(sc, cpu());
  const IncentiveResult& in = r.mechanisms[0].incentives;
  EXPECT_EQ(in.expost.regret.mean, 0.0);
  EXPECT_EQ(in.expost.regret.stderr_, 0.0);
  EXPECT_EQ(in.expost.above_tolerance.mean, 0.0);
  EXPECT_EQ(in.expost.distribution.max, 0.0);
  for (const QuantileEstimate& q : in.expost.distribution.quantiles) {
    EXPECT_EQ(q.value, 0.0);
    EXPECT_EQ(q.ci_high, 0.0);
  }
  for (const ExpostGroupResult& g : in.expost.groups) EXPECT_EQ(g.gain.mean, 0.0);
}

class FirstPriceTruthful : public ::testing::TestWithParam<int> {};

TEST_P(FirstPriceTruthful, RegretIsOneOverNPlusOne) {
  // Truthful first price: only the winner can gain, by bidding just above the second-highest
  // value, so Σ_i gain_i = V(1) − V(2) with E = 1/(n + 1) and P(V(1) − V(2) > x) = (1 − x)^n.
  // Grid 128 + 6 rounds of 8-point refinement put the best report within 2/127·(2/9)^6 ≈ 1.9e-6 of
  // the supremum, far below the standard error (≈ 1e-3).
  const int n = GetParam();
  const std::uint64_t N = 40000;
  Scenario sc = uniform_scenario(n, MechKind::FirstPrice, StrategySpec::Truthful, N);
  sc.mechanisms[0].incentives.tolerance = 0.1;
  const RunResult r = run(sc, cpu());
  const IncentiveResult& in = r.mechanisms[0].incentives;
  const Estimate& e = in.expost.regret;
  EXPECT_NEAR(e.mean, 1.0 / (n + 1), 5 * e.stderr_) << "n = " << n;
  EXPECT_GT(e.stderr_, 0.0);
  const double p_above = std::pow(0.9, n);
  // The estimated gain is below V(1) − V(2) by at most δ = 1.9e-6, which moves P(gain > 0.1) by at
  // most density × δ <= n δ.
  EXPECT_NEAR(in.expost.above_tolerance.mean, p_above, 5 * in.expost.above_tolerance.stderr_ + n * 1.9e-6);
  EXPECT_LE(in.expost.distribution.max, 1.0);
  EXPECT_GE(in.expost.distribution.max, in.expost.distribution.quantiles.back().value);
  for (const QuantileEstimate& q : in.expost.distribution.quantiles) {
    const double x = 1.0 - std::pow(1.0 - q.q, 1.0 / n);       // quantile of V(1) − V(2)
    const double f = n * std::pow(1.0 - x, n - 1);               // its density
    const double se = std::sqrt(q.q * (1 - q.q) / N) / f;        // of the sample quantile
    EXPECT_NEAR(q.value, x, 5 * se + x / 256) << "q = " << q.q;  // + the sketch's relative accuracy
    EXPECT_LE(q.ci_low, q.value);
    EXPECT_GE(q.ci_high, q.value);
  }
  // One group: the per-bidder gain is the total over n.
  EXPECT_NEAR(in.expost.groups[0].gain.mean * n, e.mean, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(N, FirstPriceTruthful, ::testing::Values(2, 3, 5));

TEST(ExpostRegret, FirstPriceBneTwoBidders) {
  // β(v) = v/2. Winner (v1 > v2): gain (v1 − v2)/2 (bid just above v2/2); loser: gain
  // (v2 − v1/2)^+ (outbid v1/2). E = 1/6 + ∫_0^1 ∫_{v1/2}^{v1} 2 (v2 − v1/2) dv2 dv1 = 1/6 + 1/12 = 1/4.
  Scenario sc = uniform_scenario(2, MechKind::FirstPrice, StrategySpec::Bne, 40000);
  const RunResult r = run(sc, cpu());
  const Estimate& e = r.mechanisms[0].incentives.expost.regret;
  EXPECT_NEAR(e.mean, 0.25, 5 * e.stderr_);
}

TEST(IrBudget, AllPayBneTwoBidders) {
  // All-pay BNE, n = 2, U[0,1]: β(v) = v²/2 and the loser pays its bid, so exactly one bidder of
  // each profile has u < 0: P(u < 0) = 1/2 exactly; E[max(0, −u)] = ∫ (v²/2)(1 − v) dv = 1/24;
  // E[−u | u < 0] = (1/24)/(1/2) = 1/12. Payments are never negative.
  Scenario sc = uniform_scenario(2, MechKind::AllPay, StrategySpec::Bne, 40000);
  sc.mechanisms[0].incentives.expost_regret = false;
  const RunResult r = run(sc, cpu());
  const IncentiveResult& in = r.mechanisms[0].incentives;
  EXPECT_FALSE(in.expost_enabled);
  EXPECT_EQ(in.ir[0].negative_prob.mean, 0.5);
  EXPECT_NEAR(in.ir[0].shortfall.mean, 1.0 / 24, 5 * in.ir[0].shortfall.stderr_);
  EXPECT_NEAR(in.ir[0].mean_violation.mean, 1.0 / 12, 5 * in.ir[0].mean_violation.stderr_);
  // The ratio's SE: N and S are perfectly dependent here (N = 1/2), so se(S/N) = 2 se(S).
  EXPECT_NEAR(in.ir[0].mean_violation.stderr_, 2 * in.ir[0].shortfall.stderr_, 1e-9);
  EXPECT_EQ(in.budget.deficit_prob.mean, 0.0);
  EXPECT_EQ(in.budget.total_payment.mean, r.mechanisms[0].revenue.mean);
}

TEST(IrBudget, SecondPricePaymentQuantiles) {
  // Second price, n = 2, U[0,1]: the total payment is min(V1, V2), P(min > x) = (1 − x)^2.
  const std::uint64_t N = 40000;
  Scenario sc = uniform_scenario(2, MechKind::SecondPrice, StrategySpec::Truthful, N);
  sc.mechanisms[0].incentives.quantiles = {0.1, 0.5, 0.9};
  const RunResult r = run(sc, cpu());
  const BudgetResult& b = r.mechanisms[0].incentives.budget;
  EXPECT_NEAR(b.total_payment.mean, 1.0 / 3, 5 * b.total_payment.stderr_);
  ASSERT_EQ(b.distribution.quantiles.size(), 3u);
  for (const QuantileEstimate& q : b.distribution.quantiles) {
    const double x = 1.0 - std::sqrt(1.0 - q.q), f = 2 * (1 - x);
    EXPECT_NEAR(q.value, x, 5 * std::sqrt(q.q * (1 - q.q) / N) / f + x / 256) << q.q;
  }
  EXPECT_GT(b.distribution.min, 0.0);
  EXPECT_LT(b.distribution.max, 1.0);
}

TEST(ExpostRegret, DeterministicAcrossThreadsAndChunks) {
  Scenario sc = uniform_scenario(3, MechKind::FirstPrice, StrategySpec::Bne, 9000);
  sc.mechanisms[0].incentives.shading = {0.9};
  RunOptions a = cpu(1), b = cpu(2);
  b.chunk_profiles = 1024;
  const RunResult ra = run(sc, a), rb = run(sc, b);
  ASSERT_EQ(ra.partial.size(), rb.partial.size());
  EXPECT_EQ(ra.partial, rb.partial);  // moments and sketches, bitwise
}

TEST(ExpostRegret, ExistingMetricsUnchanged) {
  // Adding an incentives table appends metrics; every existing estimate stays bitwise the same.
  Scenario plain = default_scenario();
  plain.samples = 5000;
  Scenario with = plain;
  with.mechanisms[2].incentives.enabled = true;
  with.mechanisms[2].incentives.expost_regret = true;
  with.mechanisms[2].incentives.deviations = 16;
  const RunResult a = run(plain, cpu()), b = run(with, cpu());
  for (size_t m = 0; m < a.mechanisms.size(); ++m) {
    const MechanismResult &x = a.mechanisms[m], &y = b.mechanisms[m];
    EXPECT_EQ(x.revenue.mean, y.revenue.mean);
    EXPECT_EQ(x.revenue.stderr_, y.revenue.stderr_);
    EXPECT_EQ(x.welfare.mean, y.welfare.mean);
    EXPECT_EQ(x.efficiency.mean, y.efficiency.mean);
    EXPECT_EQ(x.efficiency.stderr_, y.efficiency.stderr_);
    EXPECT_EQ(x.revenue_diff.mean, y.revenue_diff.mean);
    EXPECT_EQ(x.bidders[0].utility.mean, y.bidders[0].utility.mean);
    EXPECT_EQ(y.incentives.enabled, m == 2);
  }
}

TEST(ExpostRegret, PassesOfTheCudaKernelSeeTheSameBlocks) {
  // The CUDA backend evaluates mechanisms in passes [m_begin, m_end); with the incentive block the
  // per-mechanism block grows, and a pass must produce the same block as a full evaluation.
  Scenario sc = default_scenario();
  for (MechanismSpec& m : sc.mechanisms) {
    m.incentives.enabled = true;
    m.incentives.expost_regret = true;
    m.incentives.deviations = 8;
    m.incentives.refine_levels = 1;
  }
  const ModelData md = build_model(sc);
  const Model view = md.view();
  const int B = view.metrics_per_mechanism(), M = view.n_mechanisms;
  ASSERT_EQ(B, metric::per_mechanism(1) + incentive_metric::per_mechanism(1));
  std::vector<double> v(view.n_values), b(view.scratch_doubles()), full(M * B), pass(B);
  for (std::uint64_t p = 0; p < 50; ++p) {
    evaluate_profile(view, p, 0, M, v.data(), b.data(), full.data());
    for (int m = 0; m < M; ++m) {
      evaluate_profile(view, p, m, m + 1, v.data(), b.data(), pass.data());
      for (int k = 0; k < B; ++k) ASSERT_EQ(pass[k], full[m * B + k]) << "profile " << p << " mechanism " << m;
    }
  }
  // The emulated kernel body accumulates the extended layout like the CPU backend.
  const PartialShape sh = pass_shape(view, 0, M);
  std::vector<double> x(sh.metrics), sums(3 * sh.metrics + sh.pairs), out(sh.size());
  thread_partial(view, ThreadRange{0, 256}, 0, M, v.data(), b.data(), x.data(), sums.data(), out.data());
  sc.samples = 256;
  const RunResult r = run(sc, cpu(1));
  for (int k = 0; k < sh.size(); ++k) EXPECT_EQ(out[k], r.partial[k]) << k;  // one leaf: bitwise
}

// ---------------------------------------------------------------------------------------------
// Scenario keys and output.

TEST(IncentiveScenario, ParsesKeys) {
  const Scenario sc = parse_scenario(R"(
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "first_price"
incentives = { expost_regret = true, interim_loss = true, deviations = 64, values = 16, opponent_samples = 4096, batches = 8, shading = [0.5, 1.0], bid_range = [0, 2], refine_levels = 2, refine_points = 3, tolerance = 0.01, quantiles = [0.25], crossfit_selection = "argmax", crossfit_alpha = 0.1, curve = false }
[[mechanisms]]
kind = "second_price"
[mechanisms.incentives]
expost_regret = true
)");
  const IncentiveOptions& o = sc.mechanisms[0].incentives;
  EXPECT_TRUE(o.enabled && o.expost_regret && o.interim_loss);
  EXPECT_EQ(o.deviations, 64);
  EXPECT_EQ(o.values, 16);
  EXPECT_EQ(o.opponent_samples, 4096u);
  EXPECT_EQ(o.batches, 8);
  EXPECT_EQ(o.shading, (std::vector<double>{0.5, 1.0}));
  EXPECT_TRUE(o.has_bid_range);
  EXPECT_EQ(o.bid_high, 2.0);
  EXPECT_EQ(o.refine_levels, 2);
  EXPECT_EQ(o.refine_points, 3);
  EXPECT_EQ(o.tolerance, 0.01);
  EXPECT_EQ(o.quantiles, (std::vector<double>{0.25}));
  EXPECT_FALSE(o.crossfit_lcb);
  EXPECT_EQ(o.crossfit_alpha, 0.1);
  EXPECT_FALSE(o.curve);
  EXPECT_TRUE(sc.mechanisms[1].incentives.enabled && sc.mechanisms[1].incentives.expost_regret);
  EXPECT_FALSE(sc.mechanisms[1].incentives.interim_loss);
}

TEST(IncentiveScenario, BadInputNamesTheKey) {
  auto error_path = [](const std::string& table) {
    const std::string text = "[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n"
                             "[[mechanisms]]\nkind = \"first_price\"\n[[mechanisms]]\nkind = \"first_price\"\nincentives = " +
                             table + "\n";
    try {
      parse_scenario(text);
    } catch (const ScenarioError& e) {
      return e.path();
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_path("{ expost = true }"), "mechanisms[1].incentives.expost");
  EXPECT_EQ(error_path("{ deviations = 1 }"), "mechanisms[1].incentives.deviations");
  EXPECT_EQ(error_path("{ deviations = 1.5 }"), "mechanisms[1].incentives.deviations");
  EXPECT_EQ(error_path("{ batches = 5 }"), "mechanisms[1].incentives.batches");
  EXPECT_EQ(error_path("{ expost_regret = 1 }"), "mechanisms[1].incentives.expost_regret");
  EXPECT_EQ(error_path("{ shading = [0.5, -1] }"), "mechanisms[1].incentives.shading[1]");
  EXPECT_EQ(error_path("{ bid_range = [1, 0] }"), "mechanisms[1].incentives.bid_range");
  EXPECT_EQ(error_path("{ bid_range = [1] }"), "mechanisms[1].incentives.bid_range");
  EXPECT_EQ(error_path("{ quantiles = [1.0] }"), "mechanisms[1].incentives.quantiles[0]");
  EXPECT_EQ(error_path("{ tolerance = -1 }"), "mechanisms[1].incentives.tolerance");
  EXPECT_EQ(error_path("{ opponent_samples = 2, batches = 4 }"), "mechanisms[1].incentives.opponent_samples");
  EXPECT_EQ(error_path("{ crossfit_selection = \"best\" }"), "mechanisms[1].incentives.crossfit_selection");
  EXPECT_EQ(error_path("true"), "mechanisms[1].incentives");
}

TEST(IncentiveScenario, JsonContract) {
  Scenario sc = parse_scenario(R"(
samples = 3000
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "first_price"
incentives = { expost_regret = true, interim_loss = true, values = 8, deviations = 16, opponent_samples = 2048, batches = 8, shading = [1.0] }
[[mechanisms]]
kind = "second_price"
)");
  const RunResult r = run(sc, cpu());
  const nlohmann::json j = nlohmann::json::parse(format_json(sc, r));
  const auto& in = j["mechanisms"][0]["incentives"];
  for (const char* k : {"mean", "stderr", "ci_low", "ci_high", "max", "quantiles", "tolerance", "above_tolerance", "groups"})
    EXPECT_TRUE(in["expost_regret"].contains(k)) << k;
  ASSERT_EQ(in["interim_loss"].size(), 1u);
  const auto& il = in["interim_loss"][0];
  for (const char* k : {"group", "exante", "exante_crossfit", "relative", "relative_crossfit", "prescribed_utility",
                        "worst_type", "shading", "settings", "curve"})
    EXPECT_TRUE(il.contains(k)) << k;
  for (const char* k : {"mean", "stderr", "ci_low", "ci_high"}) {
    EXPECT_TRUE(il["exante"].contains(k));
    EXPECT_TRUE(il["exante_crossfit"].contains(k));
  }
  EXPECT_EQ(il["curve"].size(), 8u);
  EXPECT_TRUE(in["ir"][0]["worst_type"].contains("utility"));
  EXPECT_TRUE(in["budget"].contains("quantiles"));
  EXPECT_FALSE(j["mechanisms"][1].contains("incentives"));
  EXPECT_NE(format_table(sc, r).find("interim loss"), std::string::npos);
  EXPECT_NE(format_csv(sc, r).find("interim_loss_crossfit"), std::string::npos);
}

TEST(IncentiveScenario, ExampleFileRuns) {
  Scenario sc = load_scenario_file(std::string(MCREV_SOURCE_DIR) + "/examples/incentives.toml");
  sc.samples = 2000;
  for (MechanismSpec& m : sc.mechanisms) m.incentives.opponent_samples = std::min<std::uint64_t>(m.incentives.opponent_samples, 4096);
  const RunResult r = run(sc, cpu());
  bool any = false;
  for (const MechanismResult& m : r.mechanisms) any |= m.incentives.enabled;
  EXPECT_TRUE(any);
}

}  // namespace
}  // namespace mcrev
