// mcrev: how a precision-target run ended, in the table, JSON and CSV outputs (docs/sweeps.md).
#pragma once

#include "mcrev/engine.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace mcrev {

/// {"halfwidth", "max_samples", "met", "samples", "boundaries", "widest", "widest_halfwidth", "metrics"}.
nlohmann::ordered_json target_json(const TargetReport& t);
/// CSV rows with an empty mechanism and kind: target.samples, target.met (1/0), target.halfwidth,
/// target.widest_halfwidth (mean = ci_low = ci_high = the value, stderr 0); "" without a target.
std::string target_csv_rows(const RunResult& r);
/// One line for the table's header; "" without a target.
std::string target_table_line(const RunResult& r);

}  // namespace mcrev
