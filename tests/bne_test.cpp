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
