// Features working together: the incentive statistics on mechanisms added by other features.
#include "scenario.hpp"

#include "test_util.hpp"

using namespace mcrev;

TEST(Integration, QuantizedTruthfulBitsHaveZeroExpostGainAndNoIrViolation) {
  // Issue 5: truthful bit reporting has zero ex-post gain and no IR violation, for given, optimal and
  // random thresholds, asymmetric buyers included.
  const Scenario sc = parse_scenario(R"(
samples = 20000
seed = 5
backend = "cpu"
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[bidders]]
count = 1
value = { dist = "uniform", low = 0.5, high = 2.0 }
[[mechanisms]]
kind = "quantized"
thresholds = [0.5, 0.6, 1.2]
seller_value = 0.2
incentives = { expost_regret = true, deviations = 64 }
[[mechanisms]]
kind = "quantized"
thresholds = "optimal"
levels = 2
incentives = { expost_regret = true, deviations = 64 }
[[mechanisms]]
kind = "quantized"
thresholds = "random"
incentives = { expost_regret = true, deviations = 64 }
)");
  const RunResult r = run(sc);
  for (const MechanismResult& m : r.mechanisms) {
    ASSERT_TRUE(m.incentives.expost_enabled) << m.name;
    EXPECT_EQ(m.incentives.expost.regret.mean, 0.0) << m.name;
    EXPECT_EQ(m.incentives.expost.distribution.max, 0.0) << m.name;
    for (const IrGroupResult& g : m.incentives.ir) EXPECT_EQ(g.negative_prob.mean, 0.0) << m.name << " " << g.name;
    EXPECT_GT(m.revenue.mean, 0.1) << m.name;  // the mechanism does sell
  }
}
