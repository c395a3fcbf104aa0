#include "solvers/reserve_search.hpp"

#include "mcrev/core/error.hpp"

#include "solvers/distribution_ext.hpp"
#include "solvers/myerson.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace mcrev {

namespace {

std::vector<ReservePoint> evaluate(const Scenario& base, double reference, const std::vector<double>& reserves,
                                   const std::string& stage, double v0, const RunOptions& ro, ReserveSearchResult& res) {
  std::vector<ReservePoint> out;
  const size_t batch = kMaxMechanisms - 1;
  for (size_t first = 0; first < reserves.size(); first += batch) {
    Scenario sc = base;
    sc.mechanisms.clear();
    auto add = [&](double r, const std::string& name) {
      MechanismSpec m;
      m.name = name;
      m.kind = MechKind::SecondPrice;
      m.reserve = r;
      m.seller_value = v0;
      sc.mechanisms.push_back(m);
    };
    add(reference, "reference");
    const size_t last = std::min(reserves.size(), first + batch);
    for (size_t k = first; k < last; ++k) add(reserves[k], "r" + std::to_string(k));
    const RunResult rr = run(sc, ro);
    res.backend = rr.backend;
    res.note = rr.note;
    res.seconds += rr.seconds;
    for (size_t k = first; k < last; ++k) {
      const MechanismResult& mr = rr.mechanisms[1 + k - first];
      ReservePoint p;
      p.stage = stage;
      p.reserve = reserves[k];
      p.revenue = mr.revenue;
      p.seller_utility = mr.seller_utility;
      p.no_sale = mr.no_sale;
      p.diff = mr.revenue_diff;
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace

ReserveSearchResult reserve_search(const Scenario& sc, const ReserveSearchOptions& opt, const RunOptions& ro) {
  MCREV_EXPECTS(opt.grid >= 2, "--grid", "needs at least 2 points");
  MCREV_EXPECTS(opt.refine >= 0, "--refine", "must be 0 (no refinement) or more");
  MCREV_EXPECTS(std::isfinite(opt.seller_value), "--seller-value", "must be finite");
  Scenario base = sc;
  if (base.mechanisms.empty()) base.mechanisms.push_back(MechanismSpec{});
  validate(base);
  std::vector<double> arena;
  std::vector<Distribution> dists;
  for (const GroupSpec& g : base.groups) dists.push_back(place_distribution(g.value, arena));
  double low = HUGE_VAL, high = -HUGE_VAL;
  for (const Distribution& d : dists) {
    low = std::min(low, std::isfinite(d.low) ? d.low : d.quantile(0.001, arena.data()));
    high = std::max(high, std::isfinite(d.high) ? d.high : d.quantile(0.999, arena.data()));
  }
  low = std::max(low, 0.0);  // reserves are never negative (the seller never pays to sell)
  if (opt.low) {
    MCREV_EXPECTS(std::isfinite(*opt.low) && *opt.low >= 0, "--low",
                  "must be a finite number >= 0 (the seller never pays to sell), got " + std::to_string(*opt.low));
    low = *opt.low;
  }
  if (opt.high) high = *opt.high;
  MCREV_EXPECTS(std::isfinite(low) && std::isfinite(high) && low < high, "--low",
                "the search range needs low < high (low = " + std::to_string(low) + ", high = " + std::to_string(high) + ")");
  ReserveSearchResult res;
  res.samples = base.samples;
  res.seed = base.seed;
  res.reference_reserve = low;
  std::vector<double> grid;
  const double step = (high - low) / (opt.grid - 1);
  for (int k = 0; k < opt.grid; ++k) grid.push_back(k + 1 == opt.grid ? high : low + k * step);
  res.curve = evaluate(base, low, grid, "grid", opt.seller_value, ro, res);
  auto better = [](const ReservePoint& a, const ReservePoint& b) { return a.seller_utility.mean < b.seller_utility.mean; };
  const ReservePoint best_grid = *std::max_element(res.curve.begin(), res.curve.end(), better);
  std::vector<double> fine;
  if (opt.refine > 0) {
    const double a = std::max(low, best_grid.reserve - step), b = std::min(high, best_grid.reserve + step);
    for (int k = 0; k < opt.refine; ++k) {
      const double r = opt.refine == 1 ? best_grid.reserve : a + (b - a) * k / (opt.refine - 1);
      if (std::find(grid.begin(), grid.end(), r) == grid.end()) fine.push_back(r);
    }
  }
  // The monopoly reserve ψ̄^{-1}(v0) of iid bidders, for comparison.
  bool iid = true;
  for (size_t g = 1; g < base.groups.size(); ++g) iid = iid && same_distribution_spec(base.groups[0].value, base.groups[g].value);
  std::vector<double> monopoly;
  if (iid) {
    const double r = group_virtual_values(base)[0].reserve(opt.seller_value);
    if (std::isfinite(r)) monopoly.push_back(r);
  }
  std::vector<ReservePoint> more = evaluate(base, low, fine, "refine", opt.seller_value, ro, res);
  std::vector<ReservePoint> mono = evaluate(base, low, monopoly, "monopoly", opt.seller_value, ro, res);
  res.curve.insert(res.curve.end(), more.begin(), more.end());
  res.curve.insert(res.curve.end(), mono.begin(), mono.end());
  std::stable_sort(res.curve.begin(), res.curve.end(),
                   [](const ReservePoint& a, const ReservePoint& b) { return a.reserve < b.reserve; });
  res.best = *std::max_element(res.curve.begin(), res.curve.end(), better);
  return res;
}

std::string format_reserve_csv(const ReserveSearchResult& r) {
  std::ostringstream o;
  o.precision(17);
  o << "stage,reserve,revenue,revenue_stderr,seller_utility,seller_utility_stderr,no_sale,diff_vs_reference,diff_stderr\n";
  for (const ReservePoint& p : r.curve)
    o << p.stage << ',' << p.reserve << ',' << p.revenue.mean << ',' << p.revenue.stderr_ << ',' << p.seller_utility.mean
      << ',' << p.seller_utility.stderr_ << ',' << p.no_sale.mean << ',' << p.diff.mean << ',' << p.diff.stderr_ << '\n';
  return o.str();
}

}  // namespace mcrev
