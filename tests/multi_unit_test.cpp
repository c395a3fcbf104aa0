// Multi-unit auctions ([market] kind = "units"): per-profile hand cases (allocation, VCG externality
// payments, uniform and discriminatory prices, ties, reserves, multi-unit demand), closed forms of
// the k-unit VCG auction with unit demand, exact ex-post regret of VCG, demand reduction under
// uniform pricing, the draw of marginal values, and the CPU backend against the per-profile model.
#include "mcrev/pipeline/kernel_body.hpp"
#include "scenario/scenario.hpp"

#include "test_util.hpp"

#include <algorithm>
#include <cmath>

using namespace mcrev;
using namespace mcrev::test;

namespace {

using Units = ScenarioFixture;

const char* kFourMechanisms = R"(
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
[[mechanisms]]
kind = "uniform_price"
name = "uniform_last"
price_rule = "last_accepted"
[[mechanisms]]
kind = "pay_as_bid"
)";

}  // namespace

TEST(MultiUnit, UnitDemandHandCase) {
  Units u(std::string(R"(
[market]
kind = "units"
units = 2
[[bidders]]
count = 4
value = { dist = "uniform", low = 0.0, high = 1.0 }
)") + kFourMechanisms);
  const std::vector<double> bids = {0.9, 0.3, 0.7, 0.5};
  // Winners 0 and 2 under every rule.
  for (int k = 0; k < 4; ++k) {
    const Outcome o = u.outcome(k, bids);
    ASSERT_TRUE(o.dense);
    EXPECT_EQ(o.x(0), 1.0);
    EXPECT_EQ(o.x(1), 0.0);
    EXPECT_EQ(o.x(2), 1.0);
    EXPECT_EQ(o.x(3), 0.0);
    EXPECT_EQ(o.t(1), 0.0);
    EXPECT_EQ(o.t(3), 0.0);
  }
  // VCG = uniform (k+1)-th price with unit demand: 0.5 each.
  Outcome o = u.outcome(0, bids);
  EXPECT_EQ(o.t(0), 0.5);
  EXPECT_EQ(o.t(2), 0.5);
  o = u.outcome(1, bids);  // first rejected
  EXPECT_EQ(o.t(0), 0.5);
  EXPECT_EQ(o.t(2), 0.5);
  o = u.outcome(2, bids);  // last accepted
  EXPECT_EQ(o.t(0), 0.7);
  EXPECT_EQ(o.t(2), 0.7);
  o = u.outcome(3, bids);  // pay as bid
  EXPECT_EQ(o.t(0), 0.9);
  EXPECT_EQ(o.t(2), 0.7);
}

TEST(MultiUnit, MultiUnitDemandHandCase) {
  // k = 3; A wants 2 (0.9, 0.6), B wants 2 (0.8, 0.4), C wants 1 (0.5). Bids in decreasing order:
  // 0.9 A, 0.8 B, 0.6 A | 0.5 C, 0.4 B. A wins 2 units, B 1, C none.
  Units u(std::string(R"(
[market]
kind = "units"
units = 3
[[bidders]]
name = "A"
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "B"
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "C"
value = { dist = "uniform", low = 0.0, high = 1.0 }
)") + kFourMechanisms);
  ASSERT_EQ(u.m.n_bidders, 3);
  ASSERT_EQ(u.m.n_values, 5);
  const std::vector<double> bids = {0.9, 0.6, 0.8, 0.4, 0.5};
  for (int k = 0; k < 4; ++k) {
    const Outcome o = u.outcome(k, bids);
    EXPECT_EQ(o.x(0), 2.0) << k;
    EXPECT_EQ(o.x(1), 1.0) << k;
    EXPECT_EQ(o.x(2), 0.0) << k;
    EXPECT_EQ(o.t(2), 0.0) << k;
  }
  // VCG externalities: without A the others would take 0.8 + 0.5 + 0.4 = 1.7, with A they take 0.8:
  // A pays 0.9 (= 0.5 + 0.4, the bids its two units displaced). Without B: 0.9 + 0.6 + 0.5 = 2.0,
  // with B the others take 1.5: B pays 0.5.
  Outcome o = u.outcome(0, bids);
  EXPECT_DOUBLE_EQ(o.t(0), 0.9);
  EXPECT_EQ(o.t(1), 0.5);
  o = u.outcome(1, bids);  // first rejected bid 0.5 per unit
  EXPECT_EQ(o.t(0), 1.0);
  EXPECT_EQ(o.t(1), 0.5);
  o = u.outcome(2, bids);  // last accepted bid 0.6 per unit
  EXPECT_EQ(o.t(0), 1.2);
  EXPECT_EQ(o.t(1), 0.6);
  o = u.outcome(3, bids);  // pay as bid
  EXPECT_DOUBLE_EQ(o.t(0), 1.5);
  EXPECT_EQ(o.t(1), 0.8);
  // Metrics from the generic outcome: welfare = 0.9 + 0.6 + 0.8 with the bids as values.
  std::vector<double> out(u.m.metrics_per_mechanism());
  o = u.outcome(0, bids);
  write_metrics(u.m, 0, o, bids.data(), 0.0, 0.9, out.data());
  EXPECT_DOUBLE_EQ(out[metric::kWelfare], 2.3);
  EXPECT_DOUBLE_EQ(out[metric::kRevenue], 1.4);
  EXPECT_EQ(out[metric::kNoSale], 0.0);
  EXPECT_DOUBLE_EQ(out[metric::kOptSurplus], 2.3);  // first best: the three highest marginal values
  EXPECT_EQ(out[metric::win(0)], 2.0);
  EXPECT_DOUBLE_EQ(out[metric::utility(0)], 1.5 - 0.9);
}

TEST(MultiUnit, ReserveAndTooFewBids) {
  Units u(std::string(R"(
[market]
kind = "units"
units = 2
[[bidders]]
count = 3
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
reserve = 0.4
[[mechanisms]]
kind = "uniform_price"
reserve = 0.4
[[mechanisms]]
kind = "uniform_price"
name = "last"
price_rule = "last_accepted"
reserve = 0.4
[[mechanisms]]
kind = "pay_as_bid"
reserve = 0.4
)"));
  const std::vector<double> bids = {0.9, 0.3, 0.2};  // one eligible bid for two units
  const double want[4] = {0.4, 0.4, 0.9, 0.9};
  for (int k = 0; k < 4; ++k) {
    const Outcome o = u.outcome(k, bids);
    EXPECT_EQ(o.x(0), 1.0);
    EXPECT_EQ(o.x(1), 0.0);
    EXPECT_EQ(o.t(0), want[k]) << k;
  }
  std::vector<double> out(u.m.metrics_per_mechanism());
  const Outcome o = u.outcome(0, bids);
  write_metrics(u.m, 0, o, bids.data(), 0.0, 0.9, out.data());
  EXPECT_EQ(out[metric::kNoSale], 1.0);  // one of the two units is unsold
}

TEST(MultiUnit, TiesAtTheLastUnitAreBrokenUniformly) {
  Units u(R"(
[market]
kind = "units"
units = 2
[[bidders]]
name = "A"
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "B"
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "pay_as_bid"
)");
  // A bids (0.7, 0.5), B bids 0.5: A's first unit is sure; the second goes to A or B at random.
  for (int k = 0; k < 2; ++k) {
    int a_two = 0;
    const int N = 4000;
    for (int p = 0; p < N; ++p) {
      const Outcome o = u.outcome(k, {0.7, 0.5, 0.5}, p);
      ASSERT_EQ(o.x(0) + o.x(1), 2.0);
      ASSERT_GE(o.x(0), 1.0);
      a_two += o.x(0) == 2.0;
      if (k == 0) {  // VCG: A displaces B's 0.5 with its second unit; B displaces A's 0.5
        ASSERT_EQ(o.t(0), o.x(0) == 2.0 ? 0.5 : 0.0);
        ASSERT_EQ(o.t(1), o.x(1) == 1.0 ? 0.5 : 0.0);
        // The same profile gives the same tie-break.
        ASSERT_EQ(u.outcome(k, {0.7, 0.5, 0.5}, p).x(0), o.x(0));
      }
    }
    const double share = static_cast<double>(a_two) / N, se = std::sqrt(0.25 / N);
    EXPECT_NEAR(share, 0.5, 5 * se) << k;
  }
}

TEST(MultiUnit, VcgWithUnitDemandIsTheNextOrderStatistic) {
  // k units, n iid U[0,1] bidders: revenue k E[V(k+1)] = k (n − k)/(n + 1), welfare Σ_{j<=k} (n+1−j)/(n+1).
  for (auto [n, k] : {std::pair{5, 2}, std::pair{10, 3}}) {
    Units u("samples = 400000\nseed = 3\n[market]\nkind = \"units\"\nunits = " + std::to_string(k) +
            "\n[[bidders]]\ncount = " + std::to_string(n) +
            "\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n" + kFourMechanisms);
    const RunResult r = run_cpu_scenario(u.sc);
    const double rev = static_cast<double>(k) * (n - k) / (n + 1);
    double welfare = 0;
    for (int j = 1; j <= k; ++j) welfare += static_cast<double>(n + 1 - j) / (n + 1);
    EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, rev)) << n << " " << k;
    EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, welfare)) << n << " " << k;
    EXPECT_EQ(r.mechanisms[0].efficiency.mean, 1.0);
    EXPECT_EQ(r.mechanisms[0].no_sale.mean, 0.0);
    // The first-rejected uniform price equals VCG with unit demand, profile by profile.
    EXPECT_EQ(r.mechanisms[1].revenue_diff.mean, 0.0);
    EXPECT_EQ(r.mechanisms[1].revenue_diff.stderr_, 0.0);
    // Last accepted: k E[V(k)] = k (n + 1 − k)/(n + 1); pay as bid: Σ_{j<=k} E[V(j)] = welfare.
    EXPECT_TRUE(WithinSE(r.mechanisms[2].revenue, static_cast<double>(k) * (n + 1 - k) / (n + 1)));
    EXPECT_TRUE(WithinSE(r.mechanisms[3].revenue, welfare));
    // Per bidder: exactly k of the n (one group) win in every profile, so the group mean is k/n.
    EXPECT_NEAR(r.mechanisms[0].bidders[0].win.mean, static_cast<double>(k) / n, 1e-12);
    if (n == 5) {
      EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 1.0));
      EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, 1.5));
    } else {
      EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 21.0 / 11));
      EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, 27.0 / 11));
    }
  }
}

TEST(MultiUnit, OneUnitVcgIsTheSecondPriceAuctionBitForBit) {
  const std::string bidders = "samples = 100000\nseed = 11\n[[bidders]]\ncount = 4\nvalue = { dist = \"exponential\", rate = 2.0 }\n";
  const RunResult sp = run_cpu_scenario(parse_scenario(bidders + "[[mechanisms]]\nkind = \"second_price\"\nreserve = 0.3\n"));
  const RunResult vcg = run_cpu_scenario(
      parse_scenario(bidders + "[market]\nkind = \"units\"\nunits = 1\n[[mechanisms]]\nkind = \"vcg\"\nreserve = 0.3\n"));
  EXPECT_EQ(sp.mechanisms[0].revenue.mean, vcg.mechanisms[0].revenue.mean);
  EXPECT_EQ(sp.mechanisms[0].revenue.stderr_, vcg.mechanisms[0].revenue.stderr_);
  EXPECT_EQ(sp.mechanisms[0].welfare.mean, vcg.mechanisms[0].welfare.mean);
  EXPECT_EQ(sp.mechanisms[0].no_sale.mean, vcg.mechanisms[0].no_sale.mean);
  EXPECT_EQ(sp.mechanisms[0].bidders[0].utility.mean, vcg.mechanisms[0].bidders[0].utility.mean);
}

TEST(MultiUnit, MarginalValuesAreSortedDrawsOfTheStream) {
  Units u(R"(
[market]
kind = "units"
units = 3
[[bidders]]
count = 2
demand = 3
value = { dist = "uniform", low = 0.0, high = 2.0 }
[[bidders]]
count = 1
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
)");
  ASSERT_EQ(u.m.n_values, 7);
  EXPECT_EQ(u.m.value_index(0), 0);
  EXPECT_EQ(u.m.value_index(1), 3);
  EXPECT_EQ(u.m.value_index(2), 6);
  for (std::uint64_t p = 0; p < 50; ++p) {
    double v[7];
    draw_values(u.m, p, v);
    Stream s(u.m.seed, p, kValueLane);
    double raw[7];
    for (double& x : raw) x = s.uniform();
    for (int a = 0; a < 2; ++a) {
      std::vector<double> want = {2 * raw[3 * a], 2 * raw[3 * a + 1], 2 * raw[3 * a + 2]};
      std::sort(want.rbegin(), want.rend());
      for (int q = 0; q < 3; ++q) EXPECT_DOUBLE_EQ(v[3 * a + q], want[q]);
    }
    EXPECT_DOUBLE_EQ(v[6], raw[6]);
  }
}

TEST(MultiUnit, CpuBackendIsThePerProfileModelBitForBit) {
  Units u(std::string(R"(
samples = 5000
seed = 21
[market]
kind = "units"
units = 4
[[bidders]]
count = 3
demand = 3
value = { dist = "beta", alpha = 2.0, beta = 3.0 }
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.5 }
)") + kFourMechanisms);
  expect_cpu_backend_is_per_profile_model(u.sc);
}

TEST(MultiUnit, VcgExPostRegretIsExactlyZeroAndUniformPriceInvitesDemandReduction) {
  const std::string toml = R"(
samples = 4000
seed = 5
[market]
kind = "units"
units = 3
[[bidders]]
count = 3
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "vcg"
incentives = { expost_regret = true, interim_loss = false, deviations = 32 }
[[mechanisms]]
kind = "uniform_price"
incentives = { expost_regret = true, interim_loss = false, deviations = 32 }
[[mechanisms]]
kind = "pay_as_bid"
incentives = { expost_regret = true, interim_loss = false, deviations = 32 }
)";
  const RunResult r = run_cpu_scenario(parse_scenario(toml));
  const IncentiveResult& vcg = r.mechanisms[0].incentives;
  EXPECT_EQ(vcg.expost.regret.mean, 0.0);
  EXPECT_EQ(vcg.expost.regret.stderr_, 0.0);
  EXPECT_EQ(vcg.expost.distribution.max, 0.0);
  // Uniform price with demand 2: shading or dropping the second bid lowers the price paid on the
  // first unit: a positive gain, well above its standard error.
  const IncentiveResult& up = r.mechanisms[1].incentives;
  EXPECT_GT(up.expost.regret.mean, 5 * up.expost.regret.stderr_);
  EXPECT_GT(up.expost.regret.stderr_, 0.0);
  const IncentiveResult& pab = r.mechanisms[2].incentives;
  EXPECT_GT(pab.expost.regret.mean, 5 * pab.expost.regret.stderr_);
}

TEST(MultiUnit, DemandReductionAloneIsProfitableUnderUniformPricing) {
  // Hand profile: k = 2, A wants 2 with values (0.9, 0.6), B wants 1 with value 0.5. Truthful uniform
  // price (first rejected): A wins 2 at 0.5 each, utility 1.5 − 1.0 = 0.5. Bidding 0 on its second
  // unit: A and B win one each at price 0 (the highest rejected bid), A's utility 0.9.
  Units u(R"(
[market]
kind = "units"
units = 2
[[bidders]]
name = "A"
demand = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "B"
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "uniform_price"
incentives = { expost_regret = true, interim_loss = false, deviations = 2, refine_levels = 0, shading = [] }
)");
  const std::vector<double> v = {0.9, 0.6, 0.5};
  u.b.assign(u.m.scratch_doubles(), 0.0);
  const Outcome o = run_mechanism(u.m, 0, 0, v.data(), u.b.data());
  EXPECT_EQ(o.x(0), 2.0);
  EXPECT_DOUBLE_EQ(bidder_utility(u.m, o, v.data(), 0), 0.5);
  // The grid has only the two ends of the report range (0 and 1, moving A's first bid and capping
  // the second); demand reduction finds the gain.
  const Deviation d = best_deviation(u.m, 0, 0, v.data(), u.b.data(), 0, bidder_utility(u.m, o, v.data(), 0));
  EXPECT_DOUBLE_EQ(d.utility, 0.9);
}

TEST(MultiUnit, ScenarioErrorsNameTheKey) {
  auto error_of = [](const std::string& toml) -> std::string {
    try {
      parse_scenario(toml);
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string group = "[[bidders]]\ncount = 3\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n";
  const std::string units = "[market]\nkind = \"units\"\nunits = 2\n";
  EXPECT_NE(error_of(group + "[[mechanisms]]\nkind = \"uniform_price\"\n").find("mechanisms[0].kind"), std::string::npos);
  EXPECT_NE(error_of(group + "[[mechanisms]]\nkind = \"uniform_price\"\n").find("units"), std::string::npos);
  EXPECT_NE(error_of(units + group + "[[mechanisms]]\nkind = \"second_price\"\n").find("single_item"), std::string::npos);
  EXPECT_NE(error_of("[market]\nkind = \"units\"\n" + group + "[[mechanisms]]\nkind = \"vcg\"\n").find("market.units"),
            std::string::npos);
  EXPECT_NE(error_of("[market]\nkind = \"units\"\nunits = 7\n" + group + "[[mechanisms]]\nkind = \"vcg\"\n")
                .find("market.units"),
            std::string::npos);
  EXPECT_NE(error_of("[[bidders]]\ndemand = 2\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                     "[[mechanisms]]\nkind = \"second_price\"\n")
                .find("bidders[0].demand"),
            std::string::npos);
  EXPECT_NE(error_of(units + group + "[[mechanisms]]\nkind = \"vcg\"\nprice_rule = \"last_accepted\"\n")
                .find("mechanisms[0].price_rule"),
            std::string::npos);
  EXPECT_NE(error_of(units + group + "[[mechanisms]]\nkind = \"uniform_price\"\nprice_rule = \"median\"\n")
                .find("mechanisms[0].price_rule"),
            std::string::npos);
  EXPECT_NE(error_of(units + group + "[[mechanisms]]\nkind = \"pay_as_bid\"\nstrategy = \"bne\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of("[market]\nkind = \"auction_house\"\n" + group + "[[mechanisms]]\nkind = \"vcg\"\n")
                .find("market.kind"),
            std::string::npos);
  EXPECT_NE(error_of(units + "[[bidders]]\ncount = 3\ndemand = 17\nvalue = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                             "[[mechanisms]]\nkind = \"vcg\"\n")
                .find("bidders[0].demand"),
            std::string::npos);
}
