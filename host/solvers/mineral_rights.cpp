// mcrev: the mineral-rights common value (host/solvers/mineral_rights.hpp).
#include "solvers/mineral_rights.hpp"

#include "mcrev/core/error.hpp"
#include "solvers/distribution_ext.hpp"

#include <algorithm>
#include <cmath>

namespace mcrev {

namespace {

// 8-point Gauss–Legendre nodes and weights on [−1, 1].
constexpr double kX[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
constexpr double kW[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};
constexpr int kPanels = 256;
constexpr double kTailCut = 1e-14;  // unbounded supports are integrated between these quantiles

bool arena_free(const Distribution& d) {
  return d.kind != DistKind::Empirical && d.kind != DistKind::Discrete && d.kind != DistKind::Mixture;
}

double support_low(const Distribution& d) { return std::isfinite(d.low) ? d.low : d.quantile(kTailCut, nullptr); }
double support_high(const Distribution& d) { return std::isfinite(d.high) ? d.high : d.quantile(1 - kTailCut, nullptr); }

}  // namespace

double mineral_rights_conditional_value(const Distribution& common, double weight, const Distribution& noise, int n,
                                        bool naive, double x) {
  const double lo = std::max(weight * support_low(common), x - support_high(noise));
  const double hi = std::min(weight * support_high(common), x - support_low(noise));
  if (!(hi > lo)) return std::clamp(x - 0.5 * (support_low(noise) + support_high(noise)), weight * support_low(common),
                                    weight * support_high(common));
  double num = 0.0, den = 0.0;
  const double h = (hi - lo) / kPanels;
  for (int p = 0; p < kPanels; ++p) {
    const double mid = lo + (p + 0.5) * h, half = 0.5 * h;
    for (int k = 0; k < 8; ++k) {
      const double c = mid + (k < 4 ? -kX[k] : kX[k - 4]) * half, w = kW[k % 4] * half;
      const double e = x - c;
      double like = noise.pdf(e, nullptr);
      if (!naive) like *= like * std::pow(std::min(1.0, std::max(0.0, noise.cdf(e, nullptr))), n - 2);
      const double dens = common.pdf(c / weight, nullptr) * like * w;
      num += c * dens;
      den += dens;
    }
  }
  return den > 0.0 ? num / den : 0.5 * (lo + hi);
}

MineralRightsTable mineral_rights_table(const Distribution& common, double weight, const Distribution& noise, int n,
                                        bool naive, const std::string& path, int points) {
  const double s_lo = support_low(noise) + weight * support_low(common);
  const double s_hi = support_high(noise) + weight * support_high(common);
  const double inset = 1e-9 * (s_hi - s_lo);
  MineralRightsTable t;
  // Signals evenly spaced, plus the two interior kinks where [x − hi_ε, x − lo_ε] crosses an end of
  // V's support (the posterior's support changes form there).
  std::vector<double> xs;
  for (int k = 0; k < points; ++k) xs.push_back(s_lo + (s_hi - s_lo) * k / (points - 1));
  for (double kink : {weight * support_low(common) + support_high(noise), weight * support_high(common) + support_low(noise)})
    if (kink > s_lo && kink < s_hi) xs.push_back(kink);
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  points = static_cast<int>(xs.size());
  for (int k = 0; k < points; ++k) {
    const double x = xs[k];
    const double xe = std::min(s_hi - inset, std::max(s_lo + inset, x));  // the posterior degenerates at the ends
    t.signal.push_back(x);
    t.bid.push_back(mineral_rights_conditional_value(common, weight, noise, n, naive, xe));
    MCREV_EXPECTS(k == 0 || t.bid[k] >= t.bid[k - 1] - 1e-12 * (s_hi - s_lo), path,
                  "the mineral-rights bid E[V | ...] decreases near signal " + std::to_string(x) +
                      ": the signals are not affiliated (use a log-concave noise density)");
    if (k > 0) t.bid[k] = std::max(t.bid[k], t.bid[k - 1]);
  }
  for (int k = 0; k + 1 < points; ++k)
    for (double f : {0.25, 0.5, 0.75}) {  // measured at three points of every knot interval
      const double xm = t.signal[k] + f * (t.signal[k + 1] - t.signal[k]);
      const double e = std::fabs(t.bid[k] + f * (t.bid[k + 1] - t.bid[k]) -
                                 mineral_rights_conditional_value(common, weight, noise, n, naive, xm));
      t.max_error = std::max(t.max_error, e);
    }
  return t;
}

void validate_mineral_rights(const Scenario& sc) {
  MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Affiliated || sc.correlation.kind == CorrelationKind::Independent,
                "correlation.kind",
                "must be \"affiliated\" with [values] kind = \"mineral_rights\" (the common value V = weight·C and "
                "the signals V + ε_i come from it)");
  MCREV_EXPECTS(sc.correlation.kind == CorrelationKind::Affiliated, "values",
                "kind = \"mineral_rights\" draws the common value V = weight·C and the signals V + ε_i from "
                "[correlation] kind = \"affiliated\" (common = the law of C); add that table");
  MCREV_EXPECTS(std::isfinite(sc.correlation.weight) && sc.correlation.weight > 0, "correlation.weight",
                "must be > 0 for kind = \"mineral_rights\" (the common value is weight·C)");
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const MechanismSpec& ms = sc.mechanisms[m];
    const std::string path = "mechanisms[" + std::to_string(m) + "]";
    const bool bne = ms.strategy.kind == StrategySpec::Bne, naive = ms.strategy.kind == StrategySpec::Naive;
    if (!bne && !naive) continue;
    MCREV_EXPECTS(naive || ms.kind == MechKind::SecondPrice, path + ".strategy",
                  std::string("strategy = \"bne\" with [values] kind = \"mineral_rights\" is implemented for "
                              "second_price only (v(x, x)), not ") + kind_name(ms.kind) + " (use naive, truthful, shade or table)");
    for (size_t g = 0; g < sc.groups.size(); ++g)
      MCREV_EXPECTS(same_distribution_spec(sc.groups[g].value, sc.groups.front().value) && arena_free(sc.groups[g].value.dist),
                    path + ".strategy",
                    "the mineral-rights bids need the same continuous noise law in every group (not an empirical, "
                    "discrete or mixture one); bidders[" + std::to_string(g) + "] differs");
    MCREV_EXPECTS(arena_free(sc.correlation.common.dist), "correlation.common",
                  "the mineral-rights bids need a continuous common law (not an empirical, discrete or mixture one)");
    const double v_lo = sc.correlation.weight * support_low(sc.correlation.common.dist);  // every bid is >= this
    MCREV_EXPECTS(ms.group_reserves.empty() && !(ms.reserve > v_lo), path + ".reserve",
                  "the mineral-rights bids are derived without a binding reserve (at most the lowest common value " +
                      std::to_string(v_lo) + ")");
  }
}

std::vector<Strategy> mineral_rights_strategies(const Scenario& sc, size_t m, std::vector<double>& arena,
                                                std::vector<BidTableInfo>* tables) {
  const MechanismSpec& ms = sc.mechanisms[m];
  const bool naive = ms.strategy.kind == StrategySpec::Naive;
  if (!naive && ms.strategy.kind != StrategySpec::Bne) return {};
  int n = 0;
  for (const GroupSpec& g : sc.groups) n += g.count;
  const MineralRightsTable t = mineral_rights_table(sc.correlation.common.dist, sc.correlation.weight,
                                                    sc.groups[0].value.dist, n, naive,
                                                    "mechanisms[" + std::to_string(m) + "].strategy");
  Strategy st;
  st.kind = StrategyKind::ValueTable;
  st.table = static_cast<int>(arena.size());
  st.table_n = static_cast<int>(t.signal.size());
  arena.insert(arena.end(), t.signal.begin(), t.signal.end());
  arena.insert(arena.end(), t.bid.begin(), t.bid.end());
  for (const GroupSpec& g : sc.groups)
    tables->push_back({g.name, naive ? "naive mineral rights" : "mineral rights", st.table_n, t.max_error});
  return std::vector<Strategy>(sc.groups.size(), st);
}

}  // namespace mcrev
