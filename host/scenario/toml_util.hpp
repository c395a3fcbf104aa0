// mcrev: small helpers shared by the scenario readers (toml++).
#pragma once

#include <toml++/toml.h>

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

}  // namespace mcrev
