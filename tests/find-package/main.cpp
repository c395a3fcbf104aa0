#include <mcrev/engine.hpp>
#include <mcrev/host/scenario.hpp>

#include <cmath>
#include <cstdio>

int main() {
  mcrev::Scenario sc = mcrev::parse_scenario(R"(
samples = 200000
backend = "cpu"
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "second_price"
)");
  const mcrev::RunResult r = mcrev::run(sc);
  const mcrev::Estimate& e = r.mechanisms[0].revenue;
  std::printf("revenue %.5f ± %.5f (truth 1/3)\n", e.mean, e.stderr_);
  return std::fabs(e.mean - 1.0 / 3) < 5 * e.stderr_ ? 0 : 1;
}
