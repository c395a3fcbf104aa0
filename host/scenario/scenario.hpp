// mcrev: TOML scenario files → Scenario (README "Scenario reference").
#pragma once

#include "mcrev/engine.hpp"

#include <string>

namespace mcrev {

/// Parses a scenario file. Unknown keys, wrong types and impossible values throw ScenarioError with
/// the key path (e.g. "bidders[0].value.rate"); a TOML syntax error names file, line and column.
/// Relative paths inside (empirical `file`) are resolved against the file's directory.
Scenario load_scenario_file(const std::string& path);

/// Same, from TOML text; `base_dir` resolves relative file paths.
Scenario parse_scenario(const std::string& toml_text, const std::string& base_dir = ".",
                        const std::string& source_name = "scenario");

/// Parses one value distribution given as key/values (used by the parser; exposed for tests).
Backend parse_backend(const std::string& name, const std::string& path);

}  // namespace mcrev
