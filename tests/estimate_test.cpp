// Estimates against closed forms, within 5 of the estimator's own standard errors (fixed seeds).
#include "test_util.hpp"

#include <cmath>
#include <functional>

using namespace mcrev;
using namespace mcrev::test;

namespace {

double harmonic(int n) {
  double h = 0;
  for (int j = 1; j <= n; ++j) h += 1.0 / j;
  return h;
}

// Composite Simpson on [a, b] with 2m intervals.
double simpson(const std::function<double(double)>& f, double a, double b, int m = 20000) {
  const double h = (b - a) / (2 * m);
  double s = f(a) + f(b);
  for (int i = 1; i < 2 * m; ++i) s += f(a + i * h) * (i % 2 ? 4 : 2);
  return s * h / 3;
}

// E[V_(2)] (second-highest of n iid) = ∫ 1 − F_(2), F_(2) = F^n + n F^{n−1}(1 − F).
double expected_second_highest(const Distribution& d, int n, double hi) {
  return d.low + simpson([&](double v) {
           const double F = d.cdf(v, nullptr);
           return 1 - (std::pow(F, n) + n * std::pow(F, n - 1) * (1 - F));
         }, d.low, hi);
}

}  // namespace

class SecondPriceUniform : public ::testing::TestWithParam<int> {};

TEST_P(SecondPriceUniform, RevenueAndWelfare) {
  const int n = GetParam();
  Scenario sc = iid(n, uniform(0, 1), 2000000, 100 + n);
  sc.mechanisms = {mech(MechKind::SecondPrice)};
  const RunResult r = run_cpu_scenario(sc);
  const MechanismResult& m = r.mechanisms[0];
  EXPECT_TRUE(WithinSE(m.revenue, (n - 1.0) / (n + 1.0)));
  EXPECT_TRUE(WithinSE(m.welfare, n / (n + 1.0)));
  EXPECT_DOUBLE_EQ(m.efficiency.mean, 1.0);
  EXPECT_DOUBLE_EQ(m.no_sale.mean, 0.0);
  EXPECT_DOUBLE_EQ(m.bidders[0].win.mean, 1.0 / n);
  EXPECT_NEAR(m.bidders[0].payment.mean * n, m.revenue.mean, 1e-12);
  // Interval = mean ± z SE at 95%.
  EXPECT_NEAR(m.revenue.ci_high - m.revenue.mean, 1.959963984540054 * m.revenue.stderr_, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(N, SecondPriceUniform, ::testing::Values(2, 3, 5, 10));

TEST(SecondPriceReserve, ClosedForm) {
  // n iid U[0,1], reserve r: revenue = n ∫_r^1 (2v − 1) v^{n−1} dv = (n−1)/(n+1) − 2n r^{n+1}/(n+1) + r^n,
  // welfare n/(n+1) (1 − r^{n+1}), no sale r^n.
  for (int n : {1, 2, 5}) {
    for (double rsv : {0.3, 0.5}) {
      Scenario sc = iid(n, uniform(0, 1), 2000000, 7 * n);
      sc.mechanisms = {mech(MechKind::SecondPrice, "r", rsv)};
      const MechanismResult m = run_cpu_scenario(sc).mechanisms[0];
      const double rev = (n - 1.0) / (n + 1) - 2.0 * n * std::pow(rsv, n + 1) / (n + 1) + std::pow(rsv, n);
      EXPECT_TRUE(WithinSE(m.revenue, rev)) << n << " " << rsv;
      EXPECT_TRUE(WithinSE(m.welfare, n / (n + 1.0) * (1 - std::pow(rsv, n + 1)))) << n << " " << rsv;
      EXPECT_TRUE(WithinSE(m.no_sale, std::pow(rsv, n))) << n << " " << rsv;
      EXPECT_TRUE(WithinSE(m.efficiency, 1 - std::pow(rsv, n + 1))) << n << " " << rsv;
    }
  }
}

TEST(RevenueEquivalence, FirstPriceAndAllPayAtBneEqualSecondPrice) {
  for (int n : {2, 5}) {
    for (double rsv : {0.0, 0.4}) {
      Scenario sc = iid(n, uniform(0, 1), 2000000, 31 + n);
      sc.mechanisms = {mech(MechKind::SecondPrice, "sp", rsv), mech(MechKind::FirstPrice, "fp", rsv, StrategySpec::Bne)};
      if (rsv == 0.0) sc.mechanisms.push_back(mech(MechKind::AllPay, "ap", 0.0, StrategySpec::Bne));
      const RunResult r = run_cpu_scenario(sc);
      const double rev = (n - 1.0) / (n + 1) - 2.0 * n * std::pow(rsv, n + 1) / (n + 1) + std::pow(rsv, n);
      for (size_t k = 1; k < r.mechanisms.size(); ++k) {
        const MechanismResult& m = r.mechanisms[k];
        EXPECT_TRUE(WithinSE(m.revenue, rev)) << m.name << " n=" << n << " r=" << rsv;
        EXPECT_TRUE(WithinSE(m.revenue_diff, 0.0)) << m.name << " n=" << n << " r=" << rsv;
        // The same (efficient) allocation on the same profiles gives the same welfare exactly.
        EXPECT_DOUBLE_EQ(m.welfare.mean, r.mechanisms[0].welfare.mean) << m.name;
        const double welfare = n / (n + 1.0) * (1 - std::pow(rsv, n + 1));
        EXPECT_TRUE(WithinSE(m.bidders[0].utility, (welfare - rev) / n))
            << "bidder utility = (welfare − revenue)/n, " << m.name;
      }
    }
  }
}

TEST(RevenueEquivalence, AllPayWithMinimumBid) {
  // n = 2 U[0,1], minimum bid 0.09 → entry type 0.3: revenue equals second price with reserve 0.3.
  Scenario sc = iid(2, uniform(0, 1), 2000000, 5);
  sc.mechanisms = {mech(MechKind::AllPay, "ap", 0.09, StrategySpec::Bne)};
  const double r = 0.3, rev = 1.0 / 3 - 4 * std::pow(r, 3) / 3 + r * r;
  EXPECT_TRUE(WithinSE(run_cpu_scenario(sc).mechanisms[0].revenue, rev));
}

TEST(Exponential, SecondPriceOrderStatistics) {
  // Exponential(rate λ) shifted by s: E[V_(1)] = s + H_n/λ, E[V_(2)] = s + (H_n − 1)/λ.
  for (int n : {2, 5}) {
    const double rate = 2.0, shift = 0.25;
    Scenario sc = iid(n, exponential(rate, shift), 2000000, 77 + n);
    sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp", 0.0, StrategySpec::Bne)};
    const RunResult r = run_cpu_scenario(sc);
    EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, shift + (harmonic(n) - 1) / rate)) << n;
    EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, shift + harmonic(n) / rate)) << n;
    EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, shift + (harmonic(n) - 1) / rate)) << n;
    EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 0.0)) << n;
  }
}

TEST(OtherDistributions, SecondPriceRevenueByQuadrature) {
  struct C {
    DistributionSpec d;
    double hi;
  };
  DistributionSpec power;
  power.dist.kind = DistKind::Power;
  power.dist.low = 1.0;
  power.dist.high = 3.0;
  power.dist.p[0] = 2.5;
  DistributionSpec normal;
  normal.dist.kind = DistKind::TruncNormal;
  normal.dist.low = 0.0;
  normal.dist.high = 2.0;
  normal.dist.p[0] = 0.8;
  normal.dist.p[1] = 0.5;
  normal.dist.p[2] = normal_cdf((0.0 - 0.8) / 0.5);
  normal.dist.p[3] = normal_sf((2.0 - 0.8) / 0.5);
  for (const C& c : {C{power, 3.0}, C{normal, 2.0}}) {
    Scenario sc = iid(4, c.d, 2000000, 4);
    sc.mechanisms = {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp", 0.0, StrategySpec::Bne),
                     mech(MechKind::AllPay, "ap", 0.0, StrategySpec::Bne)};
    const RunResult r = run_cpu_scenario(sc);
    const double truth = expected_second_highest(c.d.dist, 4, c.hi);
    for (const auto& m : r.mechanisms) EXPECT_TRUE(WithinSE(m.revenue, truth)) << m.name;
  }
}

TEST(PostedPrice, ClosedForms) {
  // n iid U[0,1], price p: revenue p (1 − p^n); welfare (1 − p^n)(1 + p)/2.
  // Random offer: revenue p (1 − p); welfare (1 − p²)/2.
  const int n = 3;
  const double p = 0.6;
  Scenario sc = iid(n, uniform(0, 1), 2000000, 12);
  sc.mechanisms = {mech(MechKind::PostedPrice, "posted", 0, StrategySpec::Truthful, p),
                   mech(MechKind::RandomOffer, "offer", 0, StrategySpec::Truthful, p)};
  const RunResult r = run_cpu_scenario(sc);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, p * (1 - std::pow(p, n))));
  EXPECT_TRUE(WithinSE(r.mechanisms[0].welfare, (1 - std::pow(p, n)) * (1 + p) / 2));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, p * (1 - p)));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].welfare, (1 - p * p) / 2));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, p * (1 - p) - p * (1 - std::pow(p, n))));
}

TEST(Asymmetric, SecondPriceTwoGroups) {
  // V1 ~ U[0,1], V2 ~ U[0,2]: revenue E[min] = ∫_0^1 (1 − v)(1 − v/2) dv = 5/12,
  // welfare E[max] = 2 − ∫_0^1 v²/2 − ∫_1^2 v/2 = 13/12; P(bidder 1 wins) = ∫_0^1 (v/2) dv = 1/4.
  Scenario sc = iid(1, uniform(0, 1), 2000000, 8);
  GroupSpec g;
  g.name = "strong";
  g.count = 1;
  g.value = uniform(0, 2);
  sc.groups.push_back(g);
  sc.mechanisms = {mech(MechKind::SecondPrice)};
  const MechanismResult m = run_cpu_scenario(sc).mechanisms[0];
  EXPECT_TRUE(WithinSE(m.revenue, 5.0 / 12));
  EXPECT_TRUE(WithinSE(m.welfare, 13.0 / 12));
  EXPECT_TRUE(WithinSE(m.bidders[0].win, 0.25));
  EXPECT_TRUE(WithinSE(m.bidders[1].win, 0.75));
}

TEST(SellerValue, SellerUtilityAddsKeptValue) {
  // Reserve 0.5, v0 = 0.3, n = 2: seller utility = revenue + v0 · r^n.
  Scenario sc = iid(2, uniform(0, 1), 2000000, 9);
  MechanismSpec m = mech(MechKind::SecondPrice, "r", 0.5);
  m.seller_value = 0.3;
  sc.mechanisms = {m};
  const MechanismResult r = run_cpu_scenario(sc).mechanisms[0];
  EXPECT_TRUE(WithinSE(r.seller_utility, 5.0 / 12 + 0.3 * 0.25));
  // Efficiency = E[welfare + v0·unsold] / E[max(v0, V_(1))].
  const double opt = 0.3 * 0.09 + (1 - std::pow(0.3, 3)) * 2.0 / 3;
  const double got = 2.0 / 3 * (1 - 0.125) + 0.3 * 0.25;
  EXPECT_TRUE(WithinSE(r.efficiency, got / opt));
}

TEST(Confidence, LevelSetsIntervalWidth) {
  Scenario sc = iid(3, uniform(0, 1), 100000, 1);
  sc.mechanisms = {mech(MechKind::SecondPrice)};
  sc.confidence = 0.99;
  const MechanismResult m = run_cpu_scenario(sc).mechanisms[0];
  EXPECT_NEAR((m.revenue.ci_high - m.revenue.ci_low) / 2, 2.5758293035489004 * m.revenue.stderr_, 1e-12);
}

TEST(DefaultScenario, RevenueEquivalenceAtAGlance) {
  Scenario sc = default_scenario();
  sc.samples = 1000000;
  sc.backend = Backend::Cpu;
  const RunResult r = run_cpu_scenario(sc);
  ASSERT_EQ(r.mechanisms.size(), 5u);
  const double n = 5;
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, (n - 1) / (n + 1)));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 4.0 / 6 - 10 * std::pow(0.5, 6) / 6 + std::pow(0.5, 5)));
  EXPECT_TRUE(WithinSE(r.mechanisms[2].revenue_diff, 0.0));
  EXPECT_TRUE(WithinSE(r.mechanisms[3].revenue_diff, 0.0));
  EXPECT_TRUE(WithinSE(r.mechanisms[4].revenue, 0.5 * (1 - std::pow(0.5, 5))));
}
