// mcrev: TOML scenario files → Scenario (README "Scenario reference").
#pragma once

#include "mcrev/engine.hpp"

#include <string>

namespace mcrev {

/// Parses a scenario file. Unknown keys, wrong types and impossible values throw ScenarioError with
/// the key path (e.g. "bidders[0].value.rate"); a TOML syntax error names file, line and column.
/// Relative paths inside (empirical `file`) are resolved against the file's directory.
Scenario load_scenario_file(const std::string& path);

/// The bytes of a scenario file (ScenarioError "cannot open scenario file" / "not a readable file").
std::string read_scenario_text(const std::string& path);
/// The directory relative `file =` keys of the scenario file at `path` resolve against.
std::string scenario_dir(const std::string& path);

/// Same, from TOML text; `base_dir` resolves relative file paths.
Scenario parse_scenario(const std::string& toml_text, const std::string& base_dir = ".",
                        const std::string& source_name = "scenario");

/// A whole-number count given as a double (a TOML float such as 1e7, or a command-line number): checks
/// that it is finite, whole and within [min_value, max_value], else throws ScenarioError(path, …) with
/// "must be finite", "must be a whole number", "must be at least …" or "too large (the largest
/// supported is …)". The scenario file and the command line share these rules.
std::uint64_t checked_count(double v, const std::string& path, std::uint64_t min_value, std::uint64_t max_value);
/// The same for an integer (a TOML integer).
std::uint64_t checked_count(std::int64_t v, const std::string& path, std::uint64_t min_value, std::uint64_t max_value);
/// A count from command-line text ("1000", "1e3", "10_000"): digits are read exactly (any 64-bit
/// value), other forms as a number; the same checks and messages as the file's keys.
std::uint64_t parse_count(const std::string& text, const std::string& path, std::uint64_t min_value,
                          std::uint64_t max_value);

/// Parses one value distribution given as key/values (used by the parser; exposed for tests).
Backend parse_backend(const std::string& name, const std::string& path);

}  // namespace mcrev
