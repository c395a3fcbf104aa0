#include "scenario/strategy_table.hpp"
#include "scenario/toml_util.hpp"

#include "mcrev/core/error.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mcrev {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

}  // namespace

void read_strategy_table(const std::string& file, const std::vector<std::string>& group_names, StrategySpec& spec,
                         const std::string& path) {
  std::ifstream in = open_readable(file, path, "strategy table");
  auto where = [&](int line) { return "'" + file + "' line " + std::to_string(line) + ": "; };
  std::string line;
  int lineno = 0;
  std::vector<int> column_group;  // bid column c → group index (or −1: every group)
  size_t fields = 0;
  spec.file = file;
  spec.table_values.clear();
  spec.table_bids.clear();
  while (std::getline(in, line)) {
    ++lineno;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const std::vector<std::string> cells = split(t);
    if (fields == 0) {  // header
      MCREV_EXPECTS(cells.size() >= 2 && cells[0] == "value", path,
                    where(lineno) + "the header must be 'value' followed by one bid column or one column per "
                                    "bidder group, e.g. 'value,bid'");
      fields = cells.size();
      if (fields == 2) {
        column_group.push_back(-1);
      } else {
        std::string names;
        for (const std::string& n : group_names) names += (names.empty() ? "" : ", ") + n;
        MCREV_EXPECTS(fields - 1 == group_names.size(), path,
                      where(lineno) + std::to_string(fields - 1) + " bid columns; give one (for every group) or one per "
                                      "bidder group (" + names + ")");
        for (size_t c = 1; c < fields; ++c) {
          int found = -1;
          for (size_t g = 0; g < group_names.size(); ++g)
            if (group_names[g] == cells[c]) found = static_cast<int>(g);
          MCREV_EXPECTS(found >= 0, path,
                        where(lineno) + "column '" + cells[c] + "' names no bidder group (groups: " + names + ")");
          for (int prev : column_group)
            MCREV_EXPECTS(prev != found, path, where(lineno) + "column '" + cells[c] + "' appears twice");
          column_group.push_back(found);
        }
      }
      spec.table_bids.assign(fields - 1, {});
      continue;
    }
    MCREV_EXPECTS(cells.size() == fields, path,
                  where(lineno) + "expected " + std::to_string(fields) + " fields, found " + std::to_string(cells.size()));
    std::vector<double> row;
    for (size_t c = 0; c < fields; ++c) {
      char* end = nullptr;
      const double x = std::strtod(cells[c].c_str(), &end);
      MCREV_EXPECTS(!cells[c].empty() && end && *end == '\0', path,
                    where(lineno) + "'" + cells[c] + "' is not a number");
      MCREV_EXPECTS(std::isfinite(x), path, where(lineno) + "'" + cells[c] + "' is not finite");
      row.push_back(x);
    }
    MCREV_EXPECTS(spec.table_values.empty() || row[0] > spec.table_values.back(), path,
                  where(lineno) + "values must be strictly increasing");
    spec.table_values.push_back(row[0]);
    for (size_t c = 1; c < fields; ++c) spec.table_bids[c - 1].push_back(row[c]);
  }
  MCREV_EXPECTS(fields > 0, path, "'" + file + "' is empty (expected a header 'value,bid' and rows)");
  MCREV_EXPECTS(spec.table_values.size() >= 2, path, "'" + file + "' needs at least two rows of values and bids");
  if (column_group.size() > 1) {  // reorder the columns by group
    std::vector<std::vector<double>> by_group(column_group.size());
    for (size_t c = 0; c < column_group.size(); ++c) by_group[column_group[c]] = std::move(spec.table_bids[c]);
    spec.table_bids = std::move(by_group);
  }
}

void validate_strategy_table(const StrategySpec& spec, size_t groups, const std::string& path) {
  const std::string p = path + ".file";
  MCREV_EXPECTS(spec.table_values.size() >= 2, p, "a strategy table needs at least two values");
  MCREV_EXPECTS(spec.table_bids.size() == 1 || spec.table_bids.size() == groups, p,
                "a strategy table needs one bid column, or one per bidder group (" + std::to_string(groups) + ")");
  for (size_t k = 0; k < spec.table_values.size(); ++k) {
    MCREV_EXPECTS(std::isfinite(spec.table_values[k]), p, "values must be finite");
    if (k > 0) MCREV_EXPECTS(spec.table_values[k] > spec.table_values[k - 1], p, "values must be strictly increasing");
  }
  for (const std::vector<double>& col : spec.table_bids) {
    MCREV_EXPECTS(col.size() == spec.table_values.size(), p, "every bid column needs one bid per value");
    for (double b : col) MCREV_EXPECTS(std::isfinite(b), p, "bids must be finite");
  }
}

std::vector<Strategy> table_strategies(const StrategySpec& spec, int groups, std::vector<double>& arena) {
  std::vector<Strategy> out;
  for (int g = 0; g < groups; ++g) {
    const std::vector<double>& bids = spec.table_bids.size() == 1 ? spec.table_bids[0] : spec.table_bids[g];
    Strategy st;
    st.kind = StrategyKind::ValueTable;
    st.table = static_cast<int>(arena.size());
    st.table_n = static_cast<int>(spec.table_values.size());
    arena.insert(arena.end(), spec.table_values.begin(), spec.table_values.end());
    arena.insert(arena.end(), bids.begin(), bids.end());
    out.push_back(st);
  }
  return out;
}

}  // namespace mcrev
