// The first-price mixed equilibrium for iid discrete values (issue 15; host/solvers/discrete_mixed.hpp,
// StrategyKind::DiscreteMixed; docs/single_item.md "Mixed equilibria for discrete values" derives
// every number used here): hand cases of the bid map, revenue equivalence with second price, the
// interim loss at the equilibrium, determinism.
#include "mcrev/incentives/interim.hpp"
#include "solvers/discrete_mixed.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>
#include <vector>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::string discrete_bidders(int n, const std::string& values, const std::string& probs) {
  return "[[bidders]]\ncount = " + std::to_string(n) + "\nvalue = { dist = \"discrete\", values = " + values +
         ", probs = " + probs + " }\n";
}

std::string error_of(const std::string& toml) {
  try {
    build_model(parse_scenario(toml));
  } catch (const ScenarioError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

/// The uniform that value slot k's mixed bid reads in profile p of mechanism m.
double mixed_uniform(std::uint64_t seed, std::uint64_t p, int m, int k) {
  const std::uint32_t w = kMixedBidWord + static_cast<std::uint32_t>(k);
  return u32_to_open01(block_word(philox_block(seed, p, aux_lane(m), w >> 2), static_cast<int>(w & 3u)));
}

/// Exact E[revenue] of second price with reserve r over iid discrete values (enumeration of every
/// type profile): the highest value >= r wins and pays max(r, the second-highest value >= r).
double second_price_revenue(const std::vector<double>& x, const std::vector<double>& p, int n, double r) {
  const int K = static_cast<int>(x.size());
  std::vector<int> t(n, 0);
  double total = 0.0;
  for (;;) {
    double prob = 1.0, hi = -HUGE_VAL, second = -HUGE_VAL;
    for (int i = 0; i < n; ++i) {
      prob *= p[t[i]];
      const double v = x[t[i]];
      if (v < r) continue;
      if (v > hi) {
        second = hi;
        hi = v;
      } else if (v > second) {
        second = v;
      }
    }
    if (hi >= r) total += prob * std::max(r, second);
    int i = 0;
    while (i < n && ++t[i] == K) t[i++] = 0;
    if (i == n) break;
  }
  return total;
}

}  // namespace

TEST(DiscreteMixed, IntervalTableByHand) {
  // {0, 1, 2} with probability 1/3 each, n = 2 (docs): U = (0, 1/3, 1), intervals {0}, [0, 1/2], [1/2, 1].
  std::vector<double> arena;
  Distribution d;
  {
    const Scenario sc = parse_scenario(discrete_bidders(2, "[0.0, 1.0, 2.0]", "[0.3333333333333333, 0.3333333333333333, 0.3333333333333334]") +
                                       "[[mechanisms]]\nkind = \"first_price\"\n");
    const ModelData md = build_model(sc);
    d = md.groups[0].dist;
    arena = md.arena;
  }
  const std::vector<MixedInterval> rows = discrete_first_price_intervals(d, arena.data(), 2, 0.0);
  ASSERT_EQ(rows.size(), 3u);
  const double U[3] = {0.0, 1.0 / 3, 1.0}, lo[3] = {0.0, 0.0, 0.5}, hi[3] = {0.0, 0.5, 1.0};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(rows[k].utility, U[k], 1e-15) << k;
    EXPECT_NEAR(rows[k].low, lo[k], 1e-15) << k;
    EXPECT_NEAR(rows[k].high, hi[k], 1e-15) << k;
  }
  // Reserve 0.5: type 0 stays out; U = (0, 1/6, 5/6), intervals [0.5, 0.75], [0.75, 7/6].
  const std::vector<MixedInterval> r = discrete_first_price_intervals(d, arena.data(), 2, 0.5);
  EXPECT_EQ(r[0].low, kNoBid);
  EXPECT_NEAR(r[1].utility, 1.0 / 6, 1e-15);
  EXPECT_NEAR(r[1].low, 0.5, 1e-15);
  EXPECT_NEAR(r[1].high, 0.75, 1e-15);
  EXPECT_NEAR(r[2].utility, 5.0 / 6, 1e-15);
  EXPECT_NEAR(r[2].high, 7.0 / 6, 1e-15);
}

TEST(DiscreteMixed, BidMapOfTypeAndAuxiliaryUniform) {
  // {0, 1} with probability 1/2, n = 2: type 0 bids 0; type 1 bids 1 − (1/2)/(1/2 + u/2) = u/(1 + u).
  ScenarioFixture f(discrete_bidders(2, "[0.0, 1.0]", "[0.5, 0.5]") + "[[mechanisms]]\nkind = \"first_price\"\n");
  const Strategy& st = f.m.strategies[0];
  ASSERT_EQ(st.kind, StrategyKind::DiscreteMixed);
  for (double u : {1e-9, 0.25, 0.5, 0.9, 1.0 - 1e-9}) {
    EXPECT_EQ(st.mixed_bid(0.0, u, f.m.arena), 0.0);
    EXPECT_NEAR(st.mixed_bid(1.0, u, f.m.arena), u / (1 + u), 1e-15) << u;
  }
  EXPECT_NEAR(st.bid(1.0, f.m.groups[0].dist, f.m.arena), 1.0 / 3, 1e-15);  // no uniform: the median u = 1/2
  // {0, 1, 2} with 1/3 each, n = 2, reserve 0.5: type 0 stays out, type 1 bids 1 − (1/6)/(1/3 + u/3),
  // type 2 bids 2 − (5/6)/(2/3 + u/3) (the table above).
  ScenarioFixture g(discrete_bidders(2, "[0.0, 1.0, 2.0]", "[0.3333333333333333, 0.3333333333333333, 0.3333333333333334]") +
                    "[[mechanisms]]\nkind = \"first_price\"\nreserve = 0.5\n");
  const Strategy& s2 = g.m.strategies[0];
  for (double u : {1e-9, 0.3, 0.7, 1.0 - 1e-9}) {
    EXPECT_EQ(s2.mixed_bid(0.0, u, g.m.arena), kNoBid);
    EXPECT_NEAR(s2.mixed_bid(1.0, u, g.m.arena), 1 - 0.5 / (1 + u), 1e-15) << u;
    EXPECT_NEAR(s2.mixed_bid(2.0, u, g.m.arena), 2 - 2.5 / (2 + u), 1e-15) << u;
    EXPECT_GE(s2.mixed_bid(1.0, u, g.m.arena), 0.5);  // never below the reserve
  }
  // In the pipeline: slot k's bid reads word kMixedBidWord + k of the mechanism's auxiliary stream;
  // the values are drawn as without the mixed strategy (lane 0).
  std::vector<double> v(2), b(g.m.scratch_doubles());
  for (std::uint64_t p = 0; p < 50; ++p) {
    draw_values(g.m, p, v.data());
    compute_reports(g.m, 0, v.data(), b.data(), p);
    for (int k = 0; k < 2; ++k) {
      const double u = mixed_uniform(g.m.seed, p, 0, k);
      const double want = v[k] == 0.0 ? kNoBid : v[k] == 1.0 ? 1 - 0.5 / (1 + u) : 2 - 2.5 / (2 + u);
      if (want == kNoBid) EXPECT_EQ(b[k], kNoBid) << p << " " << k;
      else EXPECT_NEAR(b[k], want, 1e-15) << p << " " << k;
    }
  }
}

TEST(DiscreteMixed, RevenueEquivalenceWithSecondPrice) {
  // {0, 1}, p = 1/2, n = 2: second price earns P(both 1) = 1/4; first price at the mixed equilibrium
  // E[welfare] − 2 E[U] = 3/4 − 2·(1/2)(1/2) = 1/4 (docs).
  {
    Scenario sc = parse_scenario("samples = 400000\nseed = 11\n" + discrete_bidders(2, "[0.0, 1.0]", "[0.5, 0.5]") +
                                 "[[mechanisms]]\nkind = \"second_price\"\n[[mechanisms]]\nkind = \"first_price\"\n");
    const RunResult r = run_cpu_scenario(sc);
    EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 0.25));
    EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue, 0.25));
    EXPECT_TRUE(WithinSE(r.mechanisms[1].revenue_diff, 0.0));
    EXPECT_TRUE(WithinSE(r.mechanisms[1].welfare, 0.75));
  }
  // Three values, n = 3, unequal probabilities, with and without a reserve: the revenue of second
  // price by enumeration of the 27 type profiles.
  const std::vector<double> x = {0.0, 0.4, 1.0}, p = {0.5, 0.3, 0.2};
  for (double r : {0.0, 0.2}) {
    const double truth = second_price_revenue(x, p, 3, r);
    Scenario sc = parse_scenario("samples = 400000\nseed = 5\n" + discrete_bidders(3, "[0.0, 0.4, 1.0]", "[0.5, 0.3, 0.2]") +
                                 "[[mechanisms]]\nkind = \"second_price\"\nreserve = " + std::to_string(r) +
                                 "\n[[mechanisms]]\nkind = \"first_price\"\nreserve = " + std::to_string(r) + "\n");
    const RunResult res = run_cpu_scenario(sc);
    EXPECT_TRUE(WithinSE(res.mechanisms[0].revenue, truth)) << r;
    EXPECT_TRUE(WithinSE(res.mechanisms[1].revenue, truth)) << r;
    EXPECT_TRUE(WithinSE(res.mechanisms[1].revenue_diff, 0.0)) << r;
  }
  EXPECT_NEAR(second_price_revenue({0.0, 1.0, 2.0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, 2, 0.5), 7.0 / 9, 1e-15);  // docs
}

TEST(DiscreteMixed, InterimLossAtTheEquilibriumIsZero) {
  // The interim estimator with the median bid of each type's mix as the prescribed report (every bid
  // of the support earns U_k against the mixing opponents): the cross-fitted interval contains 0.
  // Bidding the value instead (truthful) loses clearly.
  Scenario sc = parse_scenario("samples = 1000\nseed = 3\n" + discrete_bidders(3, "[0.0, 0.4, 1.0]", "[0.5, 0.3, 0.2]") + R"(
[[mechanisms]]
kind = "first_price"
incentives = { interim_loss = true, values = 20, deviations = 96, opponent_samples = 262144 }
[[mechanisms]]
kind = "first_price"
strategy = "truthful"
incentives = { interim_loss = true, values = 20, deviations = 96, opponent_samples = 65536 }
)");
  const RunResult r = run_cpu_scenario(sc);
  const InterimGroupResult& eq = r.mechanisms[0].incentives.interim.at(0);
  EXPECT_LE(eq.exante_crossfit.ci_low, 0.0);
  EXPECT_GE(eq.exante_crossfit.ci_high, 0.0);
  const InterimGroupResult& truthful = r.mechanisms[1].incentives.interim.at(0);
  EXPECT_GT(truthful.exante_crossfit.ci_low, 0.01);
}

TEST(DiscreteMixed, DeterministicAndScopeErrors) {
  Scenario sc = parse_scenario("samples = 20000\nseed = 9\n" + discrete_bidders(2, "[0.0, 0.5, 1.0]", "[0.2, 0.5, 0.3]") +
                               "[[bidders]]\ncount = 2\nvalue = { dist = \"discrete\", values = [0.0, 0.5, 1.0], probs = [0.2, 0.5, 0.3] }\n"
                               "[[mechanisms]]\nkind = \"second_price\"\n[[mechanisms]]\nkind = \"first_price\"\nreserve = 0.3\n");
  expect_cpu_backend_is_per_profile_model(sc);
  // Mixtures with atoms above the lowest type keep the pure-strategy refusal; risk-averse bidders and
  // per-group reserves are refused naming the key.
  EXPECT_NE(error_of(discrete_bidders(2, "[0.0, 1.0]", "[0.5, 0.5]") +
                     "risk = { kind = \"crra\", rho = 0.5 }\n[[mechanisms]]\nkind = \"first_price\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of(discrete_bidders(1, "[0.0, 1.0]", "[0.5, 0.5]") + discrete_bidders(1, "[0.0, 1.0]", "[0.5, 0.5]") +
                     "[[mechanisms]]\nkind = \"first_price\"\nreserve = [0.1, 0.2]\n")
                .find("mechanisms[0].reserve"),
            std::string::npos);
  EXPECT_NE(error_of(discrete_bidders(2, "[0.0, 1.0]", "[0.5, 0.5]") + discrete_bidders(1, "[0.0, 2.0]", "[0.5, 0.5]") +
                     "[[mechanisms]]\nkind = \"first_price\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
}
