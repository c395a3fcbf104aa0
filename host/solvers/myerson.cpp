#include "solvers/myerson.hpp"

#include "mcrev/core/error.hpp"

#include "solvers/bne.hpp"
#include "solvers/discrete_mixed.hpp"
#include "solvers/distribution_ext.hpp"

#include <algorithm>
#include <cstdio>

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

namespace {

std::string num_str(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

}  // namespace

void validate_bne_atoms(const Scenario& sc, size_t m) {
  // Atoms (probability masses) and the symmetric pure equilibrium (README "The atom rule"): bidders at
  // an atom tie with each other, so each would rather bid slightly more, unless the atom's bid already
  // earns them nothing. First price: an atom at or below the lowest bidding type max(reserve, low)
  // bids its value there (zero utility) or stays out, and the usual formula holds above it. All-pay:
  // an atom below the entry type r* stays out; one at r* = 0 bids 0; any other atom (all-pay bidders
  // pay their bid even when they lose the tie) leaves no pure-strategy equilibrium.
  if (uses_discrete_mixed_equilibrium(sc, m)) return;  // iid discrete values: the mixed equilibrium
  const MechanismSpec& ms = sc.mechanisms[m];
  const std::string path = "mechanisms[" + std::to_string(m) + "].strategy";
  int total = 0;
  for (const GroupSpec& g : sc.groups) total += g.count;
  bool symmetric = true;
  for (size_t g = 1; g < sc.groups.size(); ++g)
    symmetric = symmetric && same_distribution_spec(sc.groups[0].value, sc.groups[g].value);
  for (size_t g = 0; g < sc.groups.size(); ++g) {
    std::vector<double> arena;
    const Distribution d = place_distribution(sc.groups[g].value, arena);
    const std::vector<double> at = atoms(d, arena.data());
    if (at.empty()) continue;
    const std::string group = "bidder group " + std::to_string(g);
    MCREV_EXPECTS(symmetric, path,
                  "strategy = \"bne\" with atoms in the values (" + group + " has one at " + num_str(at.front()) +
                      ") is implemented for symmetric (iid) bidders only; the asymmetric solver needs continuous values");
    if (ms.kind == MechKind::FirstPrice) {
      const double entry = std::max(ms.reserve, d.low);
      for (double x : at)
        MCREV_EXPECTS(x <= entry, path,
                      "first_price has no pure-strategy equilibrium: " + group + " has an atom at " + num_str(x) +
                          " above the lowest bidding value " + num_str(entry) +
                          " (max(reserve, low)); bidders at it would tie and each would rather bid slightly more. "
                          "Atoms are allowed only at the lowest value or below the reserve; use strategy = "
                          "\"truthful\" or \"shade\" otherwise");
    } else {
      const double entry = all_pay_entry(d, arena.data(), total, ms.reserve);
      for (double x : at)
        MCREV_EXPECTS(x < entry || (x == entry && x == 0.0), path,
                      "all_pay has no pure-strategy equilibrium: " + group + " has an atom at " + num_str(x) +
                          (x == entry ? " (the entry type)" : " above the entry type " + num_str(entry)) +
                          "; bidders at it would tie, pay their bid even when losing the tie, and each would rather "
                          "bid slightly more. Atoms are allowed only below the entry type or at a lowest value of 0; "
                          "use strategy = \"truthful\" or \"shade\" otherwise");
    }
  }
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
    validate_bne_atoms(sc, m);
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
