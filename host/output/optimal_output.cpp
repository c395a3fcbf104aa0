#include "output/optimal_output.hpp"

#include "solvers/myerson.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {

nlohmann::ordered_json num(double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); }

}  // namespace

void add_optimal_json(const Scenario& sc, size_t m, nlohmann::ordered_json& mechanism) {
  const OptimalMechanismInfo info = optimal_info(sc, m);
  if (!info.present) return;
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const OptimalGroupInfo& g : info.groups) {
    nlohmann::ordered_json ironed = nlohmann::ordered_json::array();
    for (const IronedInterval& iv : g.ironed)
      ironed.push_back({{"low", num(iv.low)}, {"high", num(iv.high)}, {"virtual_value", num(iv.level)}});
    nlohmann::ordered_json gj = {{"group", g.group},
                                 {"reserve", num(g.reserve)},
                                 {"virtual_value", g.virtual_value},
                                 {"regular", g.regular},
                                 {"ironed_intervals", ironed}};
    if (g.virtual_value == "table") {
      gj["table_nodes"] = g.table_nodes;
      gj["table_max_error"] = num(g.table_max_error);
    }
    groups.push_back(gj);
  }
  mechanism["optimal"] = {{"rule", info.rule}, {"seller_value", num(info.seller_value)}, {"groups", groups}};
}

std::string optimal_table(const Scenario& sc) {
  std::ostringstream o;
  bool any = false;
  int wn = 9;
  for (const MechanismSpec& ms : sc.mechanisms) wn = std::max(wn, static_cast<int>(ms.name.size()) + 1);
  for (size_t m = 0; m < sc.mechanisms.size(); ++m) {
    const OptimalMechanismInfo info = optimal_info(sc, m);
    if (!info.present) continue;
    if (!any) o << "\noptimal-auction reserves psi_g^{-1}(v0) and ironed intervals\n";
    any = true;
    for (const OptimalGroupInfo& g : info.groups) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%-*s %-12s reserve %.6g (v0 = %g; %s%s)", wn, sc.mechanisms[m].name.c_str(),
                    g.group.c_str(), g.reserve, info.seller_value,
                    g.virtual_value == "table" ? "tabulated psi" : "closed-form psi", g.regular ? ", regular" : "");
      o << buf;
      for (const IronedInterval& iv : g.ironed) {
        std::snprintf(buf, sizeof buf, "  ironed [%.6g, %.6g] at %.6g", iv.low, iv.high, iv.level);
        o << buf;
      }
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace mcrev
