#include "output/incentives_output.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {

using json = nlohmann::ordered_json;

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json est(const Estimate& e) {
  return {{"mean", num(e.mean)}, {"stderr", num(e.stderr_)}, {"ci_low", num(e.ci_low)}, {"ci_high", num(e.ci_high)}};
}

json quantiles(const DistributionSummary& d) {
  json a = json::array();
  for (const QuantileEstimate& q : d.quantiles)
    a.push_back({{"q", q.q}, {"value", num(q.value)}, {"ci_low", num(q.ci_low)}, {"ci_high", num(q.ci_high)}});
  return a;
}

std::string cell(const Estimate& e, int digits = 5) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.*f ± %.*f", digits, e.mean, digits, e.stderr_);
  return buf;
}

std::string pad(const std::string& s, size_t w) {
  size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return cols >= w ? s + " " : s + std::string(w - cols, ' ');
}

}  // namespace

json incentives_json(const MechanismSpec& spec, const MechanismResult& r) {
  const IncentiveResult& in = r.incentives;
  const IncentiveOptions& opt = spec.incentives;
  json out = json::object();
  if (in.expost_enabled) {
    json e = est(in.expost.regret);
    e["max"] = num(in.expost.distribution.max);
    e["quantiles"] = quantiles(in.expost.distribution);
    e["tolerance"] = in.tolerance;
    e["above_tolerance"] = est(in.expost.above_tolerance);
    json groups = json::array();
    for (const ExpostGroupResult& g : in.expost.groups)
      groups.push_back({{"group", g.name}, {"gain", est(g.gain)}, {"above_tolerance", est(g.above_tolerance)}});
    e["groups"] = groups;
    e["deviations"] = {{"grid", opt.deviations},
                       {"shading", opt.shading},
                       {"refine_levels", opt.refine_levels},
                       {"refine_points", opt.refine_points}};
    out["expost_regret"] = e;
  }
  if (in.interim_enabled) {
    json groups = json::array();
    for (const InterimGroupResult& g : in.interim) {
      json shading = json::array();
      for (const ShadingPoint& s : g.shading)
        shading.push_back({{"alpha", s.alpha}, {"utility", est(s.utility)}, {"gain", est(s.gain)}});
      json o = {{"group", g.name},
                {"exante", est(g.exante)},
                {"exante_crossfit", est(g.exante_crossfit)},
                {"relative", est(g.relative)},
                {"relative_crossfit", est(g.relative_crossfit)},
                {"prescribed_utility", est(g.prescribed_utility)},
                {"worst_type",
                 {{"value", num(g.worst_type_value)},
                  {"best_bid", num(g.worst_type_best_bid)},
                  {"loss", est(g.worst_type_loss)},
                  {"loss_crossfit", est(g.worst_type_loss_crossfit)}}},
                {"shading", shading},
                {"settings",
                 {{"values", g.values},
                  {"deviations", g.deviations},
                  {"opponent_samples", g.opponent_samples},
                  {"batches", g.batches},
                  {"bid_range", {num(g.bid_low), num(g.bid_high)}},
                  {"seconds", g.seconds}}}};
      if (opt.curve) {
        json curve = json::array();
        for (const InterimTypePoint& p : g.curve)
          curve.push_back({{"value", num(p.value)},
                           {"prescribed_bid", num(p.prescribed_bid)},
                           {"utility", num(p.utility.mean)},
                           {"utility_stderr", num(p.utility.stderr_)},
                           {"best_bid", num(p.best_bid)},
                           {"loss", num(p.loss.mean)},
                           {"loss_stderr", num(p.loss.stderr_)},
                           {"loss_crossfit", num(p.loss_crossfit.mean)},
                           {"loss_crossfit_stderr", num(p.loss_crossfit.stderr_)}});
        o["curve"] = curve;
      }
      groups.push_back(o);
    }
    out["interim_loss"] = groups;
  }
  if (in.sybil_enabled)
    out["sybil"] = {{"aliases", in.sybil.aliases},
                    {"gain", est(in.sybil.gain)},
                    {"max_gain", est(in.sybil.max_gain)},
                    {"positive_prob", est(in.sybil.positive_prob)}};
  json ir = json::array();
  for (const IrGroupResult& g : in.ir) {
    json o = {{"group", g.name},
              {"negative_prob", est(g.negative_prob)},
              {"shortfall", est(g.shortfall)},
              {"mean_violation", est(g.mean_violation)}};
    o["worst_type"] = g.has_worst_type ? json{{"value", num(g.worst_type_value)}, {"utility", est(g.worst_type_utility)}}
                                       : json(nullptr);
    ir.push_back(o);
  }
  out["ir"] = ir;
  out["budget"] = {{"total_payment", est(in.budget.total_payment)},
                   {"deficit_prob", est(in.budget.deficit_prob)},
                   {"min", num(in.budget.distribution.min)},
                   {"max", num(in.budget.distribution.max)},
                   {"quantiles", quantiles(in.budget.distribution)}};
  return out;
}

std::string incentives_table(const RunResult& r) {
  bool any = false, expost = false, interim = false;
  size_t wn = 11;
  for (const MechanismResult& m : r.mechanisms) {
    any |= m.incentives.enabled;
    expost |= m.incentives.expost_enabled;
    interim |= m.incentives.interim_enabled;
    wn = std::max(wn, m.name.size() + 2);
  }
  if (!any) return "";
  const size_t w = 22;
  std::ostringstream o;
  o << "\nincentives (docs/incentives.md)\n";
  if (expost) {
    o << pad("mechanism", wn) << pad("ex-post regret", w) << pad("max", 12) << pad("P(gain > tol)", w) << "tol\n";
    for (const MechanismResult& m : r.mechanisms) {
      if (!m.incentives.expost_enabled) continue;
      char mx[32], tol[32];
      std::snprintf(mx, sizeof mx, "%.5g", m.incentives.expost.distribution.max);
      std::snprintf(tol, sizeof tol, "%g", m.incentives.tolerance);
      o << pad(m.name, wn) << pad(cell(m.incentives.expost.regret), w) << pad(mx, 12)
        << pad(cell(m.incentives.expost.above_tolerance), w) << tol << "\n";
    }
  }
  if (interim) {
    o << pad("interim loss", wn) << pad("group", 12) << pad("plain", w) << pad("cross-fitted", w)
      << "worst type (cross-fitted loss)\n";
    for (const MechanismResult& m : r.mechanisms)
      for (const InterimGroupResult& g : m.incentives.interim) {
        char worst[96];
        std::snprintf(worst, sizeof worst, "v = %.4g: %.5f ± %.5f", g.worst_type_value, g.worst_type_loss_crossfit.mean,
                      g.worst_type_loss_crossfit.stderr_);
        o << pad(m.name, wn) << pad(g.name, 12) << pad(cell(g.exante), w) << pad(cell(g.exante_crossfit), w) << worst
          << "\n";
      }
  }
  bool sybil = false;
  for (const MechanismResult& m : r.mechanisms) sybil |= m.incentives.sybil_enabled;
  if (sybil) {
    o << pad("sybil split", wn) << pad("aliases", 9) << pad("E[gain] per bidder", w) << pad("E[max_i gain]", w)
      << "P(gain > 0)\n";
    for (const MechanismResult& m : r.mechanisms) {
      if (!m.incentives.sybil_enabled) continue;
      o << pad(m.name, wn) << pad(std::to_string(m.incentives.sybil.aliases), 9) << pad(cell(m.incentives.sybil.gain), w)
        << pad(cell(m.incentives.sybil.max_gain), w) << cell(m.incentives.sybil.positive_prob) << "\n";
    }
  }
  o << pad("IR / budget", wn) << pad("group", 12) << pad("P(u < 0)", w) << pad("E[max(0, -u)]", w)
    << "P(sum of payments < 0)\n";
  for (const MechanismResult& m : r.mechanisms) {
    if (!m.incentives.enabled) continue;
    for (size_t g = 0; g < m.incentives.ir.size(); ++g) {
      const IrGroupResult& ir = m.incentives.ir[g];
      o << pad(m.name, wn) << pad(ir.name, 12) << pad(cell(ir.negative_prob), w) << pad(cell(ir.shortfall), w)
        << (g == 0 ? cell(m.incentives.budget.deficit_prob) : "") << "\n";
    }
  }
  return o.str();
}

void incentives_csv(const MechanismResult& r, std::ostream& o) {
  const IncentiveResult& in = r.incentives;
  if (!in.enabled) return;
  auto row = [&](const char* metric, const std::string& group, const Estimate& e) {
    o << r.name << ',' << r.kind << ',' << metric << ',' << group << ',' << e.mean << ',' << e.stderr_ << ',' << e.ci_low
      << ',' << e.ci_high << '\n';
  };
  if (in.expost_enabled) {
    row("expost_regret", "", in.expost.regret);
    row("expost_above_tolerance", "", in.expost.above_tolerance);
    for (const ExpostGroupResult& g : in.expost.groups) row("expost_gain", g.name, g.gain);
  }
  for (const InterimGroupResult& g : in.interim) {
    row("interim_loss", g.name, g.exante);
    row("interim_loss_crossfit", g.name, g.exante_crossfit);
  }
  for (const IrGroupResult& g : in.ir) {
    row("ir_negative_prob", g.name, g.negative_prob);
    row("ir_shortfall", g.name, g.shortfall);
  }
  row("budget_deficit_prob", "", in.budget.deficit_prob);
  if (in.sybil_enabled) {
    row("sybil_gain", "", in.sybil.gain);
    row("sybil_max_gain", "", in.sybil.max_gain);
    row("sybil_positive_prob", "", in.sybil.positive_prob);
  }
}

}  // namespace mcrev
