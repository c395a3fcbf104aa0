// Interdependent and common values (issue 15; `[values]`, mcrev/model/values.hpp,
// host/solvers/interdependent.cpp; docs/single_item.md "Interdependent and common values" derives
// every number used here): per-profile hand cases, the Milgrom–Weber equilibria against closed-form
// revenues, the winner's curse of naive bidding, ex-post regret, determinism and scope errors.
#include "solvers/interdependent.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>
#include <vector>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::string bidders(int n, double lo = 0.0, double hi = 1.0) {
  return "[[bidders]]\ncount = " + std::to_string(n) + "\nvalue = { dist = \"uniform\", low = " + std::to_string(lo) +
         ", high = " + std::to_string(hi) + " }\n";
}

std::string mechanisms(const std::string& strategy) {
  return "[[mechanisms]]\nkind = \"second_price\"\nstrategy = \"" + strategy +
         "\"\n[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"" + strategy + "\"\n";
}

std::string error_of(const std::string& toml) {
  try {
    build_model(parse_scenario(toml));
  } catch (const ScenarioError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

/// Metric block of mechanism m on hand-given signals s.
}  // namespace

TEST(Interdependent, ClosedFormBidFunctions) {
  // v_i = s_i + s_j/2, two U[0,1] signals: second price 3x/2, first price 3x/4, naive x + 1/4.
  ValuesModel vm{ValuesKind::Interdependent, 1.0, 0.5};
  LinearBid b = second_price_interdependent(vm, 2, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(b.slope, 1.5);
  EXPECT_DOUBLE_EQ(b.intercept, 0.0);
  b = first_price_interdependent(vm, 2, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(b.slope, 0.75);
  EXPECT_DOUBLE_EQ(b.intercept, 0.0);
  b = naive_bid(vm, 2, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(b.slope, 1.0);
  EXPECT_DOUBLE_EQ(b.intercept, 0.25);
  // Common value, the mean of n = 5 U[0,1] signals: second price (n + 2)/(2n) x = 0.7x, first price
  // 0.7 (n − 1)/n x = 0.56x, naive x/5 + 2/5.
  vm = ValuesModel{ValuesKind::Common, 0.2, 0.2};
  EXPECT_NEAR(second_price_interdependent(vm, 5, 0.0, 1.0).slope, 0.7, 1e-15);
  EXPECT_NEAR(first_price_interdependent(vm, 5, 0.0, 1.0).slope, 0.56, 1e-15);
  EXPECT_NEAR(naive_bid(vm, 5, 0.0, 1.0).intercept, 0.4, 1e-15);
  // U[1, 2], n = 3, v_i = s_i + 0.3 Σ_{j≠i} s_j: v(x, x) = x + 0.3 (x + (1 + x)/2) = 1.45 x + 0.15;
  // first price E[v(Y, Y) | Y < x] with E[Y | Y < x] = 1 + 2(x − 1)/3: 1.45 (1/3 + 2x/3) + 0.15.
  vm = ValuesModel{ValuesKind::Interdependent, 1.0, 0.3};
  b = second_price_interdependent(vm, 3, 1.0, 2.0);
  EXPECT_NEAR(b.slope, 1.45, 1e-15);
  EXPECT_NEAR(b.intercept, 0.15, 1e-15);
  b = first_price_interdependent(vm, 3, 1.0, 2.0);
  EXPECT_NEAR(b.slope, 1.45 * 2 / 3, 1e-15);
  EXPECT_NEAR(b.intercept, 1.45 / 3 + 0.15, 1e-15);
}

TEST(Interdependent, FirstPriceBidIsABestResponse) {
  // Two bidders, v_i = s_i + s_j/2, the opponent bids 3s/4: bidding b earns
  //   U(b; x) = ∫_0^{4b/3} (x + s/2 − b) ds = (4b/3)(x − b) + (4b/3)²/4,
  // maximized at b = 3x/4 (dU/db = (4/3)(x − 2b) + (8/9)b = 0). Checked on a fine grid of bids.
  for (double x : {0.2, 0.5, 0.9}) {
    auto U = [&](double b) {
      const double t = std::min(4 * b / 3, 1.0);
      return t * (x - b) + t * t / 4;
    };
    double best = 0.0, arg = 0.0;
    for (int k = 0; k <= 100000; ++k) {
      const double b = 0.75 * k / 100000;
      if (U(b) > best) {
        best = U(b);
        arg = b;
      }
    }
    EXPECT_NEAR(arg, 0.75 * x, 1e-5) << x;
  }
}

TEST(Interdependent, PerProfileHandCases) {
  // Signals (0.2, 0.8), v_i = s_i + s_j/2: values (0.6, 0.9). Second price at 3s/2: bids (0.3, 1.2),
  // bidder 1 wins and pays 0.3: revenue 0.3, welfare 0.9 (its value), first best 0.9, its
  // utility 0.6 (per bidder of the group: 0.3). First price at 3s/4: pays 0.6, utility 0.3.
  ScenarioFixture f("[values]\nkind = \"interdependent\"\ngamma = 0.5\n" + bidders(2) + mechanisms("bne"));
  std::vector<double> x = metrics_on(f, 0, {0.2, 0.8});
  EXPECT_NEAR(x[metric::kRevenue], 0.3, 1e-15);
  EXPECT_NEAR(x[metric::kWelfare], 0.9, 1e-15);
  EXPECT_NEAR(x[metric::kOptSurplus], 0.9, 1e-15);
  EXPECT_NEAR(x[metric::utility(0)], 0.3, 1e-15);
  x = metrics_on(f, 1, {0.2, 0.8});
  EXPECT_NEAR(x[metric::kRevenue], 0.6, 1e-15);
  EXPECT_NEAR(x[metric::utility(0)], 0.15, 1e-15);
  // Common value, signals (0.3, 0.6, 0.9): v = 0.6 for everyone. First price at 5x/9 (n = 3:
  // A = 1/3 + 3/2·1/3 = 5/6, slope A·2/3): the third bidder pays 0.5; second price at 5x/6 pays 0.5.
  ScenarioFixture c("[values]\nkind = \"common\"\n" + bidders(3) + mechanisms("bne"));
  x = metrics_on(c, 1, {0.3, 0.6, 0.9});
  EXPECT_NEAR(x[metric::kRevenue], 0.5, 1e-15);
  EXPECT_NEAR(x[metric::kWelfare], 0.6, 1e-15);
  EXPECT_NEAR(x[metric::utility(0)], 0.1 / 3, 1e-15);
  x = metrics_on(c, 0, {0.3, 0.6, 0.9});
  EXPECT_NEAR(x[metric::kRevenue], 0.5, 1e-15);
  // Naive bidding in the common-value auction: bids s/3 + 1/3: (13/30, 16/30, 19/30); first price
  // pays 19/30 for an item worth 0.6: the winner loses 1/30 (the winner's curse on one profile).
  ScenarioFixture n("[values]\nkind = \"common\"\n" + bidders(3) + mechanisms("naive"));
  x = metrics_on(n, 1, {0.3, 0.6, 0.9});
  EXPECT_NEAR(x[metric::kRevenue], 19.0 / 30, 1e-15);
  EXPECT_NEAR(x[metric::utility(0)], -1.0 / 90, 1e-15);
}

TEST(Interdependent, RevenuesAndWinnersCurseClosedForms) {
  // Two bidders, v_i = s_i + s_j/2 (docs): welfare E[max + min/2] = 5/6; equilibrium revenue 1/2 in
  // both formats; naive bids x + 1/4: second price 1/3 + 1/4 = 7/12, first price 2/3 + 1/4 = 11/12.
  // The item is always sold, so E[value − price | win] = welfare − revenue.
  struct Case {
    std::string values;
    int n;
    double welfare, sp_eq, fp_eq, sp_naive, fp_naive;
  };
  for (const Case& c : {Case{"kind = \"interdependent\"\ngamma = 0.5\n", 2, 5.0 / 6, 0.5, 0.5, 7.0 / 12, 11.0 / 12},
                        // the mean of 5 signals: E[v] = 1/2; 0.7 E[X(2:5)] = 7/15 = 0.56 E[X(1:5)];
                        // naive (x + 2)/5: 8/15 and 17/30, both above 1/2: the winner's curse.
                        Case{"kind = \"common\"\n", 5, 0.5, 7.0 / 15, 7.0 / 15, 8.0 / 15, 17.0 / 30}}) {
    Scenario sc = parse_scenario("samples = 400000\nseed = 4\n[values]\n" + c.values + bidders(c.n) +
                                 mechanisms("bne") + mechanisms("naive"));
    const RunResult r = run_cpu_scenario(sc);
    const double rev[4] = {c.sp_eq, c.fp_eq, c.sp_naive, c.fp_naive};
    for (int m = 0; m < 4; ++m) {
      EXPECT_TRUE(WithinSE(r.mechanisms[m].revenue, rev[m])) << c.values << m;
      EXPECT_TRUE(WithinSE(r.mechanisms[m].welfare, c.welfare)) << c.values << m;
      ASSERT_TRUE(r.mechanisms[m].has_winners_curse);
      EXPECT_TRUE(WithinSE(r.mechanisms[m].winners_curse, c.welfare - rev[m])) << c.values << m;
    }
    EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 0.0));  // revenue equivalence, paired
  }
  // U[1, 2] signals, n = 3, γ = 0.3: the two equilibria earn the same (paired difference 0).
  Scenario sc = parse_scenario("samples = 200000\nseed = 8\n[values]\nkind = \"interdependent\"\ngamma = 0.3\n" +
                               bidders(3, 1.0, 2.0) + mechanisms("bne"));
  EXPECT_TRUE(WithinSE(run_cpu_scenario(sc).mechanisms[1].revenue_diff, 0.0));
}

TEST(Interdependent, SecondPriceEquilibriumHasNoExPostRegretWithTwoBidders) {
  // With two bidders v(x, x) bidding is an ex-post equilibrium: the winner (s_i > s_j) gets
  // s_i − s_j > 0, a loser would get s_i − s_j < 0 by winning. Naive bidding leaves regret.
  Scenario sc = parse_scenario("samples = 20000\nseed = 2\n[values]\nkind = \"interdependent\"\ngamma = 0.5\n" +
                               bidders(2) +
                               "[[mechanisms]]\nkind = \"second_price\"\nstrategy = \"bne\"\n"
                               "incentives = { expost_regret = true }\n"
                               "[[mechanisms]]\nkind = \"second_price\"\nstrategy = \"naive\"\n"
                               "incentives = { expost_regret = true }\n");
  const RunResult r = run_cpu_scenario(sc);
  EXPECT_LT(r.mechanisms[0].incentives.expost.regret.mean, 1e-12);
  EXPECT_GT(r.mechanisms[1].incentives.expost.regret.ci_low, 0.005);  // ≈ 2 · 0.25³/3 = 0.0104
}

TEST(Interdependent, DeterministicAndPrivateValuesUnchanged) {
  Scenario sc = parse_scenario("samples = 20000\nseed = 9\n[values]\nkind = \"interdependent\"\ngamma = 0.25\n" +
                               bidders(2) + bidders(1) + mechanisms("bne") +
                               "[[mechanisms]]\nkind = \"third_price\"\nstrategy = \"truthful\"\n");
  expect_cpu_backend_is_per_profile_model(sc);
  // γ = 0 is private values: the same bits as without [values] (revenues, welfare, utilities).
  Scenario a = parse_scenario("samples = 20000\nseed = 9\n[values]\nkind = \"interdependent\"\ngamma = 0.0\n" +
                              bidders(3) + "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.6\n");
  Scenario p = parse_scenario("samples = 20000\nseed = 9\n" + bidders(3) +
                              "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"shade\"\nfactor = 0.6\n");
  const RunResult ra = run_cpu_scenario(a), rp = run_cpu_scenario(p);
  EXPECT_EQ(ra.mechanisms[0].revenue.mean, rp.mechanisms[0].revenue.mean);
  EXPECT_EQ(ra.mechanisms[0].welfare.mean, rp.mechanisms[0].welfare.mean);
  EXPECT_EQ(ra.mechanisms[0].bidders[0].utility.mean, rp.mechanisms[0].bidders[0].utility.mean);
}

TEST(Interdependent, ScenarioErrorsNameTheKey) {
  const std::string v = "[values]\nkind = \"interdependent\"\ngamma = 0.5\n";
  EXPECT_NE(error_of("[values]\nkind = \"wallet\"\n" + bidders(2) + mechanisms("bne")).find("values.kind"), std::string::npos);
  EXPECT_NE(error_of("[values]\nkind = \"interdependent\"\ngamma = -1\n" + bidders(2) + mechanisms("bne")).find("values.gamma"),
            std::string::npos);
  EXPECT_NE(error_of("[values]\nkind = \"common\"\ngamma = 0.5\n" + bidders(2) + mechanisms("bne")).find("values.gamma"),
            std::string::npos);
  EXPECT_NE(error_of(bidders(2) + mechanisms("naive")).find("mechanisms[0].strategy"), std::string::npos);
  EXPECT_NE(error_of(v + "[[bidders]]\ncount = 2\nvalue = { dist = \"exponential\", rate = 1.0 }\n" + mechanisms("bne"))
                .find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of(v + bidders(2) + "[[mechanisms]]\nkind = \"all_pay\"\n").find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of(v + bidders(2) + "[[mechanisms]]\nkind = \"first_price\"\nreserve = 0.3\n").find("mechanisms[0].reserve"),
            std::string::npos);
  EXPECT_NE(error_of(v + bidders(2) + "[[mechanisms]]\nkind = \"posted_price\"\nprice = 0.5\n").find("mechanisms[0].kind"),
            std::string::npos);
  EXPECT_NE(error_of(v + bidders(2) +
                     "[[mechanisms]]\nkind = \"first_price\"\nincentives = { interim_loss = true }\n")
                .find("mechanisms[0].incentives.interim_loss"),
            std::string::npos);
}
