// mcrev: result formatting — a readable table, JSON (README "JSON output") and CSV.
#pragma once

#include "mcrev/engine.hpp"

#include <string>

namespace mcrev {

std::string format_table(const Scenario& sc, const RunResult& r);
std::string format_json(const Scenario& sc, const RunResult& r);
/// One row per (mechanism, metric[, group]) with mean, stderr, ci_low, ci_high.
std::string format_csv(const Scenario& sc, const RunResult& r);

}  // namespace mcrev
