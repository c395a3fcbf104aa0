// Exact per-profile outcomes of every mechanism on hand-computed profiles, ties included.
#include "mcrev/pipeline/evaluate.hpp"

#include "test_util.hpp"

#include <vector>

using namespace mcrev;
using namespace mcrev::test;

namespace {

struct Fixture {
  Scenario sc;
  ModelData md;
  Model model;
  Fixture(std::vector<int> counts, std::vector<MechanismSpec> mechs) {
    sc = iid(counts[0], uniform(0, 10), 1);
    for (size_t g = 1; g < counts.size(); ++g) {
      GroupSpec gs;
      gs.name = "g" + std::to_string(g);
      gs.count = counts[g];
      gs.value = uniform(0, 10);
      sc.groups.push_back(gs);
    }
    sc.mechanisms = std::move(mechs);
    md = build_model(sc);
    model = md.view();
  }
  std::vector<double> b;  // scratch of the last outcome (dense outcomes point into it)
  Outcome at(int m, std::vector<double> v, std::uint64_t profile = 0) {
    b.assign(model.scratch_doubles(), 0.0);
    return run_mechanism(model, m, profile, v.data(), b.data());
  }
  std::vector<double> metrics(int m, std::vector<double> v, double baseline = 0.0) {
    std::vector<double> b(model.scratch_doubles()), out(model.metrics_per_mechanism());
    const Outcome o = run_mechanism(model, m, 0, v.data(), b.data());
    double vmax = v[0];
    for (double x : v) vmax = std::max(vmax, x);
    write_metrics(model, m, o, v.data(), baseline, vmax, out.data());
    return out;
  }
};

}  // namespace

TEST(SecondPrice, WinnerPaysSecondHighestOrReserve) {
  Fixture f({4}, {mech(MechKind::SecondPrice), mech(MechKind::SecondPrice, "r", 5.0)});
  Outcome o = f.at(0, {3, 7, 1, 5});
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 5);
  o = f.at(1, {3, 7, 1, 4});  // reserve 5 binds
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 5);
  o = f.at(1, {3, 4.9, 1, 4});  // nobody reaches the reserve
  EXPECT_EQ(o.winner, -1);
  o = f.at(1, {3, 5.0, 1, 4});  // a bid equal to the reserve is accepted
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 5);
}

TEST(SecondPrice, PersonalizedReservesAreEager) {
  MechanismSpec m = mech(MechKind::SecondPrice);
  m.group_reserves = {2.0, 6.0};
  Fixture f({2, 2}, {m});
  // group 0 = bidders 0,1 (reserve 2); group 1 = bidders 2,3 (reserve 6).
  Outcome o = f.at(0, {1, 3, 5.5, 0});  // bidder 2 is below its reserve 6: bidder 1 wins at 2
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 2);
  o = f.at(0, {1, 3, 7, 0});  // bidder 2 wins, pays max(6, 3)
  EXPECT_EQ(o.winner, 2);
  EXPECT_DOUBLE_EQ(o.price, 6);
  o = f.at(0, {4, 9, 7, 0});  // bidder 1 wins, pays max(2, 7)
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 7);
}

TEST(FirstPrice, WinnerPaysOwnBidUnderEachStrategy) {
  MechanismSpec shade = mech(MechKind::FirstPrice, "shade", 0.0, StrategySpec::Shade);
  shade.strategy.factor = 0.5;
  Fixture f({3}, {mech(MechKind::FirstPrice, "t"), shade, mech(MechKind::FirstPrice, "r", 4.0)});
  Outcome o = f.at(0, {2, 8, 6});
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 8);
  o = f.at(1, {2, 8, 6});
  EXPECT_EQ(o.winner, 1);
  EXPECT_DOUBLE_EQ(o.price, 4);
  o = f.at(2, {2, 3.5, 3});  // all truthful bids below the minimum bid 4
  EXPECT_EQ(o.winner, -1);
}

TEST(AllPay, EveryEligibleBidderPays) {
  Fixture f({3}, {mech(MechKind::AllPay, "t"), mech(MechKind::AllPay, "r", 3.0)});
  auto x = f.metrics(0, {2, 8, 6});
  EXPECT_DOUBLE_EQ(x[metric::kRevenue], 16);
  EXPECT_DOUBLE_EQ(x[metric::kWelfare], 8);
  EXPECT_DOUBLE_EQ(x[metric::payment(0)], 16.0 / 3);
  EXPECT_DOUBLE_EQ(x[metric::utility(0)], (8.0 - 16.0) / 3);
  x = f.metrics(1, {2, 8, 6});  // the bid 2 is below the minimum bid 3 and pays nothing
  EXPECT_DOUBLE_EQ(x[metric::kRevenue], 14);
}

TEST(PostedPrice, FirstArrivingBuyerAtOrAbovePriceBuys) {
  Fixture f({4}, {mech(MechKind::PostedPrice, "p", 0, StrategySpec::Truthful, 5.0)});
  Outcome o = f.at(0, {1, 2, 6, 3});  // a single eligible buyer
  EXPECT_EQ(o.winner, 2);
  EXPECT_DOUBLE_EQ(o.price, 5);
  EXPECT_EQ(f.at(0, {1, 2, 4.99, 3}).winner, -1);
  // Two eligible buyers (1 and 3): each buys in half of the arrival orders.
  int first = 0;
  const int n = 40000;
  for (int p = 0; p < n; ++p) {
    const Outcome q = f.at(0, {1, 7, 2, 9}, p);
    ASSERT_TRUE(q.winner == 1 || q.winner == 3);
    first += q.winner == 1;
  }
  EXPECT_NEAR(first, n / 2.0, 5 * std::sqrt(n * 0.25));
}

TEST(RandomOffer, OneUniformlyChosenBuyerGetsTheOffer) {
  Fixture f({4}, {mech(MechKind::RandomOffer, "o", 0, StrategySpec::Truthful, 5.0)});
  std::vector<int> hits(4, 0);
  const int n = 40000;
  for (int p = 0; p < n; ++p) {
    const Outcome q = f.at(0, {6, 7, 2, 9}, p);  // bidder 2 declines
    if (q.winner >= 0) {
      ++hits[q.winner];
      ASSERT_DOUBLE_EQ(q.price, 5);
    }
  }
  EXPECT_EQ(hits[2], 0);
  for (int i : {0, 1, 3}) EXPECT_NEAR(hits[i], n / 4.0, 5 * std::sqrt(n * 0.1875));
}

TEST(Ties, BrokenUniformlyFromTheProfileStreamNotByIndex) {
  Fixture f({4}, {mech(MechKind::SecondPrice), mech(MechKind::FirstPrice, "fp")});
  std::vector<int> hits(4, 0);
  const int n = 60000;
  for (int p = 0; p < n; ++p) {
    const Outcome o = f.at(0, {5, 8, 8, 8}, p);
    ASSERT_DOUBLE_EQ(o.price, 8);  // the price is the tied bid
    ++hits[o.winner];
    // Same profile, same answer (a pure function of the profile).
    ASSERT_EQ(f.at(0, {5, 8, 8, 8}, p).winner, o.winner);
  }
  EXPECT_EQ(hits[0], 0);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(hits[i], n / 3.0, 5 * std::sqrt(n * (2.0 / 9)));
}

TEST(Metrics, SellerValueEntersSellerUtilityAndEfficiency) {
  MechanismSpec m = mech(MechKind::SecondPrice, "r", 6.0);
  m.seller_value = 4.0;
  Fixture f({2}, {m});
  auto x = f.metrics(0, {3, 5});  // unsold: the seller keeps an item worth 4
  EXPECT_DOUBLE_EQ(x[metric::kNoSale], 1);
  EXPECT_DOUBLE_EQ(x[metric::kRevenue], 0);
  EXPECT_DOUBLE_EQ(x[metric::kSellerUtility], 4);
  EXPECT_DOUBLE_EQ(x[metric::kSurplus], 4);
  EXPECT_DOUBLE_EQ(x[metric::kOptSurplus], 5);
  x = f.metrics(0, {3, 7}, 2.5);
  EXPECT_DOUBLE_EQ(x[metric::kRevenue], 6);
  EXPECT_DOUBLE_EQ(x[metric::kSellerUtility], 6);
  EXPECT_DOUBLE_EQ(x[metric::kRevenueDiff], 3.5);
  EXPECT_DOUBLE_EQ(x[metric::win(0)], 0.5);
  EXPECT_DOUBLE_EQ(x[metric::payment(0)], 3);
  EXPECT_DOUBLE_EQ(x[metric::utility(0)], 0.5);
}

TEST(Metrics, PerGroupOutcomesGoToTheWinnersGroup) {
  Fixture f({1, 3}, {mech(MechKind::SecondPrice)});
  auto x = f.metrics(0, {2, 9, 4, 1});
  EXPECT_DOUBLE_EQ(x[metric::win(0)], 0);
  EXPECT_DOUBLE_EQ(x[metric::win(1)], 1.0 / 3);
  EXPECT_DOUBLE_EQ(x[metric::payment(1)], 4.0 / 3);
  EXPECT_DOUBLE_EQ(x[metric::utility(1)], 5.0 / 3);
  EXPECT_DOUBLE_EQ(x[metric::kWelfare], 9);
}
