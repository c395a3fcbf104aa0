// mcrev: host side of Myerson's optimal auction and of optimal second-price reserves
// (THEORY.md "Myerson's optimal auction"; docs/myerson.md).
#pragma once

#include "mcrev/engine.hpp"

#include "solvers/virtual_value.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// Tabulates ψ̄ of every group of a myerson mechanism into md.arena (md.groups placed) and returns
/// the offset of its per-group VirtualValue headers (Mechanism::data).
int place_myerson(ModelData& md, const MechanismSpec& ms);

/// Mechanism m of sc with its reserve rule resolved into numbers, using md's placed groups:
/// `optimal` → reserve = ψ̄^{-1}(v0) of the (common) value distribution; `optimal_personalized` →
/// group_reserves[g] = ψ̄_g^{-1}(v0). +inf where no report reaches v0 (the item is never sold).
MechanismSpec resolve_reserve_rule(const Scenario& sc, size_t m, const ModelData& md);

/// Checks the myerson / optimal-reserve keys of mechanism m, and that strategy = "bne" (first price,
/// all-pay) is not combined with discrete values; throws ScenarioError.
/// strategy = "bne" for first_price / all_pay with atoms in the values: only atoms that leave a
/// symmetric pure-strategy equilibrium are accepted (at or below the lowest bidding type).
void validate_bne_atoms(const Scenario& sc, size_t m);

void validate_optimal(const Scenario& sc, size_t m);

struct OptimalGroupInfo {
  std::string group;
  double reserve = 0.0;       ///< ψ̄_g^{-1}(v0)
  std::string virtual_value;  ///< "uniform", "exponential", "power" (closed forms) or "table"
  bool regular = true;
  std::vector<IronedInterval> ironed;
  size_t table_nodes = 0;
  double table_max_error = 0.0;
};

struct OptimalMechanismInfo {
  bool present = false;  ///< myerson, or second_price with an optimal reserve rule
  std::string rule;      ///< "myerson", "optimal", "optimal_personalized"
  double seller_value = 0.0;
  std::vector<OptimalGroupInfo> groups;
};

/// What the output reports for mechanism m (reserves, ironed intervals); present = false otherwise.
OptimalMechanismInfo optimal_info(const Scenario& sc, size_t m);

/// ψ̄ of every group of sc (distributions placed in a private arena).
std::vector<VirtualValueFunction> group_virtual_values(const Scenario& sc, const VirtualValueOptions& options = {});

}  // namespace mcrev
