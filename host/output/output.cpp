#include "output/output.hpp"
#include "output/vr_output.hpp"
#include "output/quantized_output.hpp"
#include "output/incentives_output.hpp"
#include "output/optimal_output.hpp"
#include "output/target_output.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {

nlohmann::ordered_json est_json(const Estimate& e) {
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); };
  return {{"mean", num(e.mean)}, {"stderr", num(e.stderr_)}, {"ci_low", num(e.ci_low)}, {"ci_high", num(e.ci_high)}};
}

std::string cell(const Estimate& e, int digits = 5) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f ± %.*f", digits, e.mean, digits, e.stderr_);
  return buf;
}

std::string pad(const std::string& s, size_t w) {
  // ± is 2 bytes in UTF-8 but one column wide
  size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return cols >= w ? s : s + std::string(w - cols, ' ');
}

}  // namespace

std::string format_json(const Scenario& sc, const RunResult& r) {
  nlohmann::ordered_json run = {{"samples", r.samples},
                        {"seed", r.seed},
                        {"backend", r.backend},
                        {"device", r.device},
                        {"seconds", r.seconds},
                        {"profiles_per_second", r.profiles_per_second},
                        {"confidence", r.confidence}};
  if (!r.note.empty()) run["note"] = r.note;
  if (!r.path.empty()) run["path"] = r.path;
  if (r.target.enabled) run["precision_target"] = target_json(r.target);
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  const bool units = sc.market.kind == MarketKind::Units;
  for (const GroupSpec& g : sc.groups) {
    groups.push_back({{"name", g.name}, {"count", g.count}, {"value", g.value.describe}});
    if (units) groups.back()["demand"] = g.demand;
    if (sc.market.kind == MarketKind::Divisible) {
      const char* names[] = {"steps", "linear", "quadratic"};
      auto& u = groups.back()["utility"] = {{"kind", names[static_cast<int>(g.utility)]}};
      if (g.utility == Utility::Steps) {
        u["steps"] = g.demand;
        u["width"] = g.size;
      } else {
        u[g.utility == Utility::Linear ? "demand" : "slope"] = g.size;
      }
    }
    if (sc.market.kind == MarketKind::Combinatorial) groups.back()["bundle"] = g.bundle;
    if (sc.market.kind == MarketKind::DoubleAuction) groups.back()["role"] = g.role == 1 ? "seller" : "buyer";
  }
  nlohmann::ordered_json mechs = nlohmann::ordered_json::array();
  for (const MechanismResult& m : r.mechanisms) {
    nlohmann::ordered_json bidders = nlohmann::ordered_json::array();
    for (const GroupResult& g : m.bidders) {
      bidders.push_back({{"group", g.name}, {"win", est_json(g.win)}, {"payment", est_json(g.payment)},
                         {"utility", est_json(g.utility)}});
      if (m.has_budget) bidders.back()["ir_violation"] = est_json(g.ir_violation);
    }
    mechs.push_back({{"name", m.name},
                     {"kind", m.kind},
                     {"revenue", est_json(m.revenue)},
                     {"welfare", est_json(m.welfare)},
                     {"seller_utility", est_json(m.seller_utility)},
                     {"efficiency", est_json(m.efficiency)},
                     {"no_sale", est_json(m.no_sale)},
                     {"revenue_diff", est_json(m.revenue_diff)},
                     {"bidders", bidders}});
    if (m.has_budget) {  // markets other than single_item
      auto& j = mechs.back();
      j["budget_surplus"] = est_json(m.budget_surplus);
      j["deficit_prob"] = est_json(m.deficit_prob);
      j[activity_name(sc.market.kind)] = est_json(m.activity);
      if (m.has_market_stat) j[market_stat_name(sc.market.kind)] = est_json(m.market_stat);
      if (sc.market.kind == MarketKind::DoubleAuction) j["gains_from_trade"] = est_json(m.welfare);
    }
    if (!m.solved.empty()) {  // host-side solutions (dagva tables, second_best a, C–S strategies)
      nlohmann::ordered_json solved;
      for (const auto& [k, v] : m.solved) solved[k] = std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
      mechs.back()["solved"] = solved;
    }
    if (m.incentives.enabled) mechs.back()["incentives"] = incentives_json(sc.mechanisms[&m - r.mechanisms.data()], m);
    add_optimal_json(sc, static_cast<size_t>(&m - r.mechanisms.data()), mechs.back());  // myerson / optimal reserves
    if (m.has_winners_curse) mechs.back()["winners_curse"] = est_json(m.winners_curse);  // [values]
    if (!m.bid_tables.empty()) {  // strategy = "bne" tables: node count and measured error bound
      nlohmann::ordered_json tables = nlohmann::ordered_json::array();
      for (const BidTableInfo& t : m.bid_tables)
        tables.push_back({{"group", t.group}, {"method", t.method}, {"table_nodes", t.nodes},
                          {"table_max_error", std::isfinite(t.max_error) ? nlohmann::ordered_json(t.max_error)
                                                                         : nlohmann::ordered_json(nullptr)}});
      mechs.back()["bid_tables"] = tables;
    }
  }
  for (size_t m = 0; m < r.mechanisms.size(); ++m)
    if (r.mechanisms[m].quantized) append_quantized_json(mechs[m], *r.mechanisms[m].quantized);
  append_vr_json(sc, r, run, mechs);  // docs/variance_reduction.md
  nlohmann::ordered_json out = {{"run", run}, {"groups", groups}, {"mechanisms", mechs}};
  if (units) out["market"] = {{"kind", market_name(sc.market.kind)}, {"units", sc.market.units}};
  if (sc.market.kind == MarketKind::Divisible) {
    out["market"] = {{"kind", market_name(sc.market.kind)}, {"supply", sc.market.supply}};
    if (std::isfinite(sc.market.cap)) out["market"]["cap"] = sc.market.cap;
  }
  if (sc.market.kind == MarketKind::Combinatorial)
    out["market"] = {{"kind", market_name(sc.market.kind)}, {"items", sc.market.items}};
  if (sc.market.kind == MarketKind::DoubleAuction) out["market"] = {{"kind", market_name(sc.market.kind)}};
  if (sc.market.kind == MarketKind::PublicProject)
    out["market"] = {{"kind", market_name(sc.market.kind)}, {"cost", sc.market.cost}};
  if (sc.correlation.kind != CorrelationKind::Independent) {  // only for correlated values
    if (sc.correlation.kind == CorrelationKind::GaussianCopula)
      out["correlation"] = {{"kind", "gaussian_copula"}, {"rho", sc.correlation.rho}};
    else
      out["correlation"] = {{"kind", "affiliated"}, {"weight", sc.correlation.weight},
                            {"common", sc.correlation.common.describe}};
  }
  if (sc.values.kind == ValuesKind::Interdependent)  // `[values]`, only when not private
    out["values"] = {{"kind", "interdependent"}, {"gamma", sc.values.gamma}};
  else if (sc.values.kind == ValuesKind::Common)
    out["values"] = {{"kind", "common"}};
  else if (sc.values.kind == ValuesKind::MineralRights)
    out["values"] = {{"kind", "mineral_rights"}};
  if (!r.warnings.empty()) out["warnings"] = r.warnings;  // only when there is something to say
  return out.dump(2) + "\n";
}

std::string format_csv(const Scenario& sc, const RunResult& r) {
  std::ostringstream o;
  o.precision(17);
  o << "mechanism,kind,metric,group,mean,stderr,ci_low,ci_high\n";
  auto row = [&](const MechanismResult& m, const char* metric, const std::string& group, const Estimate& e) {
    o << m.name << ',' << m.kind << ',' << metric << ',' << group << ',' << e.mean << ',' << e.stderr_ << ','
      << e.ci_low << ',' << e.ci_high << '\n';
  };
  for (const MechanismResult& m : r.mechanisms) {
    row(m, "revenue", "", m.revenue);
    row(m, "welfare", "", m.welfare);
    row(m, "seller_utility", "", m.seller_utility);
    row(m, "efficiency", "", m.efficiency);
    row(m, "no_sale", "", m.no_sale);
    row(m, "revenue_diff", "", m.revenue_diff);
    if (m.has_winners_curse) row(m, "winners_curse", "", m.winners_curse);
    if (m.has_budget) {
      row(m, "budget_surplus", "", m.budget_surplus);
      row(m, "deficit_prob", "", m.deficit_prob);
      row(m, activity_name(sc.market.kind), "", m.activity);
      if (m.has_market_stat) row(m, market_stat_name(sc.market.kind), "", m.market_stat);
      if (sc.market.kind == MarketKind::DoubleAuction) row(m, "gains_from_trade", "", m.welfare);
    }
    for (const auto& [k, v] : m.solved) row(m, ("solved." + k).c_str(), "", Estimate{v, 0.0, v, v});
    for (const GroupResult& g : m.bidders) {
      row(m, "win", g.name, g.win);
      row(m, "payment", g.name, g.payment);
      row(m, "utility", g.name, g.utility);
      if (m.has_budget) row(m, "ir_violation", g.name, g.ir_violation);
    }
    incentives_csv(m, o);
    vr_csv(m, o);
  }
  o << quantized_csv_rows(r);
  o << target_csv_rows(r);
  return o.str();
}

std::string format_table(const Scenario& sc, const RunResult& r) {
  std::ostringstream o;
  char head[512];
  std::snprintf(head, sizeof head, "mcrev: %llu profiles, seed %llu, %s backend (%s), %.2f s, %.3g profiles/s\n",
                static_cast<unsigned long long>(r.samples), static_cast<unsigned long long>(r.seed), r.backend.c_str(),
                r.device.c_str(), r.seconds, r.profiles_per_second);
  o << head;
  o << target_table_line(r);
  const bool units = sc.market.kind == MarketKind::Units;
  if (units) o << "market: " << sc.market.units << " identical units\n";
  if (sc.market.kind == MarketKind::DoubleAuction) o << "market: double auction (welfare = gains from trade)\n";
  if (sc.market.kind == MarketKind::PublicProject) o << "market: public project of cost " << sc.market.cost << "\n";
  if (sc.market.kind == MarketKind::Divisible) {
    o << "market: divisible, supply " << sc.market.supply;
    if (std::isfinite(sc.market.cap)) o << ", cap " << sc.market.cap << " per identity";
    o << "\n";
  }
  if (sc.market.kind == MarketKind::Combinatorial) {
    o << "market: combinatorial, items";
    for (const std::string& item : sc.market.items) o << " " << item;
    o << "\n";
  }
  o << "bidders:";
  for (const GroupSpec& g : sc.groups) {
    o << "  " << g.name << " = " << g.count << " x " << g.value.describe;
    if (g.demand > 1 && units) o << " (demand " << g.demand << ")";
    if (sc.market.kind == MarketKind::Divisible) {
      if (g.utility == Utility::Steps) o << " (" << g.demand << " steps of width " << g.size << ")";
      else o << (g.utility == Utility::Linear ? " (linear, demand " : " (quadratic, slope ") << g.size << ")";
    }
    if (sc.market.kind == MarketKind::Combinatorial) {
      o << " (bundle";
      for (const std::string& item : g.bundle) o << " " << item;
      o << ")";
    }
    if (sc.market.kind == MarketKind::DoubleAuction) o << (g.role == 1 ? " (sellers)" : " (buyers)");
  }
  if (sc.correlation.kind == CorrelationKind::GaussianCopula)
    o << "\ncorrelation: gaussian copula, rho " << sc.correlation.rho;
  else if (sc.correlation.kind == CorrelationKind::Affiliated && sc.values.kind == ValuesKind::MineralRights)
    o << "\nvalues: mineral rights, common value V = " << sc.correlation.weight << " x C, signals V + noise (the"
      << " groups' value laws), C = " << sc.correlation.common.describe;
  else if (sc.correlation.kind == CorrelationKind::Affiliated)
    o << "\ncorrelation: affiliated, value = " << sc.correlation.weight << " x common + private, common = "
      << sc.correlation.common.describe;
  if (sc.values.kind == ValuesKind::Interdependent)
    o << "\nvalues: interdependent, v_i = s_i + " << sc.values.gamma << " x (sum of the other signals); the groups'"
      << " value laws are the signals'";
  else if (sc.values.kind == ValuesKind::Common)
    o << "\nvalues: common, v = the mean of the signals; the groups' value laws are the signals'";
  o << "\nmean ± standard error; " << r.confidence * 100 << "% intervals in --format json/csv\n\n";
  size_t wn = 11;
  for (const MechanismResult& m : r.mechanisms) wn = std::max(wn, m.name.size() + 2);
  const size_t w = 22;
  const bool da = sc.market.kind == MarketKind::DoubleAuction;
  o << pad("mechanism", wn) << pad(da ? "budget (revenue)" : "revenue", w) << pad("vs " + r.mechanisms[0].name, w)
    << pad(da ? "gains_from_trade" : "welfare", w) << pad("efficiency", w)
    << pad(units ? "unsold units"
                 : (sc.market.kind == MarketKind::PublicProject ? "not built"
                                                                : (sc.market.kind == MarketKind::SingleItem ? "no sale" : "unsold")),
           w)
    << "\n";
  for (const MechanismResult& m : r.mechanisms) {
    o << pad(m.name, wn) << pad(cell(m.revenue), w) << pad(&m == &r.mechanisms[0] ? "(baseline)" : cell(m.revenue_diff), w)
      << pad(cell(m.welfare), w) << pad(cell(m.efficiency), w) << pad(cell(m.no_sale), w) << "\n";
  }
  if (sc.groups.size() > 1 || sc.mechanisms.size() > 0) {
    const char* held = units ? "units won"
                       : sc.market.kind == MarketKind::SingleItem ? "win probability"
                       : sc.market.kind == MarketKind::DoubleAuction ? "units traded (+ bought, - sold)"
                       : sc.market.kind == MarketKind::PublicProject ? "build probability"
                       : sc.market.kind == MarketKind::Divisible ? "quantity" : "bundle won";
    o << "\nper bidder (group averages): " << held << ", payment, utility\n";
    for (const MechanismResult& m : r.mechanisms)
      for (const GroupResult& g : m.bidders)
        o << pad(m.name, wn) << pad(g.name, 12) << pad(cell(g.win), w) << pad(cell(g.payment), w)
          << pad(cell(g.utility), w) << (m.has_budget ? "P(u < 0) " + cell(g.ir_violation, 4) : std::string()) << "\n";
  }
  if (!r.mechanisms.empty() && r.mechanisms[0].has_budget) {
    const char* stat = market_stat_name(sc.market.kind);
    o << "\nbudget: surplus (transfers − cost), P(deficit), " << activity_name(sc.market.kind)
      << (stat ? std::string(", ") + stat : std::string()) << "\n";
    for (const MechanismResult& m : r.mechanisms)
      o << pad(m.name, wn) << pad(cell(m.budget_surplus), w) << pad(cell(m.deficit_prob), w) << pad(cell(m.activity), w)
        << (m.has_market_stat ? cell(m.market_stat) : std::string()) << "\n";
  }
  for (const MechanismResult& m : r.mechanisms) {
    if (m.solved.empty()) continue;
    o << pad(m.name, wn) << "solved on the host:";
    for (const auto& [k, v] : m.solved) o << " " << k << " = " << v;
    o << "\n";
  }
  o << quantized_table_section(r);
  o << incentives_table(r);
  o << vr_table_section(sc, r);
  o << optimal_table(sc);
  bool tables = false;
  for (const MechanismResult& m : r.mechanisms)
    for (const BidTableInfo& t : m.bid_tables) {
      if (!tables) o << "\nequilibrium bids: table nodes and measured interpolation error bound (bid units)\n";
      tables = true;
      char buf[256];
      if (t.method == "closed_form")
        std::snprintf(buf, sizeof buf, t.nodes > 0 ? "%s%sclosed form (%d value knots, exact)\n" : "%s%sclosed form, no table\n",
                      pad(m.name, wn).c_str(), pad(t.group, 12).c_str(), t.nodes);
      else
        std::snprintf(buf, sizeof buf, "%s%s%-10s %6d nodes  max error %.3g\n", pad(m.name, wn).c_str(),
                      pad(t.group, 12).c_str(), t.method.c_str(), t.nodes, t.max_error);
      o << buf;
    }
  return o.str();
}

}  // namespace mcrev
