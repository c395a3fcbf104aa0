// mcrev: scenario keys of `kind = "quantized"` mechanisms (docs/quantized.md).
#pragma once

#include "mcrev/engine.hpp"

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace mcrev {

/// Reads the quantized keys of one [[mechanisms]] table into spec; returns the keys it consumed (the
/// caller marks them used). Throws ScenarioError(path.key, reason) on a wrong type or value, and for
/// keys of other kinds (reserve, strategy, factor, price).
std::vector<std::string> parse_quantized_keys(const toml::table& t, const std::string& path, QuantizedSpec& spec);

}  // namespace mcrev
