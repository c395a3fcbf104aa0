// Tabulated Bayes–Nash equilibria against closed forms (THEORY.md, first price and all-pay).
#include "solvers/bne.hpp"

#include "test_util.hpp"

#include <cmath>
#include <vector>

using namespace mcrev;

namespace {
double bid_at(const BneTable& t, const Distribution& d, double v) {
  std::vector<double> arena(t.bids);
  arena.insert(arena.end(), t.slopes.begin(), t.slopes.end());
  return t.strategy(0, static_cast<int>(t.bids.size())).bid(v, d, arena.data());
}
}  // namespace

TEST(FirstPriceBne, UniformClosedForm) {
  const Distribution d = test::uniform(0, 1).dist;
  for (int n : {1, 2, 3, 5, 10}) {
    const BneTable t = first_price_bne(d, nullptr, n, 0.0);
    for (double v = 0.0; v <= 1.0; v += 0.01) EXPECT_NEAR(bid_at(t, d, v), (n - 1.0) / n * v, 1e-9) << n << " " << v;
  }
}

TEST(FirstPriceBne, UniformWithReserve) {
  // β(v) = v − (v^n − r^n) / (n v^{n−1}) for v >= r; no bid below r.
  const Distribution d = test::uniform(0, 1).dist;
  const double r = 0.3;
  for (int n : {2, 4}) {
    const BneTable t = first_price_bne(d, nullptr, n, r);
    EXPECT_EQ(bid_at(t, d, 0.29), kNoBid);
    EXPECT_DOUBLE_EQ(bid_at(t, d, r), r);
    for (double v = 0.31; v <= 1.0; v += 0.01)
      EXPECT_NEAR(bid_at(t, d, v), v - (std::pow(v, n) - std::pow(r, n)) / (n * std::pow(v, n - 1)), 1e-9);
  }
}

TEST(FirstPriceBne, ExponentialTwoBidders) {
  // n = 2, rate 1: β(v) = v − (v − 1 + e^{−v}) / (1 − e^{−v}).
  const Distribution d = test::exponential(1.0).dist;
  const BneTable t = first_price_bne(d, nullptr, 2, 0.0);
  for (double v = 0.05; v < 25; v += 0.1)
    EXPECT_NEAR(bid_at(t, d, v), v - (v - 1 + std::exp(-v)) / (1 - std::exp(-v)), 1e-9) << v;
}

TEST(FirstPriceBne, ManyBiddersDoNotUnderflow) {
  const Distribution d = test::uniform(0, 1).dist;
  const BneTable t = first_price_bne(d, nullptr, 1000, 0.0);
  for (double v : {0.001, 0.2, 0.5, 0.99}) EXPECT_NEAR(bid_at(t, d, v), 0.999 * v, 1e-9);
}

TEST(AllPayBne, UniformClosedForm) {
  // β(v) = (n − 1)/n · v^n.
  const Distribution d = test::uniform(0, 1).dist;
  for (int n : {2, 3, 5}) {
    const BneTable t = all_pay_bne(d, nullptr, n, 0.0);
    for (double v = 0.0; v <= 1.0; v += 0.01) EXPECT_NEAR(bid_at(t, d, v), (n - 1.0) / n * std::pow(v, n), 1e-9);
  }
}

TEST(AllPayBne, MinimumBidSetsEntryType) {
  // n = 2, U[0,1], minimum bid m: entry r* with r*² = m; β(v) = v² − (v² − r*²)/2 = (v² + m)/2.
  const Distribution d = test::uniform(0, 1).dist;
  const double m = 0.09;
  const BneTable t = all_pay_bne(d, nullptr, 2, m);
  EXPECT_NEAR(t.entry, 0.3, 1e-12);
  EXPECT_EQ(bid_at(t, d, 0.29), kNoBid);
  for (double v = 0.3 + 1e-12; v <= 1.0; v += 0.01) EXPECT_NEAR(bid_at(t, d, v), (v * v + m) / 2, 1e-9);
}

// Closed forms for iid uniform values (StrategyKind::UniformFirstPrice / UniformAllPay), which the
// engine uses instead of tables: hand values, agreement with the tables within their measured error,
// entry types, and the bidders' own bid at the entry.
TEST(UniformBne, HandValues) {
  const Distribution d = test::uniform(0, 1).dist;
  // First price U[0,1], n = 5: 4v/5; with reserve 0.5 and n = 2: v − (v² − r²)/(2v).
  EXPECT_DOUBLE_EQ(uniform_bne(d, nullptr, 5, 0.0, false).bid(0.8, d, nullptr), 0.64);
  const Strategy fr = uniform_bne(d, nullptr, 2, 0.5, false);
  EXPECT_DOUBLE_EQ(fr.bid(0.8, d, nullptr), 0.8 - (0.64 - 0.25) / 1.6);
  EXPECT_EQ(fr.bid(0.49, d, nullptr), kNoBid);
  EXPECT_EQ(fr.bid(0.5, d, nullptr), 0.5);
  // All-pay U[0,1], n = 5: (n − 1)/n v^n.
  EXPECT_DOUBLE_EQ(uniform_bne(d, nullptr, 5, 0.0, true).bid(0.8, d, nullptr), 0.8 * std::pow(0.8, 5));
  // U[1,3] first price, n = 3: β = 1 + 2(v − 1)/3.
  const Distribution w = test::uniform(1, 3).dist;
  EXPECT_DOUBLE_EQ(uniform_bne(w, nullptr, 3, 0.0, false).bid(2.5, w, nullptr), 2.5 - 2.0 * 0.75 / 3);
}

TEST(UniformBne, AgreesWithTheTables) {
  for (const auto& [lo, hi] : {std::pair{0.0, 1.0}, std::pair{1.0, 3.0}, std::pair{-1.0, 2.0}})
    for (int n : {1, 2, 5, 50})
      for (double reserve : {lo - 1.0, lo + 0.3 * (hi - lo), lo + 0.9 * (hi - lo)})
        for (bool all_pay : {false, true}) {
          if (all_pay && lo < 0) continue;  // all-pay tables floor bids at the minimum bid >= 0
          const Distribution d = test::uniform(lo, hi).dist;
          const double r = all_pay ? std::max(0.0, reserve) : reserve;
          const BneTable t = all_pay ? all_pay_bne(d, nullptr, n, r) : first_price_bne(d, nullptr, n, r);
          const Strategy c = uniform_bne(d, nullptr, n, r, all_pay);
          EXPECT_EQ(c.entry, t.entry) << lo << " " << n << " " << r << " " << all_pay;
          for (int k = 0; k <= 400; ++k) {
            const double v = lo + (hi - lo) * k / 400.0;
            const double a = c.bid(v, d, nullptr), b = bid_at(t, d, v);
            if (b == kNoBid) {
              EXPECT_EQ(a, kNoBid) << v;
              continue;
            }
            EXPECT_NEAR(a, b, std::max(1e-9, 4 * t.error) * std::max(1.0, std::fabs(b)))
                << "n " << n << " r " << r << " v " << v << " all_pay " << all_pay;
          }
        }
}

TEST(UniformBne, EngineUsesTheClosedFormAndRevenueEquivalenceHolds) {
  Scenario sc = test::iid(5, test::uniform(0, 1), 400000, 3);
  sc.mechanisms = {test::mech(MechKind::SecondPrice), test::mech(MechKind::FirstPrice, "fp", 0, StrategySpec::Bne),
                   test::mech(MechKind::AllPay, "ap", 0, StrategySpec::Bne)};
  const ModelData md = build_model(sc);
  EXPECT_EQ(md.strategies[1].kind, StrategyKind::UniformFirstPrice);
  EXPECT_EQ(md.strategies[2].kind, StrategyKind::UniformAllPay);
  const RunResult r = test::run_cpu_scenario(sc);
  for (const MechanismResult& m : r.mechanisms) EXPECT_TRUE(test::WithinSE(m.revenue, 4.0 / 6.0)) << m.name;
  ASSERT_EQ(r.mechanisms[1].bid_tables.size(), 1u);
  EXPECT_EQ(r.mechanisms[1].bid_tables[0].method, "closed_form");
}
