// mcrev: interdependent and common values (host/solvers/interdependent.hpp).
#include "solvers/interdependent.hpp"

#include "mcrev/core/error.hpp"
#include "solvers/distribution_ext.hpp"
#include "solvers/mineral_rights.hpp"

#include <cmath>

namespace mcrev {

ValuesModel values_model(const Scenario& sc) {
  ValuesModel vm;
  vm.kind = sc.values.kind;
  int n = 0;
  for (const GroupSpec& g : sc.groups) n += g.count;
  if (vm.kind == ValuesKind::Common) vm.own = vm.others = 1.0 / n;
  if (vm.kind == ValuesKind::Interdependent) vm.others = sc.values.gamma;
  return vm;
}

void validate_values(const Scenario& sc) {
  if (sc.values.kind == ValuesKind::Private) {
    for (size_t m = 0; m < sc.mechanisms.size(); ++m)
      MCREV_EXPECTS(sc.mechanisms[m].strategy.kind != StrategySpec::Naive, "mechanisms[" + std::to_string(m) + "].strategy",
                    "strategy = \"naive\" (bid the expected value given the own signal) needs a [values] table with "
                    "kind = \"common\" or \"interdependent\"; with private values it is truthful");
    return;
  }
  MCREV_EXPECTS(std::isfinite(sc.values.gamma) && sc.values.gamma >= 0, "values.gamma", "must be a finite number >= 0");
  MCREV_EXPECTS(sc.market.kind == MarketKind::SingleItem, "values",
                "interdependent and common values apply to [market] kind = \"single_item\" only");
  MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Independent || sc.values.kind == ValuesKind::MineralRights,
                "values", "the signals of [values] are independent; remove the [correlation] table");
  for (size_t g = 0; g < sc.groups.size(); ++g)
    MCREV_EXPECTS(sc.groups[g].risk == 1.0, "bidders[" + std::to_string(g) + "].risk",
                  "risk-averse bidders are not implemented with [values]");
  const DistributionSpec& s0 = sc.groups.front().value;
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const MechanismSpec& ms = sc.mechanisms[m];
    const std::string path = "mechanisms[" + std::to_string(m) + "]";
    MCREV_EXPECTS(ms.kind == MechKind::SecondPrice || ms.kind == MechKind::FirstPrice || ms.kind == MechKind::AllPay ||
                      ms.kind == MechKind::ThirdPrice || ms.kind == MechKind::KthPrice,
                  path + ".kind",
                  std::string("with [values] the mechanisms are the standard auctions (second_price, first_price, "
                              "all_pay, third_price, kth_price), not ") + kind_name(ms.kind));
    MCREV_EXPECTS(!ms.incentives.interim_loss, path + ".incentives.interim_loss",
                  "is not implemented with [values] (the interim utility is not linear in the own signal); "
                  "use expost_regret");
    const bool eq = ms.strategy.kind == StrategySpec::Bne || ms.strategy.kind == StrategySpec::Naive;
    if (!eq || sc.values.kind == ValuesKind::MineralRights) continue;  // validate_mineral_rights below
    MCREV_EXPECTS(ms.strategy.kind == StrategySpec::Naive || ms.kind == MechKind::SecondPrice ||
                      ms.kind == MechKind::FirstPrice,
                  path + ".strategy",
                  std::string("strategy = \"bne\" with [values] is implemented for first_price and second_price "
                              "only, not ") + kind_name(ms.kind) + " (use truthful, shade, naive or table)");
    for (size_t g = 0; g < sc.groups.size(); ++g)
      MCREV_EXPECTS(sc.groups[g].value.dist.kind == DistKind::Uniform && same_distribution_spec(sc.groups[g].value, s0),
                    path + ".strategy",
                    "strategy = \"" + std::string(ms.strategy.kind == StrategySpec::Bne ? "bne" : "naive") +
                        "\" with [values] needs iid uniform signals (every group the same uniform); bidders[" +
                        std::to_string(g) + "] differs");
    MCREV_EXPECTS(ms.group_reserves.empty() && !(ms.reserve > s0.dist.low), path + ".reserve",
                  "the equilibria with [values] are derived without a binding reserve (at most the signals' low end " +
                      std::to_string(s0.dist.low) + ")");
  }
  if (sc.values.kind == ValuesKind::MineralRights) validate_mineral_rights(sc);
}

LinearBid second_price_interdependent(const ValuesModel& vm, int n, double lo, double) {
  const double a = vm.own, c = vm.others;
  return {a + c * n / 2.0, c * (n - 2) * lo / 2.0};
}

LinearBid first_price_interdependent(const ValuesModel& vm, int n, double lo, double hi) {
  const LinearBid sp = second_price_interdependent(vm, n, lo, hi);
  const double k = (n - 1.0) / n;  // E[Y | Y < x] = lo + k (x − lo)
  return {sp.slope * k, sp.slope * (lo - k * lo) + sp.intercept};
}

LinearBid naive_bid(const ValuesModel& vm, int n, double lo, double hi) {
  return {vm.own, vm.others * (n - 1) * (lo + hi) / 2.0};
}

Strategy linear_value_strategy(const LinearBid& bid, double lo, double hi, std::vector<double>& arena) {
  Strategy st;
  st.kind = StrategyKind::ValueTable;
  st.table = static_cast<int>(arena.size());
  st.table_n = 2;
  const double x1 = hi > lo ? hi : lo + 1.0;
  arena.push_back(lo);
  arena.push_back(x1);
  arena.push_back(bid.slope * lo + bid.intercept);
  arena.push_back(bid.slope * x1 + bid.intercept);
  return st;
}

std::vector<Strategy> interdependent_strategies(const Scenario& sc, size_t m, const ValuesModel& vm,
                                                std::vector<double>& arena, std::vector<BidTableInfo>* tables) {
  const MechanismSpec& ms = sc.mechanisms[m];
  if (vm.kind == ValuesKind::Private) return {};
  if (vm.kind == ValuesKind::MineralRights) return mineral_rights_strategies(sc, m, arena, tables);
  const bool naive = ms.strategy.kind == StrategySpec::Naive;
  if (!naive && ms.strategy.kind != StrategySpec::Bne) return {};
  int n = 0;
  for (const GroupSpec& g : sc.groups) n += g.count;
  const double lo = sc.groups[0].value.dist.low, hi = sc.groups[0].value.dist.high;
  const LinearBid b = naive ? naive_bid(vm, n, lo, hi)
                      : ms.kind == MechKind::SecondPrice ? second_price_interdependent(vm, n, lo, hi)
                                                         : first_price_interdependent(vm, n, lo, hi);
  const Strategy st = linear_value_strategy(b, lo, hi, arena);
  for (const GroupSpec& g : sc.groups) tables->push_back({g.name, naive ? "naive" : "closed_form", 2, 0.0});
  return std::vector<Strategy>(sc.groups.size(), st);
}

void add_winners_curse(const Scenario& sc, double z, MechanismResult& r) {
  double total = 0.0, se = 0.0;
  for (size_t g = 0; g < sc.groups.size() && g < r.bidders.size(); ++g) {
    total += sc.groups[g].count * r.bidders[g].utility.mean;
    se += sc.groups[g].count * r.bidders[g].utility.stderr_;
  }
  const double sale = 1.0 - r.no_sale.mean;
  r.has_winners_curse = true;
  if (!(sale > 0.0)) {
    r.winners_curse.mean = r.winners_curse.stderr_ = r.winners_curse.ci_low = r.winners_curse.ci_high = std::nan("");
    return;
  }
  r.winners_curse.mean = total / sale;
  r.winners_curse.stderr_ = se / sale;
  r.winners_curse.ci_low = r.winners_curse.mean - z * r.winners_curse.stderr_;
  r.winners_curse.ci_high = r.winners_curse.mean + z * r.winners_curse.stderr_;
}

}  // namespace mcrev
