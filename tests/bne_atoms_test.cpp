// Atoms and the symmetric pure-strategy equilibrium (issue 8, part 3; README "The atom rule"): atoms at
// the lowest bidding value are accepted for first price and all-pay and the equilibrium then gives
// second price's revenue; atoms above it are refused with the reason.
#include "solvers/bne.hpp"
#include "scenario/scenario.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>

using namespace mcrev;

namespace {

// N(15, 10²) censored at 0: an atom of Φ(−1.5) = 6.68 % at 0 plus the normal truncated to [0, ∞)
// (written with high = 135, twelve SD out: the mass beyond is below 1e-32).
const double kAtom = 0.5 * std::erfc(1.5 / std::sqrt(2.0));

std::string censored_normal() {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                R"({ dist = "mixture", weights = [%.17g, %.17g], components = [ { dist = "discrete", values = [0.0], probs = [1.0] }, { dist = "normal", mean = 15.0, sd = 10.0, low = 0.0, high = 135.0 } ] })",
                kAtom, 1.0 - kAtom);
  return buf;
}

/// E[V(2:n)] = ∫_0^high (1 − F^n − n F^{n−1}(1 − F)) dx for values >= 0 (composite Simpson).
double second_highest_mean(const Distribution& d, const double* arena, int n) {
  const int K = 200000;
  const double a = d.low, b = d.high, h = (b - a) / K;
  auto f = [&](double x) {
    const double F = d.cdf(x, arena);
    return 1.0 - std::pow(F, n) - n * std::pow(F, n - 1) * (1.0 - F);
  };
  double s = f(a) + f(b);
  for (int k = 1; k < K; ++k) s += (k % 2 ? 4 : 2) * f(a + k * h);
  return a + s * h / 3;
}

void expect_error(const std::string& toml, const std::string& path, const std::string& needle) {
  try {
    parse_scenario(toml);
    ADD_FAILURE() << "no error for: " << toml;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::string scenario(const std::string& value, int count, const std::string& mechanisms, int samples = 200000) {
  return "samples = " + std::to_string(samples) + "\nseed = 11\n[[bidders]]\ncount = " + std::to_string(count) +
         "\nvalue = " + value + "\n" + mechanisms;
}

}  // namespace

// The issue's case: 3 bidders, first price and all-pay at the equilibrium give E[V(2:3)] = 15.030511.
TEST(BneAtoms, CensoredNormalAtZeroMatchesSecondPrice) {
  Scenario sc = parse_scenario(scenario(censored_normal(), 3,
                                        "[[mechanisms]]\nkind = \"second_price\"\n"
                                        "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n"
                                        "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"bne\"\n"));
  sc.backend = Backend::Cpu;
  const ModelData md = build_model(sc);
  const double truth = second_highest_mean(md.groups[0].dist, md.arena.data(), 3);
  EXPECT_NEAR(truth, 15.030511, 2e-6);
  // The atom bids its value: β(0) = 0 for both.
  const RunResult r = test::run_cpu_scenario(sc);
  for (const MechanismResult& m : r.mechanisms) EXPECT_TRUE(test::WithinSE(m.revenue, truth)) << m.name;
  for (size_t m = 1; m < 3; ++m) {
    ASSERT_EQ(r.mechanisms[m].bid_tables.size(), 1u);
    EXPECT_LT(r.mechanisms[m].bid_tables[0].max_error, 1e-6);
  }
}

TEST(BneAtoms, AtomBidsItsValue) {
  const Scenario sc = parse_scenario(scenario(censored_normal(), 3, "[[mechanisms]]\nkind = \"second_price\"\n"));
  const ModelData md = build_model(sc);
  const Distribution& d = md.groups[0].dist;
  for (bool all_pay : {false, true}) {
    const BneTable t = all_pay ? all_pay_bne(d, md.arena.data(), 3, 0.0) : first_price_bne(d, md.arena.data(), 3, 0.0);
    std::vector<double> arena(md.arena);
    const int b = static_cast<int>(arena.size());
    arena.insert(arena.end(), t.bids.begin(), t.bids.end());
    const int s = static_cast<int>(arena.size());
    arena.insert(arena.end(), t.slopes.begin(), t.slopes.end());
    const Strategy st = t.strategy(b, s);
    EXPECT_EQ(st.bid(0.0, d, arena.data()), 0.0) << all_pay;
    EXPECT_GT(st.bid(1e-6, d, arena.data()), 0.0) << all_pay;  // just above the atom: beats it
    EXPECT_LT(st.bid(1e-6, d, arena.data()), 1e-6) << all_pay;
  }
}

// Atoms at the lowest value (first price at any level, all-pay at 0) and atoms below the lowest
// bidding type (the reserve) are accepted, and revenue equals second price's with the same reserve.
TEST(BneAtoms, AtomsAtOrBelowTheLowestBiddingTypeGiveSecondPriceRevenue) {
  const std::string atom_low =
      R"({ dist = "mixture", weights = [0.2, 0.8], components = [ { dist = "discrete", values = [0.2], probs = [1.0] }, { dist = "uniform", low = 0.2, high = 1.0 } ] })";
  const std::string atom_mid =
      R"({ dist = "mixture", weights = [0.3, 0.7], components = [ { dist = "discrete", values = [0.5], probs = [1.0] }, { dist = "uniform", low = 0.0, high = 1.0 } ] })";
  struct C {
    std::string value;
    double reserve;
    bool all_pay;
  };
  for (const C& c : {C{atom_low, 0.0, false}, C{atom_low, 0.2, false}, C{atom_mid, 0.6, false}, C{atom_mid, 0.6, true}}) {
    const std::string r = std::to_string(c.reserve);
    Scenario sc = parse_scenario(scenario(c.value, 4,
                                          "[[mechanisms]]\nkind = \"second_price\"\nreserve = " + r +
                                              "\n[[mechanisms]]\nkind = \"" + (c.all_pay ? "all_pay" : "first_price") +
                                              "\"\nstrategy = \"bne\"\nreserve = " +
                                              (c.all_pay ? std::string("0.6") : r) + "\n"));
    sc.backend = Backend::Cpu;
    const RunResult res = test::run_cpu_scenario(sc);
    if (!c.all_pay) {
      EXPECT_TRUE(test::WithinSE(res.mechanisms[1].revenue_diff, 0.0)) << c.value << " r = " << c.reserve;
    } else {
      // All-pay with minimum bid 0.6 has entry type r* > 0.6 (r* F(r*)^3 = 0.6): compare with second
      // price at reserve r* instead of 0.6.
      const ModelData md = build_model(sc);
      const double rstar = all_pay_entry(md.groups[0].dist, md.arena.data(), 4, 0.6);
      Scenario sp = sc;
      sp.mechanisms[0].reserve = rstar;
      const RunResult res2 = test::run_cpu_scenario(sp);
      EXPECT_GT(rstar, 0.6);
      EXPECT_TRUE(test::WithinSE(res2.mechanisms[1].revenue_diff, 0.0)) << "all-pay, r* = " << rstar;
    }
  }
}

TEST(BneAtoms, AtomsAboveTheLowestBiddingTypeAreRefusedWithTheReason) {
  const std::string atom_mid =
      R"({ dist = "mixture", weights = [0.3, 0.7], components = [ { dist = "discrete", values = [0.5], probs = [1.0] }, { dist = "uniform", low = 0.0, high = 1.0 } ] })";
  expect_error(scenario(atom_mid, 3, "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n"),
               "mechanisms[0].strategy",
               "first_price has no pure-strategy equilibrium: bidder group 0 has an atom at 0.5 above the lowest "
               "bidding value 0");
  expect_error(scenario(atom_mid, 3, "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"bne\"\n"),
               "mechanisms[0].strategy", "all_pay has no pure-strategy equilibrium: bidder group 0 has an atom at 0.5");
  // All-pay: an atom at a lowest value above 0 (its bidders would pay even when losing the tie).
  const std::string atom_low =
      R"({ dist = "mixture", weights = [0.2, 0.8], components = [ { dist = "discrete", values = [0.2], probs = [1.0] }, { dist = "uniform", low = 0.2, high = 1.0 } ] })";
  expect_error(scenario(atom_low, 3, "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"bne\"\n"),
               "mechanisms[0].strategy", "all_pay has no pure-strategy equilibrium: bidder group 0 has an atom at 0.2");
  // Discrete values (all-pay; first price plays the mixed equilibrium, tests/discrete_mixed_test.cpp)
  // and empirical CDFs with a repeated point are atoms too.
  expect_error(scenario(R"({ dist = "discrete", values = [0.0, 1.0], probs = [0.5, 0.5] })", 2,
                        "[[mechanisms]]\nkind = \"all_pay\"\nstrategy = \"bne\"\n"),
               "mechanisms[0].strategy", "has an atom at 1");
  expect_error(scenario(R"({ dist = "empirical", points = [[0.0, 0.0], [0.5, 0.4], [0.5, 0.6], [1.0, 1.0]] })", 2,
                        "[[mechanisms]]\nkind = \"first_price\"\nstrategy = \"bne\"\n"),
               "mechanisms[0].strategy", "has an atom at 0.5 above the lowest bidding value 0");
}
