// mcrev: bid functions read from a CSV file (`strategy = "table", file = "bids.csv"`), linear in value
// between the rows (docs/distributions-and-strategies.md, "Strategies from a file").
#pragma once

#include "mcrev/engine.hpp"

#include <string>
#include <vector>

namespace mcrev {

/// Reads `file` into spec.table_values / spec.table_bids. The first non-comment line is a header:
/// `value` then either one bid column (any name; every group bids by it) or one column per bidder
/// group, named by the groups' `name`s (any order). Rows: numbers separated by commas; values strictly
/// increasing; at least two rows; '#' starts a comment line. Throws ScenarioError(path, "'file' line
/// N: …") on malformed input.
void read_strategy_table(const std::string& file, const std::vector<std::string>& group_names, StrategySpec& spec,
                         const std::string& path);

/// Checks a Table strategy given in code (sizes, finiteness, increasing values); path names the mechanism.
void validate_strategy_table(const StrategySpec& spec, size_t groups, const std::string& path);

/// One ValueTable strategy per group, its knots appended to the arena.
std::vector<Strategy> table_strategies(const StrategySpec& spec, int groups, std::vector<double>& arena);

}  // namespace mcrev
