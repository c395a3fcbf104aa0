// Double auctions, bilateral trade and public projects (mcrev/mechanisms/two_sided.hpp,
// public_project.hpp, single_vcg.hpp; docs/two_sided.md derives every closed form used here):
// per-profile hand cases for every mechanism (m×m with ties, trade reduction happening and not),
// the Myerson–Satterthwaite figures for U[0,1] bilateral trade, exact budget balance of dAGVA and
// the second best, the public project's VCG surplus, IR violation and Green–Laffont, the interim
// loss of the Chatterjee–Samuelson equilibrium, scenario errors, and the CPU backend against the
// per-profile model bit for bit.
#include "mcrev/incentives/interim.hpp"
#include "mcrev/pipeline/kernel_body.hpp"
#include "scenario/scenario.hpp"

#include "test_util.hpp"

#include <algorithm>
#include <cmath>

using namespace mcrev;
using namespace mcrev::test;

namespace {

struct Fixture : ScenarioFixture {
  using ScenarioFixture::ScenarioFixture;
  int index(const std::string& name) const {
    for (size_t k = 0; k < sc.mechanisms.size(); ++k)
      if (sc.mechanisms[k].name == name) return static_cast<int>(k);
    return -1;
  }
};

const char* kThreeByThree = R"(
[market]
kind = "double_auction"
[[bidders]]
name = "buyers"
role = "buyer"
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "sellers"
role = "seller"
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "k_double_auction"
k = 0.5
[[mechanisms]]
kind = "mcafee"
[[mechanisms]]
kind = "posted_price"
price = 0.6
[[mechanisms]]
kind = "posted_price"
name = "posted_low"
price = 0.45
[[mechanisms]]
kind = "dagva"
)";

const char* kBilateral = R"(
[market]
kind = "double_auction"
[[bidders]]
name = "buyer"
role = "buyer"
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "seller"
role = "seller"
value = { dist = "uniform", low = 0.0, high = 1.0 }
)";

std::string bilateral_all(int samples) {
  return "samples = " + std::to_string(samples) + "\nseed = 3\n" + kBilateral + R"(
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "posted_price"
price = 0.5
[[mechanisms]]
kind = "k_double_auction"
k = 0.5
strategy = "bne"
[[mechanisms]]
kind = "mcafee"
[[mechanisms]]
kind = "dagva"
[[mechanisms]]
kind = "second_best"
)";
}

void expect_within(const Estimate& e, double want, const char* what) {
  EXPECT_NEAR(e.mean, want, 5 * e.stderr_ + 1e-12) << what << ": " << e.mean << " ± " << e.stderr_;
}

}  // namespace

TEST(TwoSided, ThreeByThreeHandCases) {
  Fixture u(kThreeByThree);
  // Agents 0-2 buyers, 3-5 sellers. Bids 0.9, 0.7, 0.4; asks 0.2, 0.5, 0.8: q = 2.
  const std::vector<double> r = {0.9, 0.4, 0.7, 0.8, 0.2, 0.5};
  Outcome o = u.outcome(0, r);  // vcg
  EXPECT_EQ(o.x(0), 1.0);
  EXPECT_EQ(o.x(1), 0.0);
  EXPECT_EQ(o.x(2), 1.0);
  EXPECT_EQ(o.x(3), 0.0);
  EXPECT_EQ(o.x(4), -1.0);
  EXPECT_EQ(o.x(5), -1.0);
  EXPECT_EQ(o.t(0), 0.5);  // max(s_(2), b_(3)) = max(0.5, 0.4)
  EXPECT_EQ(o.t(2), 0.5);
  EXPECT_EQ(o.t(4), -0.7);  // min(b_(2), s_(3)) = min(0.7, 0.8)
  EXPECT_EQ(o.t(5), -0.7);
  EXPECT_EQ(o.t(1), 0.0);
  EXPECT_EQ(o.t(3), 0.0);
  o = u.outcome(1, r);  // k = 1/2: price halfway in [0.5, 0.7]
  EXPECT_DOUBLE_EQ(o.t(0), 0.6);
  EXPECT_DOUBLE_EQ(o.t(4), -0.6);
  EXPECT_EQ(o.x(5), -1.0);
  o = u.outcome(2, r);  // mcafee: p0 = (0.4 + 0.8)/2 = 0.6 in [0.5, 0.7]: no reduction
  EXPECT_EQ(o.x(0) + o.x(2), 2.0);
  EXPECT_DOUBLE_EQ(o.t(0), 0.6);
  EXPECT_DOUBLE_EQ(o.t(5), -0.6);
  o = u.outcome(3, r);  // posted 0.6: two willing on each side
  EXPECT_EQ(o.x(0) + o.x(2), 2.0);
  EXPECT_EQ(o.x(4) + o.x(5), -2.0);
  EXPECT_EQ(o.t(0), 0.6);
  // posted 0.45: buyers 0.9, 0.7 willing, seller 0.2 only: one trade, a random willing buyer.
  int first = 0;
  for (std::uint64_t p = 0; p < 200; ++p) {
    o = u.outcome(4, r, p);
    EXPECT_EQ(o.x(0) + o.x(2), 1.0);
    EXPECT_EQ(o.x(1), 0.0);
    EXPECT_EQ(o.x(4), -1.0);
    EXPECT_EQ(o.x(5), 0.0);
    first += o.x(0) == 1.0;
  }
  EXPECT_GT(first, 60);
  EXPECT_LT(first, 140);
  // Trade reduction: bids 0.9, 0.7, 0.65, asks 0.2, 0.5, 0.9: q = 2, p0 = 0.775 > b_(2) = 0.7.
  const std::vector<double> r2 = {0.9, 0.7, 0.65, 0.2, 0.5, 0.9};
  o = u.outcome(2, r2);
  EXPECT_EQ(o.x(0), 1.0);
  EXPECT_EQ(o.x(1), 0.0);
  EXPECT_EQ(o.x(3), -1.0);
  EXPECT_EQ(o.x(4), 0.0);
  EXPECT_EQ(o.t(0), 0.7);   // b_(q)
  EXPECT_EQ(o.t(3), -0.5);  // s_(q)
  double revenue = 0.0;
  for (int i = 0; i < 6; ++i) revenue += o.t(i);
  EXPECT_DOUBLE_EQ(revenue, 0.2);  // the mechanism keeps b_(q) − s_(q)
  // dagva: the efficient trades, Σ t = 0 exactly.
  o = u.outcome(5, r);
  EXPECT_EQ(o.x(0) + o.x(2), 2.0);
  EXPECT_EQ(o.x(4) + o.x(5), -2.0);
  double sum = 0.0;
  for (int i = 0; i < 6; ++i) sum += o.t(i);
  EXPECT_EQ(sum, 0.0);
}

TEST(TwoSided, TiesAtTheMarginAreBrokenAtRandom) {
  Fixture u(kThreeByThree);
  // Bids 0.7, 0.7, 0.3; asks 0.2, 0.9, 0.95: q = 1; the two tied buyers share the trade.
  const std::vector<double> r = {0.7, 0.3, 0.7, 0.2, 0.9, 0.95};
  int zero = 0;
  for (std::uint64_t p = 0; p < 400; ++p) {
    const Outcome o = u.outcome(0, r, p);
    EXPECT_EQ(o.x(0) + o.x(2), 1.0);
    EXPECT_EQ(o.x(3), -1.0);
    const int w = o.x(0) == 1.0 ? 0 : 2;
    EXPECT_EQ(o.t(w), 0.7);    // max(s_(1), b_(2)) = the tied bid
    EXPECT_EQ(o.t(3), -0.7);   // min(b_(1), s_(2))
    zero += w == 0;
  }
  EXPECT_GT(zero, 150);
  EXPECT_LT(zero, 250);
}

TEST(TwoSided, BilateralHandCases) {
  Fixture u(bilateral_all(1000));
  const int vcg = 0, kda = 2, mcafee = 3, dagva = 4, sb = 5;
  Outcome o = u.outcome(vcg, {0.8, 0.3});
  EXPECT_EQ(o.t(0), 0.3);   // the buyer pays c
  EXPECT_EQ(o.t(1), -0.8);  // the seller receives v
  o = u.outcome(kda, {0.8, 0.3});  // reports are asks/bids: price (0.8 + 0.3)/2
  EXPECT_DOUBLE_EQ(o.t(0), 0.55);
  o = u.outcome(mcafee, {0.8, 0.3});  // p0 = (0 + 1)/2 from the support bounds
  EXPECT_EQ(o.t(0), 0.5);
  o = u.outcome(mcafee, {0.45, 0.3});
  EXPECT_EQ(o.x(0), 0.0);  // 0.5 is not in [0.3, 0.45]: reduced to no trade
  // dagva (canonical, no constant): t_B = v²/2 + (1 − c²)/2, t_S = −t_B.
  o = u.outcome(dagva, {0.8, 0.3});
  EXPECT_EQ(o.x(0), 1.0);
  EXPECT_NEAR(o.t(0), 0.32 + 0.455, 2e-5);
  EXPECT_EQ(o.t(0) + o.t(1), 0.0);
  // second best: a = 1/3, trade iff v >= c + 1/4; T = (v² − 1/16)/2 + (9/16 − c²)/2 − 9/64.
  ASSERT_FALSE(u.md.solved[sb].empty());
  EXPECT_NEAR(u.md.solved[sb][0].second, 1.0 / 3.0, 1e-6);
  o = u.outcome(sb, {0.8, 0.3});
  EXPECT_EQ(o.x(0), 1.0);
  EXPECT_EQ(o.x(1), -1.0);
  EXPECT_NEAR(o.t(0), 0.384375, 1e-5);
  EXPECT_EQ(o.t(0) + o.t(1), 0.0);
  o = u.outcome(sb, {0.5, 0.3});
  EXPECT_EQ(o.x(0), 0.0);
  EXPECT_NEAR(o.t(0), (0.25 - 0.0625) / 2 + (0.5625 - 0.09) / 2 - 9.0 / 64, 1e-5);
}

TEST(TwoSided, BilateralTradeMyersonSatterthwaiteFigures) {
  const RunResult r = run_cpu_scenario(parse_scenario(bilateral_all(400000)));
  const MechanismResult &vcg = r.mechanisms[0], &posted = r.mechanisms[1], &kda = r.mechanisms[2],
                        &mcafee = r.mechanisms[3], &dagva = r.mechanisms[4], &sb = r.mechanisms[5];
  expect_within(vcg.welfare, 1.0 / 6, "first-best gains");
  EXPECT_NEAR(vcg.efficiency.mean, 1.0, 1e-12);
  expect_within(vcg.budget_surplus, -1.0 / 6, "VCG deficit");
  expect_within(vcg.deficit_prob, 0.5, "VCG P(deficit)");
  expect_within(posted.welfare, 1.0 / 8, "posted 0.5 gains");
  EXPECT_EQ(mcafee.welfare.mean, posted.welfare.mean);  // 1×1 McAfee = posted price 1/2, profile by profile
  EXPECT_EQ(mcafee.welfare.stderr_, posted.welfare.stderr_);
  expect_within(kda.welfare, 9.0 / 64, "C–S gains");
  expect_within(kda.activity, 9.0 / 32, "C–S trade probability");
  expect_within(sb.welfare, 9.0 / 64, "second-best gains");
  expect_within(sb.activity, 9.0 / 32, "second-best trade probability");
  // Exact budget balance: every per-profile budget is 0.0 (mean and standard error exactly 0).
  for (const MechanismResult* m : {&dagva, &sb}) {
    EXPECT_EQ(m->budget_surplus.mean, 0.0) << m->name;
    EXPECT_EQ(m->budget_surplus.stderr_, 0.0) << m->name;
    EXPECT_EQ(m->deficit_prob.mean, 0.0) << m->name;
  }
  expect_within(dagva.welfare, 1.0 / 6, "dAGVA gains");
  expect_within(dagva.bidders[0].ir_violation, 0.75, "dAGVA buyer P(u < 0)");
  expect_within(dagva.bidders[0].utility, -1.0 / 6, "dAGVA buyer ex-ante utility");
  expect_within(dagva.bidders[1].utility, 1.0 / 3, "dAGVA seller ex-ante utility");
  // Seller: u < 0 iff c > 1/2 and c <= v < min(1, sqrt((1 + c)² − 2)) (docs/two_sided.md).
  double area = 0.0;
  const int N = 200000;
  for (int k = 0; k < N; ++k) {
    const double c = 0.5 + 0.5 * (k + 0.5) / N;
    area += std::max(0.0, std::min(1.0, std::sqrt(std::max(0.0, (1 + c) * (1 + c) - 2))) - c) * 0.5 / N;
  }
  expect_within(dagva.bidders[1].ir_violation, area, "dAGVA seller P(u < 0)");
  // Second best and C–S are interim IR: ex-ante utilities of both sides >= 0.
  for (const MechanismResult* m : {&kda, &sb})
    for (const GroupResult& g : m->bidders) EXPECT_GT(g.utility.mean, 0.0) << m->name << " " << g.name;
}

TEST(TwoSided, DagvaBudgetIsExactlyZeroOnEveryProfile) {
  Fixture u(std::string("samples = 1\nseed = 9\n") + R"(
[market]
kind = "double_auction"
[[bidders]]
role = "buyer"
count = 2
value = { dist = "beta", alpha = 2.0, beta = 3.0 }
[[bidders]]
role = "seller"
count = 3
value = { dist = "uniform", low = 0.1, high = 0.9 }
[[mechanisms]]
kind = "dagva"
)");
  std::vector<double> v(u.m.n_values), b(u.m.scratch_doubles());
  double largest = 0.0;
  for (std::uint64_t p = 0; p < 20000; ++p) {
    draw_values(u.m, p, v.data());
    const Outcome o = run_mechanism(u.m, 0, p, v.data(), b.data());
    double s = 0.0;
    for (int i = 0; i < u.m.n_bidders; ++i) s += o.t(i);
    largest = std::max(largest, std::fabs(s));
  }
  EXPECT_EQ(largest, 0.0);
  // The table's reported errors are small (Monte Carlo with 4 others).
  double stderr_ = -1;
  for (const auto& [k, val] : u.md.solved[0])
    if (k == "table_stderr") stderr_ = val;
  EXPECT_GT(stderr_, 0.0);
  EXPECT_LT(stderr_, 0.01);
}

TEST(TwoSided, DagvaWorstBuyerTypeInterimUtility) {
  Scenario sc = parse_scenario(std::string("samples = 20000\nseed = 4\n") + kBilateral + R"(
[[mechanisms]]
kind = "dagva"
incentives = { interim_loss = true, values = 16, deviations = 16, opponent_samples = 65536, batches = 16 }
)");
  const RunResult r = run_cpu_scenario(sc);
  const IrGroupResult& buyer = r.mechanisms[0].incentives.ir[0];
  ASSERT_TRUE(buyer.has_worst_type);
  // U_B(v) = v²/2 − 1/3 (docs/two_sided.md): the lowest type of the grid, v = 1/32.
  EXPECT_DOUBLE_EQ(buyer.worst_type_value, 1.0 / 32);
  expect_within(buyer.worst_type_utility, 1.0 / 2048 - 1.0 / 3, "worst buyer type");
  const IrGroupResult& seller = r.mechanisms[0].incentives.ir[1];
  // U_S(c) = c²/2 − c + 2/3: the worst seller type is the highest cost, c = 31/32.
  EXPECT_DOUBLE_EQ(seller.worst_type_value, 31.0 / 32);
  const double c = 31.0 / 32;
  expect_within(seller.worst_type_utility, c * c / 2 - c + 2.0 / 3, "worst seller type");
}

TEST(TwoSided, InterimLossOfChatterjeeSamuelsonAndOfTruthfulBidding) {
  IncentiveOptions opt;
  opt.enabled = true;
  opt.interim_loss = true;
  opt.values = 16;
  opt.deviations = 64;
  opt.opponent_samples = 1 << 15;
  opt.batches = 16;
  for (const char* strategy : {"bne", "truthful"}) {
    Scenario sc = parse_scenario(std::string("samples = 1000\n") + kBilateral +
                                 "[[mechanisms]]\nkind = \"k_double_auction\"\nk = 0.5\nstrategy = \"" + strategy + "\"\n");
    const ModelData md = build_model(sc);
    for (int g = 0; g < 2; ++g) {
      const InterimGroupResult ig = estimate_interim(md, 0, g, opt, Backend::Cpu, 2, 0.95);
      if (std::string(strategy) == "bne") {
        EXPECT_LE(ig.exante_crossfit.ci_low, 0.0) << g;
        EXPECT_GE(ig.exante_crossfit.ci_high, 0.0) << g;
      } else {  // truthful bidding leaves money on the table: shading pays
        EXPECT_GT(ig.exante_crossfit.mean, 5 * ig.exante_crossfit.stderr_) << g;
      }
    }
  }
}

TEST(TwoSided, ChatterjeeSamuelsonTradesIffValueExceedsCostByAQuarter) {
  Fixture u(bilateral_all(1000));
  std::vector<double> v(2), b(u.m.scratch_doubles());
  for (std::uint64_t p = 0; p < 20000; ++p) {
    draw_values(u.m, p, v.data());
    const Outcome o = run_mechanism(u.m, 2, p, v.data(), b.data());
    if (std::fabs(v[0] - v[1] - 0.25) < 1e-12) continue;
    EXPECT_EQ(o.x(0) == 1.0, v[0] >= v[1] + 0.25) << v[0] << " " << v[1];
  }
}

TEST(TwoSided, SingleItemVcgIsSecondPriceBitForBitAndUsesLowestTypes) {
  const std::string bidders =
      "samples = 50000\nseed = 12\n[[bidders]]\ncount = 3\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n";
  const RunResult r = run_cpu_scenario(
      parse_scenario(bidders + "[[mechanisms]]\nkind = \"second_price\"\n[[mechanisms]]\nkind = \"vcg\"\n"));
  EXPECT_EQ(r.mechanisms[1].revenue_diff.mean, 0.0);
  EXPECT_EQ(r.mechanisms[1].revenue_diff.stderr_, 0.0);
  EXPECT_EQ(r.mechanisms[0].revenue.mean, r.mechanisms[1].revenue.mean);
  EXPECT_EQ(r.mechanisms[0].bidders[0].utility.mean, r.mechanisms[1].bidders[0].utility.mean);
  Fixture u("[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0.2, high = 1.0 }\n[[mechanisms]]\nkind = \"vcg\"\n");
  Outcome o = u.outcome(0, {0.9, 0.1});
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.price, 0.2);  // max(α = 0.2, 0.1)
  o = u.outcome(0, {0.5, 0.9});
  EXPECT_EQ(o.winner, 1);
  EXPECT_EQ(o.price, 0.5);
}

namespace {

const char* kProject = R"(
[market]
kind = "public_project"
cost = 1.5
[[bidders]]
name = "agents"
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "groves"
[[mechanisms]]
kind = "dagva"
[[mechanisms]]
kind = "groves"
name = "groves_h"
h = 0.25
)";

}  // namespace

TEST(PublicProject, HandCases) {
  Fixture u(kProject);
  // Net values w = v − 0.5: (0.4, −0.3, 0.1), Σ = 0.2: built. Agent 0 is pivotal (others −0.2).
  Outcome o = u.outcome(0, {0.9, 0.2, 0.6});
  EXPECT_EQ(o.cost, 1.5);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(o.x(i), 1.0);
  EXPECT_NEAR(o.t(0), 0.5 + 0.2, 1e-15);
  EXPECT_NEAR(o.t(1), 0.5, 1e-15);
  EXPECT_NEAR(o.t(2), 0.5, 1e-15);
  // Blocked: w = (0.4, −0.4, −0.2), Σ = −0.2; agent 1 is pivotal (others +0.2) and pays 0.2.
  o = u.outcome(0, {0.9, 0.1, 0.3});
  EXPECT_EQ(o.cost, 0.0);
  EXPECT_EQ(o.x(0), 0.0);
  EXPECT_EQ(o.t(0), 0.0);
  EXPECT_NEAR(o.t(1), 0.2, 1e-15);
  EXPECT_EQ(o.t(2), 0.0);
  // groves h = 0: t_i = 0.5 − S_{−i} when built.
  o = u.outcome(1, {0.9, 0.2, 0.6});
  EXPECT_NEAR(o.t(0), 0.5 + 0.2, 1e-15);
  EXPECT_NEAR(o.t(1), 0.5 - 0.5, 1e-15);
  EXPECT_NEAR(o.t(2), 0.5 - 0.1, 1e-15);
  o = u.outcome(3, {0.9, 0.1, 0.3});  // groves h = 0.25, not built: everyone pays h
  for (int i = 0; i < 3; ++i) EXPECT_EQ(o.t(i), 0.25);
  // dagva: Σ t = C exactly when built, 0 when not.
  for (const std::vector<double>& r : {std::vector<double>{0.9, 0.2, 0.6}, std::vector<double>{0.9, 0.1, 0.3}}) {
    o = u.outcome(2, r);
    double s = 0.0;
    for (int i = 0; i < 3; ++i) s += o.t(i);
    EXPECT_EQ(s - o.cost, 0.0);
  }
}

TEST(PublicProject, VcgSurplusIrViolationDagvaBalanceAndGreenLaffont) {
  const RunResult r = run_cpu_scenario(parse_scenario(std::string("samples = 200000\nseed = 5\n") + kProject));
  const MechanismResult &vcg = r.mechanisms[0], &groves = r.mechanisms[1], &dagva = r.mechanisms[2],
                        &groves_h = r.mechanisms[3];
  // First best E[(Σv − 1.5)^+] = 13/64 (Irwin–Hall, docs/two_sided.md); every mechanism is efficient.
  for (const MechanismResult* m : {&vcg, &groves, &dagva}) {
    expect_within(m->welfare, 13.0 / 64, m->name.c_str());
    EXPECT_NEAR(m->efficiency.mean, 1.0, 1e-12);
    expect_within(m->activity, 0.5, "build probability");
  }
  // VCG: Σ taxes >= 0 on every profile, so P(deficit) is exactly 0.
  EXPECT_EQ(vcg.deficit_prob.mean, 0.0);
  EXPECT_GT(vcg.budget_surplus.mean, 0.0);
  // P(u_i < 0) = P(w_i < 0, S_{−i} > 0) = 1/4 (7/48 built and not pivotal + 5/48 pivotal blocking).
  expect_within(vcg.bidders[0].ir_violation, 0.25, "VCG IR violation");
  // dAGVA: balanced exactly, and IR fails with positive probability.
  EXPECT_EQ(dagva.budget_surplus.mean, 0.0);
  EXPECT_EQ(dagva.budget_surplus.stderr_, 0.0);
  EXPECT_GT(dagva.bidders[0].ir_violation.mean, 10 * dagva.bidders[0].ir_violation.stderr_);
  // Groves with constant h: budget = 3h − 2·W·1{W >= 0}, E = 3h − 2·13/64, never constant.
  expect_within(groves.budget_surplus, -13.0 / 32, "Groves h = 0 budget");
  expect_within(groves_h.budget_surplus, 0.75 - 13.0 / 32, "Groves h = 0.25 budget");
  EXPECT_GT(groves.budget_surplus.stderr_, 1e-4);
  EXPECT_GT(groves_h.deficit_prob.mean, 0.0);
  EXPECT_LT(groves_h.deficit_prob.mean, 1.0);
}

TEST(TwoSided, CpuBackendIsThePerProfileModelBitForBit) {
  for (const std::string& toml : {bilateral_all(3000), std::string("samples = 3000\nseed = 8\n") + kThreeByThree,
                                  std::string("samples = 3000\nseed = 8\n") + kProject}) {
    Fixture u(toml);
    expect_cpu_backend_is_per_profile_model(u.sc);
  }
}

TEST(TwoSided, ScenarioErrorsNameTheKey) {
  auto error_of = [](const std::string& toml) {
    try {
      parse_scenario(toml);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[[bidders]]\nrole = \"buyer\"\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                     "[[mechanisms]]\nkind = \"second_price\"\n")
                .find("bidders[0].role"),
            std::string::npos);
  EXPECT_NE(error_of("[market]\nkind = \"double_auction\"\n[[bidders]]\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                     "[[mechanisms]]\nkind = \"vcg\"\n")
                .find("bidders[0].role"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kBilateral) + "[[mechanisms]]\nkind = \"k_double_auction\"\nk = 1.5\n").find("mechanisms[0].k"),
            std::string::npos);
  // No seller's unsold good in these markets: seller_value is refused rather than silently mixed in.
  EXPECT_NE(error_of(std::string(kBilateral) + "[[mechanisms]]\nkind = \"vcg\"\nseller_value = 0.3\n")
                .find("mechanisms[0].seller_value"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kProject) + "[[mechanisms]]\nkind = \"vcg\"\nname = \"v0\"\nseller_value = 0.3\n")
                .find("].seller_value: has no meaning"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("[market]\nkind = \"double_auction\"\n[[bidders]]\nrole = \"buyer\"\ncount = 2\n"
                                 "value = { dist = \"uniform\", low = 0.0, high = 1.0 }\n[[bidders]]\nrole = \"seller\"\n"
                                 "value = { dist = \"uniform\", low = 0.0, high = 1.0 }\n[[mechanisms]]\nkind = \"second_best\"\n"))
                .find("mechanisms[0].kind"),
            std::string::npos);
  const std::string expo = "[market]\nkind = \"double_auction\"\n[[bidders]]\nrole = \"buyer\"\n"
                           "value = { dist = \"exponential\", rate = 1.0 }\n[[bidders]]\nrole = \"seller\"\n"
                           "value = { dist = \"uniform\", low = 0.0, high = 1.0 }\n";
  EXPECT_NE(error_of(expo + "[[mechanisms]]\nkind = \"k_double_auction\"\nk = 0.5\nstrategy = \"bne\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of("[market]\nkind = \"public_project\"\n[[bidders]]\ncount = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                     "[[mechanisms]]\nkind = \"vcg\"\n")
                .find("market.cost"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kProject) + "[[mechanisms]]\nkind = \"vcg\"\nname = \"x\"\nh = 1.0\n").find("mechanisms[4].h"),
            std::string::npos);
}
