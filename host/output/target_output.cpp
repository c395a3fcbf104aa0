#include "output/target_output.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

nlohmann::ordered_json target_json(const TargetReport& t) {
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); };
  return {{"halfwidth", t.halfwidth},
          {"max_samples", t.max_samples},
          {"met", t.met},
          {"samples", t.boundaries.empty() ? 0 : t.boundaries.back()},
          {"boundaries", t.boundaries},
          {"widest", t.widest},
          {"widest_halfwidth", num(t.widest_halfwidth)},
          {"metrics", t.metrics}};
}

std::string target_csv_rows(const RunResult& r) {
  const TargetReport& t = r.target;
  if (!t.enabled) return "";
  std::ostringstream o;
  o.precision(17);
  auto row = [&](const char* metric, double v) { o << ",," << "target." << metric << ",," << v << ",0," << v << ',' << v << '\n'; };
  row("samples", static_cast<double>(t.boundaries.empty() ? 0 : t.boundaries.back()));
  row("met", t.met ? 1.0 : 0.0);
  row("halfwidth", t.halfwidth);
  row("widest_halfwidth", t.widest_halfwidth);
  return o.str();
}

std::string target_table_line(const RunResult& r) {
  const TargetReport& t = r.target;
  if (!t.enabled) return "";
  char line[512];
  std::snprintf(line, sizeof line, "precision target: half-width <= %g %s after %llu profiles (widest: %s, %.3g)%s\n",
                t.halfwidth, t.met ? "met" : "NOT met", static_cast<unsigned long long>(t.boundaries.empty() ? 0 : t.boundaries.back()),
                t.widest.c_str(), t.widest_halfwidth, t.met ? "" : " — the --max-samples cap was reached");
  return line;
}

}  // namespace mcrev
