// Sweep outputs (include/mcrev/sweep.hpp): tidy CSV, JSON list of rows, readable table.
#include "mcrev/sweep.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {

/// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string mean_se(double mean, double se) {
  char buf[64];
  if (!std::isfinite(mean)) return "-";
  std::snprintf(buf, sizeof buf, "%.6f ± %.6f", mean, se);
  return buf;
}

}  // namespace

std::string format_sweep_csv(const SweepResult& r) {
  std::ostringstream o;
  o.precision(17);
  o << "point";
  for (const std::string& k : r.keys) o << ',' << csv_field(k);
  o << ",mechanism,metric,mean,stderr,ci_low,ci_high,profiles" << (r.target ? ",target_met" : "") << '\n';
  for (const SweepRow& row : r.rows) {
    o << row.point;
    for (const std::string& v : row.values) o << ',' << csv_field(v);
    o << ',' << csv_field(row.mechanism) << ',' << csv_field(row.metric) << ',' << row.mean << ',' << row.stderr_ << ','
      << row.ci_low << ',' << row.ci_high << ',' << row.profiles;
    if (r.target) o << ',' << (row.target_met ? "true" : "false");
    o << '\n';
  }
  return o.str();
}

std::string format_sweep_json(const SweepResult& r) {
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const SweepRow& row : r.rows) {
    nlohmann::ordered_json j;
    j["point"] = row.point;
    for (size_t k = 0; k < r.sets.size(); ++k) {
      const SweepValue& v = r.sets[k].values[r.points[row.point].index[k]];
      switch (v.kind) {
        case SweepValue::Integer: j[r.keys[k]] = v.integer; break;
        case SweepValue::Float: j[r.keys[k]] = v.number; break;
        case SweepValue::Boolean: j[r.keys[k]] = v.boolean; break;
        default: j[r.keys[k]] = v.string; break;
      }
    }
    j["mechanism"] = row.mechanism;
    j["metric"] = row.metric;
    j["mean"] = num(row.mean);
    j["stderr"] = num(row.stderr_);
    j["ci_low"] = num(row.ci_low);
    j["ci_high"] = num(row.ci_high);
    j["profiles"] = row.profiles;
    if (r.target) j["target_met"] = row.target_met;
    rows.push_back(std::move(j));
  }
  return rows.dump(2) + "\n";
}

std::string format_sweep_table(const SweepResult& r) {
  std::ostringstream o;
  char head[512];
  std::snprintf(head, sizeof head, "mcrev sweep: %zu points, %s backend (%s), %.2f s\n", r.points.size(), r.backend.c_str(),
                r.device.c_str(), r.seconds);
  o << head << "mean ± standard error; " << r.confidence * 100
    << "% intervals and every metric in --format csv/json; the first --set varies slowest\n\n";
  std::vector<std::string> cols = {"point"};
  for (const std::string& k : r.keys) cols.push_back(k);
  cols.push_back("mechanism");
  cols.push_back("profiles");
  const std::vector<std::string> metrics = {"revenue", "welfare", "efficiency"};
  for (const std::string& m : metrics) cols.push_back(m);
  if (r.target) cols.push_back("target");
  std::vector<std::vector<std::string>> table;
  for (size_t i = 0; i < r.rows.size();) {
    const SweepRow& first = r.rows[i];
    std::vector<std::string> line = {std::to_string(first.point)};
    for (const std::string& v : first.values) line.push_back(v);
    line.push_back(first.mechanism);
    line.push_back(std::to_string(first.profiles));
    std::vector<std::string> cells(metrics.size(), "-");
    size_t j = i;
    for (; j < r.rows.size() && r.rows[j].point == first.point && r.rows[j].mechanism == first.mechanism; ++j)
      for (size_t m = 0; m < metrics.size(); ++m)
        if (r.rows[j].metric == metrics[m]) cells[m] = mean_se(r.rows[j].mean, r.rows[j].stderr_);
    for (const std::string& c : cells) line.push_back(c);
    if (r.target) line.push_back(first.target_met ? "met" : "cap");
    table.push_back(line);
    i = j;
  }
  std::vector<size_t> width(cols.size());
  auto len = [](const std::string& s) {  // display width: count UTF-8 lead bytes
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t c = 0; c < cols.size(); ++c) {
    width[c] = len(cols[c]);
    for (const auto& line : table) width[c] = std::max(width[c], len(line[c]));
  }
  auto put = [&](const std::vector<std::string>& line) {
    for (size_t c = 0; c < line.size(); ++c)
      o << line[c] << std::string(width[c] - len(line[c]) + (c + 1 < line.size() ? 2 : 0), ' ');
    o << '\n';
  };
  put(cols);
  for (const auto& line : table) put(line);
  return o.str();
}

}  // namespace mcrev
