// mcrev: the incentive statistics in the JSON, table and CSV outputs (docs/incentives.md, "Output").
#pragma once

#include "mcrev/engine.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace mcrev {

/// The mechanism's "incentives" JSON object (call only when r.incentives.enabled).
nlohmann::ordered_json incentives_json(const MechanismSpec& spec, const MechanismResult& r);

/// A short incentives section for the table output ("" when no mechanism has incentives).
std::string incentives_table(const RunResult& r);

/// CSV rows (mechanism,kind,metric,group,mean,stderr,ci_low,ci_high) of the incentive estimates.
void incentives_csv(const MechanismResult& r, std::ostream& o);

}  // namespace mcrev
