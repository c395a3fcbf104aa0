// mcrev: host side of correlated values ([correlation] table; mcrev/correlation.hpp) and the warnings
// about combining them with mechanisms or strategies derived under independence.
#pragma once

#include "mcrev/engine.hpp"

#include <vector>

namespace mcrev {

/// Checks sc.correlation (rho range for the number of bidders, weight); throws ScenarioError naming
/// "correlation.<key>".
void validate_correlation(const Scenario& sc);

/// The device-side Correlation, placing the common component's tables (empirical) in the arena.
Correlation place_correlation(const CorrelationSpec& spec, std::vector<double>& arena);

}  // namespace mcrev
