#include "solvers/myerson.hpp"

#include "mcrev/core/error.hpp"

#include "solvers/distribution_ext.hpp"

#include <array>

namespace mcrev {

namespace {

const char* mode_name(VirtualValueMode m) {
  switch (m) {
    case VirtualValueMode::Uniform: return "uniform";
    case VirtualValueMode::Exponential: return "exponential";
    case VirtualValueMode::Power: return "power";
    case VirtualValueMode::Table: return "table";
  }
  return "?";
}

}  // namespace

int place_myerson(ModelData& md, const MechanismSpec& ms) {
  VirtualValueOptions opt;
  opt.force_table = ms.virtual_value_table;
  std::vector<std::array<double, kVirtualValueHeader>> headers;
  for (const Group& g : md.groups) {
    const VirtualValueTable t = tabulate_virtual_value(g.dist, md.arena.data(), opt);
    headers.push_back(t.place(md.arena));
  }
  const int offset = static_cast<int>(md.arena.size());
  for (const auto& h : headers) md.arena.insert(md.arena.end(), h.begin(), h.end());
  return offset;
}

MechanismSpec resolve_reserve_rule(const Scenario& sc, size_t m, const ModelData& md) {
  MechanismSpec ms = sc.mechanisms[m];
  if (ms.reserve_rule == ReserveRule::Fixed) return ms;
  auto reserve_of = [&](int g) {
    return VirtualValueFunction(tabulate_virtual_value(md.groups[g].dist, md.arena.data())).reserve(ms.seller_value);
  };
  if (ms.reserve_rule == ReserveRule::Optimal) {
    ms.reserve = reserve_of(0);
    ms.group_reserves.clear();
  } else {
    ms.group_reserves.clear();
    for (size_t g = 0; g < md.groups.size(); ++g) ms.group_reserves.push_back(reserve_of(static_cast<int>(g)));
  }
  return ms;
}

void validate_optimal(const Scenario& sc, size_t m) {
  const MechanismSpec& ms = sc.mechanisms[m];
  const std::string path = "mechanisms[" + std::to_string(m) + "]";
  if (ms.kind == MechKind::Myerson) {
    MCREV_EXPECTS(ms.group_reserves.empty() && ms.reserve == 0.0 && ms.reserve_rule == ReserveRule::Fixed,
                  path + ".reserve", "does not apply to myerson: its reserves are psi_g^{-1}(seller_value)");
    MCREV_EXPECTS(ms.strategy.kind == StrategySpec::Truthful, path + ".strategy",
                  "myerson is dominant-strategy incentive compatible: bidders report their values");
  }
  MCREV_EXPECTS(!ms.virtual_value_table || ms.kind == MechKind::Myerson, path + ".virtual_values",
                "applies to myerson only");
  if (ms.strategy.kind == StrategySpec::Bne && (ms.kind == MechKind::FirstPrice || ms.kind == MechKind::AllPay))
    for (size_t g = 0; g < sc.groups.size(); ++g)
      MCREV_EXPECTS(!has_discrete_part(sc.groups[g].value), path + ".strategy",
                    "strategy = \"bne\" needs continuous values, but bidder group " + std::to_string(g) +
                        " has discrete atoms (a first-price or all-pay auction then has no pure-strategy "
                        "equilibrium); use strategy = \"truthful\" or \"shade\"");
  if (ms.reserve_rule == ReserveRule::Fixed) return;
  MCREV_EXPECTS(ms.kind == MechKind::SecondPrice, path + ".reserve",
                "reserve = \"optimal\" / \"optimal_personalized\" applies to second_price only");
  if (ms.reserve_rule == ReserveRule::Optimal)
    for (size_t g = 1; g < sc.groups.size(); ++g)
      MCREV_EXPECTS(same_distribution_spec(sc.groups[0].value, sc.groups[g].value), path + ".reserve",
                    "reserve = \"optimal\" is the monopoly reserve of iid bidders, but bidder groups 0 and " +
                        std::to_string(g) +
                        " have different value distributions; use reserve = \"optimal_personalized\" (one "
                        "reserve psi_g^{-1}(seller_value) per group)");
}

std::vector<VirtualValueFunction> group_virtual_values(const Scenario& sc, const VirtualValueOptions& options) {
  std::vector<double> arena;
  std::vector<Distribution> dists;
  for (const GroupSpec& g : sc.groups) dists.push_back(place_distribution(g.value, arena));
  std::vector<VirtualValueFunction> out;
  for (const Distribution& d : dists) out.emplace_back(tabulate_virtual_value(d, arena.data(), options));
  return out;
}

OptimalMechanismInfo optimal_info(const Scenario& sc, size_t m) {
  OptimalMechanismInfo info;
  const MechanismSpec& ms = sc.mechanisms[m];
  if (ms.kind == MechKind::Myerson) info.rule = "myerson";
  else if (ms.reserve_rule == ReserveRule::Optimal) info.rule = "optimal";
  else if (ms.reserve_rule == ReserveRule::OptimalPersonalized) info.rule = "optimal_personalized";
  else return info;
  info.present = true;
  info.seller_value = ms.seller_value;
  VirtualValueOptions opt;
  opt.force_table = ms.virtual_value_table;
  const std::vector<VirtualValueFunction> vv = group_virtual_values(sc, opt);
  for (size_t g = 0; g < sc.groups.size(); ++g) {
    const VirtualValueTable& t = vv[g].table();
    OptimalGroupInfo gi;
    gi.group = sc.groups[g].name;
    gi.reserve = vv[g].reserve(ms.seller_value);
    gi.virtual_value = mode_name(t.mode);
    gi.regular = t.regular();
    gi.ironed = t.ironed;
    gi.table_nodes = t.x.size();
    gi.table_max_error = t.max_error;
    info.groups.push_back(gi);
  }
  return info;
}

}  // namespace mcrev
