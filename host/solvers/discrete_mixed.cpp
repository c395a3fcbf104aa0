// mcrev: the first-price mixed equilibrium for iid discrete values (host/solvers/discrete_mixed.hpp;
// docs/single_item.md, "Mixed equilibria for discrete values").
#include "solvers/discrete_mixed.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/engine.hpp"
#include "solvers/distribution_ext.hpp"

#include <cmath>

namespace mcrev {

std::vector<MixedInterval> discrete_first_price_intervals(const Distribution& d, const double* arena, int n,
                                                          double reserve) {
  const int K = d.table_n;
  const double* xs = arena + d.table;
  const double* cum = xs + K;
  std::vector<MixedInterval> rows(K);
  double b_prev = reserve;  // the lowest bid of the lowest bidding type
  for (int k = 0; k < K; ++k) {
    MixedInterval& r = rows[k];
    r.value = xs[k];
    r.below = k == 0 ? 0.0 : cum[k - 1];
    r.prob = cum[k] - r.below;
    if (xs[k] < reserve) {  // stays out
      r.utility = 0.0;
      r.low = r.high = kNoBid;
      continue;
    }
    // The lowest bidding type wins only against the types that stay out, at the reserve; every
    // higher type is indifferent with bidding the previous type's top bid b_{k−1}.
    r.utility = (xs[k] - b_prev) * int_pow(r.below, n - 1);
    r.low = r.utility == 0.0 ? xs[k] : b_prev;  // U = 0: no types below (Bertrand), it bids its value
    r.high = xs[k] - r.utility / int_pow(cum[k], n - 1);
    b_prev = r.high;
  }
  return rows;
}

Strategy discrete_first_price_mixed(const Distribution& d, std::vector<double>& arena, int n, double reserve) {
  const std::vector<MixedInterval> rows = discrete_first_price_intervals(d, arena.data(), n, reserve);
  Strategy st;
  st.kind = StrategyKind::DiscreteMixed;
  st.n = n;
  st.floor = reserve;
  st.entry = reserve > rows.front().value ? reserve : -HUGE_VAL;
  st.table = static_cast<int>(arena.size());
  st.table_n = static_cast<int>(rows.size());
  for (const MixedInterval& r : rows) {
    arena.push_back(r.value);
    arena.push_back(r.below);
    arena.push_back(r.prob);
    arena.push_back(r.utility);
  }
  return st;
}

bool uses_discrete_mixed_equilibrium(const Scenario& sc, size_t m) {
  const MechanismSpec& ms = sc.mechanisms[m];
  if (ms.kind != MechKind::FirstPrice || ms.strategy.kind != StrategySpec::Bne) return false;
  if (sc.market.kind != MarketKind::SingleItem || sc.groups.empty()) return false;
  for (const GroupSpec& g : sc.groups)
    if (g.value.dist.kind != DistKind::Discrete || !same_distribution_spec(g.value, sc.groups[0].value)) return false;
  for (size_t g = 0; g < sc.groups.size(); ++g)
    MCREV_EXPECTS(sc.groups[g].risk == 1.0, "mechanisms[" + std::to_string(m) + "].strategy",
                  "the first-price mixed equilibrium for discrete values is implemented for risk-neutral bidders "
                  "only (bidders[" + std::to_string(g) + "] has risk = crra)");
  return true;
}

}  // namespace mcrev
