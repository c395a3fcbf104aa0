// mcrev: output of the optimal-auction details (docs/myerson.md "Output"): per group reserve
// ψ̄_g^{-1}(v0), the virtual-value mode and the ironed intervals.
#pragma once

#include "mcrev/engine.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace mcrev {

/// Adds "optimal" to mechanism m's JSON object when m is myerson or has an optimal reserve rule.
void add_optimal_json(const Scenario& sc, size_t m, nlohmann::ordered_json& mechanism);

/// Table section listing reserves and ironed intervals ("" when no mechanism has any).
std::string optimal_table(const Scenario& sc);

}  // namespace mcrev
