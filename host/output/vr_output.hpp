// mcrev: the variance-reduction sections of the table, JSON and CSV outputs (docs/variance_reduction.md).
#pragma once

#include "mcrev/engine.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace mcrev {

/// Adds "variance_reduction" to the run object (method, unit, replicates, controls) and to each
/// mechanism (per tracked metric: variance_ratio, ratio_interval, plain_variance, method_variance,
/// beta). Nothing when the method is none.
void append_vr_json(const Scenario& sc, const RunResult& r, nlohmann::ordered_json& run, nlohmann::ordered_json& mechs);
/// CSV rows variance_ratio.<metric> (mean = the ratio, ci = its interval or nan), plain_variance.<metric>,
/// method_variance.<metric> of one mechanism.
void vr_csv(const MechanismResult& m, std::ostream& o);
/// The table's section; empty when the method is none.
std::string vr_table_section(const Scenario& sc, const RunResult& r);

}  // namespace mcrev
