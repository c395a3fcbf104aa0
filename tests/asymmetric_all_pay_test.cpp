// Asymmetric all-pay equilibria (host/solvers/asymmetric_all_pay.hpp; docs/single_item.md
// "Asymmetric all-pay"): the two-bidder closed form, revenue, and the interim loss at the computed
// equilibrium (≈ 0 for every group) as the proof where no closed form exists.
#include "solvers/asymmetric_all_pay.hpp"

#include "test_util.hpp"

#include <cmath>
#include <string>

using namespace mcrev;
using namespace mcrev::test;

namespace {

std::string group(int count, double hi, const std::string& name) {
  return "[[bidders]]\nname = \"" + name + "\"\ncount = " + std::to_string(count) +
         "\nvalue = { dist = \"uniform\", low = 0.0, high = " + std::to_string(hi) + " }\n";
}

double bid_of(const ModelData& md, int m, int g, double v) {
  const Model view = md.view();
  return view.strategies[view.mechanisms[m].strategies + g].bid(v, view.groups[g].dist, view.arena);
}

}  // namespace

TEST(AsymmetricAllPay, TwoUniformBiddersClosedForm) {
  // U[0, a] against U[0, c]: t_2 = t_1^{c/a}, β_1(v) = (ac/(a + c))(v/a)^{(a+c)/a},
  // β_2(v) = (ac/(a + c))(v/c)^{(a+c)/c}, top bid ac/(a + c) (Amann and Leininger 1996).
  for (auto [a, c] : {std::pair{1.0, 2.0}, std::pair{1.0, 1.5}, std::pair{2.0, 0.5}}) {
    const ModelData md = build_model(parse_scenario(group(1, a, "a") + group(1, c, "c") + "[[mechanisms]]\nkind = \"all_pay\"\n"));
    const double top = a * c / (a + c);
    for (double q = 0.0; q <= 1.0; q += 0.01) {
      const double v1 = q * a, v2 = q * c;
      EXPECT_NEAR(bid_of(md, 0, 0, v1), top * std::pow(q, (a + c) / a), 1e-6 * top) << a << " " << c << " " << q;
      EXPECT_NEAR(bid_of(md, 0, 1, v2), top * std::pow(q, (a + c) / c), 1e-6 * top) << a << " " << c << " " << q;
    }
    ASSERT_EQ(md.bid_tables[0].size(), 2u);
    EXPECT_EQ(md.bid_tables[0][0].method, "asymmetric all-pay");
    EXPECT_LT(md.bid_tables[0][0].max_error, 1e-6);
  }
}

TEST(AsymmetricAllPay, RevenueOfTwoUniformBidders) {
  // U[0,1] against U[0,2]: E[(2/3)V1³] + E[(2/3)(V2/2)^{3/2}] = 1/6 + 4/15 = 13/30.
  const Scenario sc = parse_scenario("samples = 400000\nseed = 31\n" + group(1, 1.0, "weak") + group(1, 2.0, "strong") +
                                     "[[mechanisms]]\nkind = \"all_pay\"\n");
  const RunResult r = run_cpu_scenario(sc);
  EXPECT_TRUE(WithinSE(r.mechanisms[0].revenue, 13.0 / 30));
  EXPECT_TRUE(WithinSE(r.mechanisms[0].bidders[0].payment, 1.0 / 6));
  EXPECT_TRUE(WithinSE(r.mechanisms[0].bidders[1].payment, 4.0 / 15));
}

TEST(AsymmetricAllPay, InterimLossAtTheComputedEquilibriumIsZero) {
  // Three groups without a closed form (U[0,1], U[0,1.2], U[0,1.5], one bidder each); and the
  // two-bidder case. For every group the cross-fitted interval of the interim loss contains 0.
  const std::string inc = "incentives = { interim_loss = true, values = 16, deviations = 64, opponent_samples = 131072 }\n";
  for (const std::string& groups :
       {group(1, 1.0, "weak") + group(1, 1.2, "middle") + group(1, 1.5, "strong"), group(1, 1.0, "weak") + group(1, 2.0, "strong")}) {
    const Scenario sc = parse_scenario("samples = 1000\nseed = 5\n" + groups + "[[mechanisms]]\nkind = \"all_pay\"\n" + inc);
    const RunResult r = run_cpu_scenario(sc);
    const auto& interim = r.mechanisms[0].incentives.interim;
    ASSERT_EQ(interim.size(), sc.groups.size());
    for (const InterimGroupResult& g : interim) {
      EXPECT_LE(g.exante_crossfit.ci_low, 0.0) << g.name;
      EXPECT_GE(g.exante_crossfit.ci_high, 0.0) << g.name;
      EXPECT_LT(g.exante.mean, 3e-3) << g.name;
    }
  }
}

TEST(AsymmetricAllPay, SymmetricGroupsKeepTheSymmetricTableAndScopeErrors) {
  const ModelData md = build_model(parse_scenario(group(1, 1.0, "a") + group(2, 1.0, "b") + "[[mechanisms]]\nkind = \"all_pay\"\n"));
  // Identical uniform groups: the symmetric equilibrium, here in closed form (iid uniform values).
  EXPECT_EQ(md.bid_tables[0][0].method, "closed_form");
  EXPECT_EQ(md.strategies[0].kind, StrategyKind::UniformAllPay);
  auto error_of = [](const std::string& toml) {
    try {
      build_model(parse_scenario(toml));
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string two = group(1, 1.0, "a") + group(1, 2.0, "b");
  EXPECT_NE(error_of(two + "[[mechanisms]]\nkind = \"all_pay\"\nreserve = 0.1\n").find("mechanisms[0].strategy"),
            std::string::npos);
  EXPECT_NE(error_of("[[bidders]]\nvalue = { dist = \"uniform\", low = 0.5, high = 1.0 }\n" + group(1, 2.0, "b") +
                     "[[mechanisms]]\nkind = \"all_pay\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
  // Four bidders where the weak one would stay out of the highest bids (Σ n_h/hi_h < (N − 1)/hi_weak at
  // the top): not implemented.
  EXPECT_NE(error_of(group(1, 1.0, "w") + group(2, 1.5, "m") + group(1, 2.0, "s") + "[[mechanisms]]\nkind = \"all_pay\"\n")
                .find("would stay out"),
            std::string::npos);
  EXPECT_NE(error_of("[[bidders]]\nvalue = { dist = \"exponential\", rate = 1.0 }\n" + group(1, 2.0, "b") +
                     "[[mechanisms]]\nkind = \"all_pay\"\n")
                .find("mechanisms[0].strategy"),
            std::string::npos);
}
