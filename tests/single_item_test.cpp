// Single-item additions of issue 15 (mcrev/mechanisms/standard_auction.hpp; docs/single_item.md
// derives every closed form used here): k-th price auctions (third_price, kth_price) with their
// symmetric equilibria (host/solvers/bne.cpp kth_price_bne), revenue equivalence with second price,
// the interim loss at the equilibrium, and second price with lazy personalized reserves.
#include "mcrev/incentives/interim.hpp"
#include "solvers/bne.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::string uniform_bidders(int n, double hi = 1.0) {
  return "[[bidders]]\ncount = " + std::to_string(n) + "\nvalue = { dist = \"uniform\", low = 0.0, high = " +
         std::to_string(hi) + " }\n";
}

std::string error_of(const std::string& toml) {
  try {
    const Scenario sc = parse_scenario(toml);
    build_model(sc);
  } catch (const ScenarioError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

/// Prescribed bid of group g's bidders under mechanism m at value v.
double bid_of(const ModelData& md, int m, int g, double v) {
  const Model view = md.view();
  return view.strategies[view.mechanisms[m].strategies + g].bid(v, view.groups[g].dist, view.arena);
}

const char* kLazy = R"(
[[bidders]]
name = "low"
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
name = "high"
value = { dist = "uniform", low = 0.0, high = 2.0 }
[[mechanisms]]
name = "eager"
kind = "second_price"
reserve = [0.5, 1.0]
[[mechanisms]]
name = "lazy"
kind = "second_price"
reserve = [0.5, 1.0]
reserve_mode = "lazy"
)";

}  // namespace

TEST(KthPrice, HandCases) {
  ScenarioFixture f(uniform_bidders(4) + R"(
[[mechanisms]]
kind = "third_price"
strategy = "truthful"
[[mechanisms]]
name = "third_r05"
kind = "third_price"
strategy = "truthful"
reserve = 0.5
[[mechanisms]]
name = "third_r03"
kind = "third_price"
strategy = "truthful"
reserve = 0.3
[[mechanisms]]
kind = "kth_price"
k = 4
strategy = "truthful"
[[mechanisms]]
name = "k2"
kind = "kth_price"
k = 2
strategy = "truthful"
)");
  const std::vector<double> b = {0.9, 0.4, 0.7, 0.2};
  Outcome o = f.outcome(0, b);
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.t(0), 0.4);  // 0.9, 0.7, 0.4: the third highest
  EXPECT_EQ(o.t(1) + o.t(2) + o.t(3), 0.0);
  o = f.outcome(1, b);  // reserve 0.5: two eligible bids, fewer than 3: the reserve
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.t(0), 0.5);
  o = f.outcome(2, b);  // reserve 0.3: 0.9, 0.7, 0.4 eligible
  EXPECT_EQ(o.t(0), 0.4);
  o = f.outcome(3, b);  // k = 4: the lowest bid
  EXPECT_EQ(o.t(0), 0.2);
  o = f.outcome(4, b);  // k = 2: second price
  EXPECT_EQ(o.t(0), 0.7);
  // Ties at the top: the winner is drawn, the price counts tied bids with multiplicity.
  int first = 0;
  for (std::uint64_t p = 0; p < 200; ++p) {
    o = f.outcome(0, {0.8, 0.8, 0.3, 0.1}, p);
    EXPECT_TRUE(o.winner == 0 || o.winner == 1);
    EXPECT_EQ(o.t(o.winner), 0.3);
    first += o.winner == 0;
    o = f.outcome(0, {0.8, 0.8, 0.8, 0.1}, p);
    EXPECT_EQ(o.t(o.winner), 0.8);
  }
  EXPECT_GT(first, 60);
  EXPECT_LT(first, 140);
  o = f.outcome(1, {0.2, 0.1, 0.3, 0.4});  // nobody reaches the reserve
  EXPECT_EQ(o.winner, -1);
  EXPECT_EQ(o.t(0) + o.t(1) + o.t(2) + o.t(3), 0.0);
}

TEST(KthPrice, PerGroupReservesFilterBeforeCounting) {
  ScenarioFixture f(R"(
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 2.0 }
[[mechanisms]]
kind = "third_price"
strategy = "truthful"
reserve = [0.2, 0.6]
)");
  // Group 1 bids 0.5 is below its reserve 0.6: eligible 0.9 (g0), 0.3 (g0), 1.2 (g1).
  Outcome o = f.outcome(0, {0.9, 0.3, 1.2, 0.5});
  EXPECT_EQ(o.winner, 2);
  EXPECT_EQ(o.t(2), 0.6);  // max(r_winner = 0.6, third eligible 0.3)
  o = f.outcome(0, {0.9, 0.7, 1.2, 0.5});
  EXPECT_EQ(o.t(2), 0.7);
}

TEST(KthPrice, KEqualsTwoIsSecondPriceOnEveryProfile) {
  Scenario sc = parse_scenario("samples = 20000\nseed = 5\n" + uniform_bidders(5) + R"(
[[mechanisms]]
kind = "second_price"
reserve = 0.3
[[mechanisms]]
kind = "kth_price"
k = 2
reserve = 0.3
)");
  const RunResult r = run_cpu_scenario(sc, 2);
  EXPECT_EQ(r.mechanisms[1].revenue_diff.mean, 0.0);
  EXPECT_EQ(r.mechanisms[1].revenue_diff.stderr_, 0.0);
  EXPECT_EQ(r.mechanisms[1].revenue.mean, r.mechanisms[0].revenue.mean);
}

TEST(KthPriceBne, ClosedForms) {
  // U[0,1]: β(v) = (n − 1)/(n − k + 1) v (third price: (n − 1)/(n − 2) v).
  for (auto [n, k] : {std::pair{3, 3}, std::pair{4, 3}, std::pair{5, 4}, std::pair{6, 6}}) {
    const ModelData md = build_model(parse_scenario(uniform_bidders(n) + "[[mechanisms]]\nkind = \"kth_price\"\nk = " +
                                                    std::to_string(k) + "\n"));
    for (double v : {0.0, 0.1, 0.5, 0.77, 1.0})
      EXPECT_NEAR(bid_of(md, 0, 0, v), (n - 1.0) / (n - k + 1.0) * v, 1e-14) << n << " " << k << " " << v;
    ASSERT_EQ(md.bid_tables[0].size(), 1u);
    EXPECT_EQ(md.bid_tables[0][0].method, "closed_form");
  }
  // U[1,3], n = 4, third price: β(v) = v + (v − 1)/2; with reserve 2: no bid below 2, same β above.
  ModelData md = build_model(parse_scenario(
      "[[bidders]]\ncount = 4\nvalue = { dist = \"uniform\", low = 1.0, high = 3.0 }\n[[mechanisms]]\nkind = "
      "\"third_price\"\n[[mechanisms]]\nname = \"r\"\nkind = \"third_price\"\nreserve = 2.0\n"));
  for (double v : {1.0, 1.5, 2.0, 2.9}) EXPECT_NEAR(bid_of(md, 0, 0, v), v + (v - 1) / 2, 1e-14);
  EXPECT_EQ(bid_of(md, 1, 0, 1.99), kNoBid);
  for (double v : {2.0, 2.5, 3.0}) EXPECT_NEAR(bid_of(md, 1, 0, v), v + (v - 1) / 2, 1e-14);
  // Power F = v^2 on [0,1], n = 4: third price c = 1 + 1/(κ(n − 2)) = 1.25; k = 4:
  // c = 0! Γ(3.5)/(2! Γ(1.5)) = (2.5 · 1.5)/2 = 1.875.
  md = build_model(parse_scenario("[[bidders]]\ncount = 4\nvalue = { dist = \"power\", k = 2.0 }\n[[mechanisms]]\nkind = "
                                  "\"third_price\"\n[[mechanisms]]\nkind = \"kth_price\"\nk = 4\n"));
  EXPECT_NEAR(bid_of(md, 0, 0, 0.6), 1.25 * 0.6, 1e-14);
  EXPECT_NEAR(bid_of(md, 1, 0, 0.6), 1.875 * 0.6, 1e-14);
}

TEST(KthPriceBne, ThirdPriceTablesForAnyContinuousDistribution) {
  // Exp(1), n = 3: β(v) = v + (1 − e^{−v})/e^{−v} = v + e^v − 1 (Hermite table, relative error 1e-9
  // in the body; in the far tail the table is indexed by F(v), which rounds by ~1e-16, so β ~ e^v is
  // known to ~1e-16 e^v relative: 5e-8 at v = 20).
  ModelData md = build_model(parse_scenario(
      "[[bidders]]\ncount = 3\nvalue = { dist = \"exponential\", rate = 1.0 }\n[[mechanisms]]\nkind = \"third_price\"\n"));
  EXPECT_EQ(md.bid_tables[0][0].method, "symmetric");
  for (double v : {0.0, 1e-6, 0.01, 0.3, 1.0, 2.5, 7.0, 20.0}) {
    const double want = v + std::expm1(v);
    EXPECT_NEAR(bid_of(md, 0, 0, v), want, (1e-8 + 1e-15 * std::exp(v)) * std::max(1.0, want)) << v;
  }
  // Truncated normal, n = 5, with a binding reserve: β(v) = v + F(v)/(3 f(v)) for v >= r.
  md = build_model(parse_scenario(
      "[[bidders]]\ncount = 5\nvalue = { dist = \"normal\", mean = 1.0, sd = 0.5, low = 0.0, high = 2.0 }\n"
      "[[mechanisms]]\nkind = \"third_price\"\nreserve = 0.8\n"));
  const Model view = md.view();
  const Distribution& d = view.groups[0].dist;
  EXPECT_EQ(bid_of(md, 0, 0, 0.79), kNoBid);
  for (double v : {0.8, 0.9, 1.3, 1.99}) {
    const double want = v + d.cdf(v, view.arena) / (3 * d.pdf(v, view.arena));
    EXPECT_NEAR(bid_of(md, 0, 0, v), want, 1e-8 * want) << v;
  }
}

TEST(KthPriceBne, RevenueEquivalenceWithSecondPrice) {
  // n = 4 iid U[0,1]: every format's revenue is E[V(2)] = (n − 1)/(n + 1) = 0.6.
  Scenario sc = parse_scenario("samples = 400000\nseed = 11\n" + uniform_bidders(4) + R"(
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "third_price"
[[mechanisms]]
kind = "kth_price"
k = 4
)");
  RunResult r = run_cpu_scenario(sc);
  for (int m = 0; m < 3; ++m) EXPECT_TRUE(WithinSE(r.mechanisms[m].revenue, 0.6)) << m;
  for (int m = 1; m < 3; ++m) EXPECT_TRUE(WithinSE(r.mechanisms[m].revenue_diff, 0.0)) << m;
  // With a reserve 1/2 (n = 3): second and third price earn the same, and
  // E[max(r, V(2)) 1{V(1) >= r}] = r · n(1 − r)r^{n−1} + ∫_r^1 y · 6y(1 − y) dy = 3/16 + 11/32 = 17/32.
  sc = parse_scenario("samples = 400000\nseed = 12\n" + uniform_bidders(3) + R"(
[[mechanisms]]
kind = "second_price"
reserve = 0.5
[[mechanisms]]
kind = "third_price"
reserve = 0.5
)");
  r = run_cpu_scenario(sc);
  const double second = 3 * 0.25 * 0.5 * 0.5 + (6.0 * (1 - std::pow(0.5, 3)) / 3 - 6.0 * (1 - std::pow(0.5, 4)) / 4);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, second));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, second));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 0.0));
  // Exp(1), n = 3: E[V(2)] = 1/3 + 1/2 = 5/6.
  sc = parse_scenario("samples = 400000\nseed = 13\n[[bidders]]\ncount = 3\nvalue = { dist = \"exponential\", rate = 1.0 }\n"
                      "[[mechanisms]]\nkind = \"second_price\"\n[[mechanisms]]\nkind = \"third_price\"\n");
  r = run_cpu_scenario(sc);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 5.0 / 6));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 5.0 / 6));
}

TEST(KthPriceBne, InterimLossAtTheEquilibriumIsZero) {
  // Third price, n = 3, U[0,1], β(v) = 2v: the cross-fitted interval contains 0; truthful bidding is
  // not an equilibrium (its loss is clearly positive).
  Scenario sc = parse_scenario("samples = 1000\nseed = 3\n" + uniform_bidders(3) + R"(
[[mechanisms]]
kind = "third_price"
incentives = { interim_loss = true, values = 32, deviations = 96, opponent_samples = 262144 }
[[mechanisms]]
name = "truthful"
kind = "third_price"
strategy = "truthful"
incentives = { interim_loss = true, values = 32, deviations = 96, opponent_samples = 65536 }
)");
  const RunResult r = run_cpu_scenario(sc);
  const InterimGroupResult& bne = r.mechanisms[0].incentives.interim.at(0);
  EXPECT_DOUBLE_EQ(bne.bid_high, 2.0);  // the range reaches the top type's bid
  EXPECT_LE(bne.exante_crossfit.ci_low, 0.0);
  EXPECT_GE(bne.exante_crossfit.ci_high, 0.0);
  EXPECT_LT(bne.exante.mean, 2e-3);
  const InterimGroupResult& truthful = r.mechanisms[1].incentives.interim.at(0);
  EXPECT_GT(truthful.exante_crossfit.ci_low, 0.005);
}

TEST(LazyReserves, HandCases) {
  ScenarioFixture f(kLazy);
  // (0.8, 0.9): the highest bid (0.9) is below its own reserve 1: lazy sells nothing; eager drops it
  // and sells to the other at its reserve 0.5.
  Outcome o = f.outcome(1, {0.8, 0.9});
  EXPECT_EQ(o.winner, -1);
  o = f.outcome(0, {0.8, 0.9});
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.t(0), 0.5);
  // (0.9, 0.6): lazy: 0.9 wins and pays max(0.5, 0.6); eager: 0.6 < 1 is dropped, price 0.5.
  o = f.outcome(1, {0.9, 0.6});
  EXPECT_EQ(o.winner, 0);
  EXPECT_EQ(o.t(0), 0.6);
  o = f.outcome(0, {0.9, 0.6});
  EXPECT_EQ(o.t(0), 0.5);
  // (0.8, 1.5): both modes sell to the high group at max(1, 0.8) = 1.
  for (int m : {0, 1}) {
    o = f.outcome(m, {0.8, 1.5});
    EXPECT_EQ(o.winner, 1);
    EXPECT_EQ(o.t(1), 1.0);
  }
  // (0.3, 0.2): nobody reaches a reserve.
  for (int m : {0, 1}) EXPECT_EQ(f.outcome(m, {0.3, 0.2}).winner, -1);
}

TEST(LazyReserves, RevenueClosedFormsAndZeroRegret) {
  // U[0,1] with reserve 1/2 and U[0,2] with reserve 1 (docs/single_item.md): eager 5/8 = 0.625,
  // lazy 1/2 + (1/2)(1/8 + 1/12) = 29/48 = 0.604167.
  Scenario sc = parse_scenario("samples = 400000\nseed = 21\n" + std::string(kLazy) +
                               "incentives = { expost_regret = true, deviations = 16, refine_levels = 1 }\n");
  RunResult r = run_cpu_scenario(sc);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 0.625));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 29.0 / 48));
  EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 29.0 / 48 - 0.625));
  // Lazy second price is DSIC (the winner pays its threshold max(r_i, highest other bid)).
  EXPECT_EQ(r.mechanisms[1].incentives.expost.regret.mean, 0.0);
  EXPECT_EQ(r.mechanisms[1].incentives.expost.regret.stderr_, 0.0);
}

TEST(SingleItemAdditions, CpuBackendIsThePerProfileModelBitForBit) {
  Scenario sc = parse_scenario("samples = 3000\nseed = 8\n" + std::string(kLazy) + R"(
[[mechanisms]]
kind = "kth_price"
k = 2
reserve = [0.1, 0.2]
strategy = "truthful"
)");
  expect_cpu_backend_is_per_profile_model(sc);
  sc = parse_scenario("samples = 3000\nseed = 10\n" + uniform_bidders(2) + uniform_bidders(3, 2.0) + R"(
[[mechanisms]]
kind = "third_price"
strategy = "truthful"
reserve = [0.1, 0.4]
[[mechanisms]]
kind = "second_price"
reserve = [0.1, 0.4]
reserve_mode = "lazy"
[[mechanisms]]
kind = "kth_price"
k = 5
strategy = "shade"
factor = 0.9
)");
  expect_cpu_backend_is_per_profile_model(sc);
  sc = parse_scenario("samples = 3000\nseed = 9\n[[bidders]]\ncount = 4\nvalue = { dist = \"exponential\", rate = 2.0 }\n"
                      "[[mechanisms]]\nkind = \"third_price\"\n[[mechanisms]]\nkind = \"kth_price\"\nk = 4\n"
                      "strategy = \"truthful\"\n");
  expect_cpu_backend_is_per_profile_model(sc);
}

TEST(SingleItemAdditions, ScenarioErrorsNameTheKey) {
  const std::string u3 = uniform_bidders(3);
  auto has = [](const std::string& msg, const std::string& key) {
    return msg.find(key) != std::string::npos ? ::testing::AssertionSuccess()
                                              : ::testing::AssertionFailure() << "'" << msg << "' lacks " << key;
  };
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"kth_price\"\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"kth_price\"\nk = 1\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"kth_price\"\nk = 2.5\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"kth_price\"\nk = 4\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"second_price\"\nk = 3\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"third_price\"\nk = 3\n"), "mechanisms[0].k"));
  EXPECT_TRUE(has(error_of(uniform_bidders(2) + "[[mechanisms]]\nkind = \"third_price\"\n"), "mechanisms[0].kind"));
  // bne: asymmetric groups, atoms, k >= 4 beyond uniform/power, k >= 4 with a binding reserve.
  EXPECT_TRUE(has(error_of(uniform_bidders(2) + uniform_bidders(1, 2.0) + "[[mechanisms]]\nkind = \"third_price\"\n"),
                  "mechanisms[0].strategy"));
  EXPECT_TRUE(has(error_of("[[bidders]]\ncount = 3\nvalue = { dist = \"discrete\", values = [0.0, 1.0], probs = [0.5, 0.5] }\n"
                           "[[mechanisms]]\nkind = \"third_price\"\n"),
                  "mechanisms[0].strategy"));
  EXPECT_TRUE(has(error_of("[[bidders]]\ncount = 4\nvalue = { dist = \"exponential\", rate = 1.0 }\n"
                           "[[mechanisms]]\nkind = \"kth_price\"\nk = 4\n"),
                  "mechanisms[0].strategy"));
  EXPECT_TRUE(has(error_of(uniform_bidders(4) + "[[mechanisms]]\nkind = \"kth_price\"\nk = 4\nreserve = 0.2\n"),
                  "mechanisms[0].strategy"));
  EXPECT_EQ(error_of(uniform_bidders(4) + "[[mechanisms]]\nkind = \"kth_price\"\nk = 4\nreserve = 0.2\nstrategy = \"truthful\"\n"),
            "no error");
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"first_price\"\nreserve_mode = \"lazy\"\n"),
                  "mechanisms[0].reserve_mode"));
  EXPECT_TRUE(has(error_of(u3 + "[[mechanisms]]\nkind = \"second_price\"\nreserve_mode = \"sloppy\"\n"),
                  "mechanisms[0].reserve_mode"));
}
