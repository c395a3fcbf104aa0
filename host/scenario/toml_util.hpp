// mcrev: small helpers shared by the scenario readers (toml++).
#pragma once

#include "mcrev/core/error.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace mcrev {

/// "a table", "an array", "a string", ... for error messages.
inline std::string toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

/// Opens `file` for reading, or throws ScenarioError(path, …) saying why not: no such file, a
/// directory ("is not a readable file"), or no permission. `what` names the file's role, e.g.
/// "scenario file", "strategy table".
inline std::ifstream open_readable(const std::string& file, const std::string& path, const std::string& what,
                                   std::ios::openmode mode = std::ios::in) {
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  MCREV_EXPECTS(std::filesystem::exists(st), path, "cannot open " + what + " '" + file + "': no such file");
  MCREV_EXPECTS(!std::filesystem::is_directory(st), path,
                what + " '" + file + "' is not a readable file (it is a directory)");
  std::ifstream in(file, mode);
  MCREV_EXPECTS(in, path, what + " '" + file + "' is not a readable file (permission denied or unreadable)");
  return in;
}

}  // namespace mcrev
