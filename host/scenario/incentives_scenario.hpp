// mcrev: parsing of a mechanism's `incentives` table (docs/incentives.md, "Scenario keys").
#pragma once

#include "mcrev/incentives/incentives.hpp"

#include <toml++/toml.h>

#include <string>

namespace mcrev {

/// Reads `incentives = { expost_regret = true, interim_loss = true, ... }` (an inline table or a
/// [mechanisms.incentives] table). Unknown keys, wrong types and out-of-range values throw
/// ScenarioError naming the key path, e.g. "mechanisms[2].incentives.deviations".
IncentiveOptions parse_incentive_options(const toml::node& node, const std::string& path);

}  // namespace mcrev
