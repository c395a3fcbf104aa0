// mcrev: output of `kind = "quantized"` mechanisms (docs/quantized.md, "Output").
#pragma once

#include "mcrev/engine.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace mcrev {

/// Adds "thresholds", "cell_values", "exact_seller_utility" and the search details to a mechanism's
/// JSON object.
void append_quantized_json(nlohmann::ordered_json& mechanism, const QuantizedDesign& design);

/// Table section for the quantized mechanisms of a run: seller utility first, then the exact value
/// and the thresholds; empty if the run has none.
std::string quantized_table_section(const RunResult& r);

/// CSV rows (header of format_csv): exact_seller_utility, and one `threshold` row per bidder and level.
std::string quantized_csv_rows(const RunResult& r);

}  // namespace mcrev
