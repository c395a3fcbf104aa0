// Reserve search (host/reserve_search.cpp): common random numbers across candidates, the curve against
// the second-price revenue by quadrature, the best reserve, the CSV.
#include "mcrev/engine.hpp"
#include "mcrev/core/error.hpp"

#include "solvers/reserve_search.hpp"
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

namespace mcrev {
namespace {

const char* kMixture = R"(
samples = 200000
seed = 21
[[bidders]]
count = 3
value = { dist = "mixture", weights = [0.75, 0.25], components = [ { dist = "uniform", low = 0.0, high = 1.0 }, { dist = "uniform", low = 1.0, high = 2.0 } ] }
[[mechanisms]]
kind = "myerson"
)";

double F(double v) { return v <= 0 ? 0.0 : v < 1 ? 0.75 * v : v < 2 ? 0.75 + 0.25 * (v - 1) : 1.0; }

/// Second price, 3 iid bidders, reserve r: r (1 − F(r)³) + ∫_r^2 P(V(2) > y) dy (Simpson, 20000 panels).
double sp_revenue(double r) {
  auto tail = [](double y) { const double f = F(y); return 1 - f * f * f - 3 * f * f * (1 - f); };
  double s = 0;
  const int n = 20000;
  const double h = (2 - r) / n;
  for (int k = 0; k < n; ++k) {
    const double a = r + k * h;
    s += h / 6 * (tail(a) + 4 * tail(a + h / 2) + tail(a + h));
  }
  return r * (1 - std::pow(F(r), 3)) + s;
}

TEST(ReserveSearch, CommonRandomNumbersAndQuadrature) {
  const Scenario sc = parse_scenario(kMixture);
  ReserveSearchOptions opt;
  opt.grid = 9;  // 0, 0.25, ..., 2
  opt.refine = 9;
  RunOptions ro;
  ro.backend = Backend::Cpu;
  ro.threads = 2;
  const ReserveSearchResult r = reserve_search(sc, opt, ro);
  int monopoly = 0, grid = 0, refine = 0;
  for (size_t k = 0; k < r.curve.size(); ++k) {
    const ReservePoint& p = r.curve[k];
    if (k > 0) { EXPECT_LE(r.curve[k - 1].reserve, p.reserve); }
    EXPECT_LT(std::fabs(p.revenue.mean - sp_revenue(p.reserve)), 5 * p.revenue.stderr_ + 1e-12) << p.reserve;
    grid += p.stage == "grid";
    refine += p.stage == "refine";
    if (p.stage == "monopoly") {
      ++monopoly;
      EXPECT_NEAR(p.reserve, 2.0 / 3, 1e-12);
    }
  }
  EXPECT_EQ(monopoly, 1);
  EXPECT_EQ(grid, 9);
  EXPECT_EQ(refine, 6);  // 9 points over [best − 0.25, best + 0.25], 3 of them on the grid
  // the reference is reserve 0 = plain second price: its difference to candidate 0 is exactly 0
  EXPECT_EQ(r.curve.front().reserve, 0.0);
  EXPECT_EQ(r.curve.front().diff.mean, 0.0);
  // common random numbers: a candidate's estimate is bitwise the estimate of a separate run
  for (size_t k : {size_t{3}, size_t{10}}) {
    Scenario one = sc;
    one.mechanisms.clear();
    MechanismSpec m;
    m.kind = MechKind::SecondPrice;
    m.reserve = r.curve[k].reserve;
    one.mechanisms.push_back(m);
    EXPECT_EQ(run(one, ro).mechanisms[0].revenue.mean, r.curve[k].revenue.mean);
  }
  EXPECT_NEAR(r.best.reserve, 2.0 / 3, 0.13);
  EXPECT_LT(std::fabs(r.best.revenue.mean - sp_revenue(r.best.reserve)), 5 * r.best.revenue.stderr_);
  // CSV: a header and one row per candidate
  const std::string csv = format_reserve_csv(r);
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "stage,reserve,revenue,revenue_stderr,seller_utility,seller_utility_stderr,no_sale,diff_vs_reference,diff_stderr");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, static_cast<int>(r.curve.size()));
}

TEST(ReserveSearch, RejectsBadOptions) {
  const Scenario sc = parse_scenario(kMixture);
  ReserveSearchOptions opt;
  opt.grid = 1;
  EXPECT_THROW(reserve_search(sc, opt), ScenarioError);
  opt.grid = 5;
  opt.low = 1.0;
  opt.high = 0.5;
  EXPECT_THROW(reserve_search(sc, opt), ScenarioError);
}

}  // namespace
}  // namespace mcrev
