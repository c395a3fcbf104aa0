#include "scenario/correlation_spec.hpp"

#include "mcrev/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace mcrev {

namespace {

/// Mechanism kinds whose rule is derived for independent values (extend here).
bool kind_assumes_independence(const std::string& kind) { return kind == "myerson" || kind == "quantized"; }

}  // namespace

bool assumes_independent_values(const MechanismSpec& ms) {
  if (kind_assumes_independence(kind_name(ms.kind))) return true;
  if (ms.kind == MechKind::SecondPrice && ms.reserve_rule != ReserveRule::Fixed) return true;
  return ms.strategy.kind == StrategySpec::Bne && (ms.kind == MechKind::FirstPrice || ms.kind == MechKind::AllPay ||
                                                   ms.kind == MechKind::ThirdPrice || ms.kind == MechKind::KthPrice);
}

namespace {

/// Smallest Pareto shape among the untruncated Pareto parts of a distribution (mixture components
/// included), or +inf when there is none: the tail index of the values.
double pareto_tail_index(const DistributionSpec& s) {
  double a = HUGE_VAL;
  if (s.dist.kind == DistKind::Pareto && !std::isfinite(s.dist.high)) a = s.dist.p[0];
  for (const DistributionSpec& c : s.components) a = std::min(a, pareto_tail_index(c));
  return a;
}

void heavy_tail_warning(const DistributionSpec& s, const std::string& where, std::vector<std::string>& out) {
  const double a = pareto_tail_index(s);
  std::ostringstream shape;
  shape << a;
  if (a <= 1.0)
    out.push_back(where + " has a Pareto tail with shape " + shape.str() + " <= 1: the values have an infinite mean, so " +
                  "the estimates do not converge and their standard errors and intervals are not valid (truncate it with `high`)");
  else if (a <= 2.0)
    out.push_back(where + " has a Pareto tail with shape " + shape.str() + " <= 2: the values have an infinite variance, " +
                  "so the standard errors and intervals of welfare, revenue and utilities are not valid (truncate it with `high`)");
}

}  // namespace

std::vector<std::string> scenario_warnings(const Scenario& sc) {
  std::vector<std::string> out;
  for (size_t g = 0; g < sc.groups.size(); ++g)
    heavy_tail_warning(sc.groups[g].value, "bidders[" + std::to_string(g) + "].value", out);
  if (sc.correlation.kind == CorrelationKind::Affiliated) heavy_tail_warning(sc.correlation.common, "correlation.common", out);
  if (sc.correlation.kind == CorrelationKind::Independent) return out;
  const char* what = sc.correlation.kind == CorrelationKind::GaussianCopula ? "gaussian_copula" : "affiliated";
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const MechanismSpec& ms = sc.mechanisms[m];
    if (!assumes_independent_values(ms)) continue;
    const std::string name = "mechanisms[" + std::to_string(m) + "] '" + ms.name + "'";
    if (ms.kind == MechKind::SecondPrice)
      out.push_back(name + ": values are correlated (correlation.kind = \"" + what + "\") but the optimal reserve " +
                    "psi^{-1}(v0) is derived for independent values; it is not optimal here");
    else if (kind_assumes_independence(kind_name(ms.kind)))
      out.push_back(name + ": values are correlated (correlation.kind = \"" + what + "\") but " + kind_name(ms.kind) +
                    "'s construction assumes independent values; it is not optimal here and revenue equivalence fails");
    else
      out.push_back(name + ": values are correlated (correlation.kind = \"" + what + "\") but strategy = \"bne\" is the " +
                    "equilibrium for independent values; it is not an equilibrium here and revenue equivalence fails");
  }
  return out;
}

void validate_correlation(const Scenario& sc) {
  const CorrelationSpec& c = sc.correlation;
  if (c.kind == CorrelationKind::Independent) return;
  for (size_t m = 0; m < sc.mechanisms.size(); ++m)
    MCREV_EXPECTS(!sc.mechanisms[m].incentives.interim_loss, "mechanisms[" + std::to_string(m) + "].incentives.interim_loss",
                  "the interim utility loss draws the opponents' values independently of the own value, so it is not "
                  "available with correlated values ([correlation]); ex-post regret is");
  long n = 0;
  for (const GroupSpec& g : sc.groups) n += g.count;
  if (c.kind == CorrelationKind::GaussianCopula) {
    const double lowest = n > 1 ? -1.0 / static_cast<double>(n - 1) : -1.0;
    MCREV_EXPECTS(std::isfinite(c.rho) && c.rho < 1.0 && c.rho >= lowest, "correlation.rho",
                  "must lie in [" + std::to_string(lowest) + ", 1) for " + std::to_string(n) +
                      " bidders (an equicorrelation matrix is positive semi-definite only for rho >= -1/(n-1)); got " +
                      std::to_string(c.rho));
  } else {
    MCREV_EXPECTS(std::isfinite(c.weight), "correlation.weight", "must be a finite number");
  }
}

Correlation place_correlation(const CorrelationSpec& spec, std::vector<double>& arena) {
  Correlation c;
  c.kind = spec.kind;
  c.rho = spec.rho;
  c.weight = spec.weight;
  c.common = spec.common.dist;
  if (spec.kind == CorrelationKind::Affiliated && c.common.kind == DistKind::Empirical) {
    c.common.table = static_cast<int>(arena.size());
    c.common.table_n = static_cast<int>(spec.common.table_x.size());
    arena.insert(arena.end(), spec.common.table_x.begin(), spec.common.table_x.end());
    arena.insert(arena.end(), spec.common.table_f.begin(), spec.common.table_f.end());
  }
  return c;
}

}  // namespace mcrev
