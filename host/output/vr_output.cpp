// Variance-reduction output sections (see vr_output.hpp).
#include "output/vr_output.hpp"

#include "vr/variance_reduction.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcrev {

namespace {

nlohmann::ordered_json number_or_null(double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); }

const char* unit_name(VrMethod m) {
  switch (m) {
    case VrMethod::Antithetic: return "antithetic pair of profiles (u, 1 - u)";
    case VrMethod::ControlVariate: return "profile";
    case VrMethod::Rqmc: return "replicate (an independently scrambled Sobol point set)";
    default: return "profile";
  }
}

}  // namespace

void append_vr_json(const Scenario& sc, const RunResult& r, nlohmann::ordered_json& run, nlohmann::ordered_json& mechs) {
  if (sc.variance_reduction == VrMethod::None) return;
  nlohmann::ordered_json v = {{"method", variance_reduction_name(sc.variance_reduction)},
                              {"unit", unit_name(sc.variance_reduction)}};
  if (sc.variance_reduction == VrMethod::Rqmc) {
    v["rqmc_replicates"] = sc.rqmc_replicates;
    v["points_per_replicate"] = sc.samples / static_cast<std::uint64_t>(sc.rqmc_replicates);
  }
  if (sc.variance_reduction == VrMethod::ControlVariate) {
    nlohmann::ordered_json cs = nlohmann::ordered_json::array();
    for (const VrControlSpec& c : vr_controls(sc)) cs.push_back({{"name", c.name}, {"mean", c.mean}});
    v["controls"] = cs;
  }
  run["variance_reduction"] = v;
  const size_t n_controls = sc.variance_reduction == VrMethod::ControlVariate ? vr_controls(sc).size() : 0;
  for (size_t m = 0; m < r.mechanisms.size() && m < mechs.size(); ++m) {
    nlohmann::ordered_json per;
    for (const VrMetricResult& x : r.mechanisms[m].variance_reduction) {
      nlohmann::ordered_json e = {{"variance_ratio", number_or_null(x.ratio)}};
      e["ratio_interval"] = std::isfinite(x.ratio_low) && std::isfinite(x.ratio_high)
                                ? nlohmann::ordered_json::array({x.ratio_low, x.ratio_high})
                                : nlohmann::ordered_json(nullptr);
      e["plain_variance"] = number_or_null(x.plain_variance);
      e["method_variance"] = number_or_null(x.method_variance);
      if (n_controls > 0) {
        nlohmann::ordered_json b = nlohmann::ordered_json::array();
        for (size_t q = 0; q < n_controls; ++q) b.push_back(number_or_null(x.beta[q]));
        e["beta"] = b;
      }
      per[x.metric] = e;
    }
    mechs[m]["variance_reduction"] = per;
  }
}

void vr_csv(const MechanismResult& m, std::ostream& o) {
  for (const VrMetricResult& x : m.variance_reduction) {
    o << m.name << ',' << m.kind << ",variance_ratio." << x.metric << ",," << x.ratio << ",nan," << x.ratio_low << ','
      << x.ratio_high << '\n';
    o << m.name << ',' << m.kind << ",plain_variance." << x.metric << ",," << x.plain_variance << ",nan,nan,nan\n";
    o << m.name << ',' << m.kind << ",method_variance." << x.metric << ",," << x.method_variance << ",nan,nan,nan\n";
  }
}

std::string vr_table_section(const Scenario& sc, const RunResult& r) {
  if (sc.variance_reduction == VrMethod::None) return {};
  std::ostringstream o;
  o << "\nvariance reduction: " << variance_reduction_name(sc.variance_reduction);
  if (sc.variance_reduction == VrMethod::Antithetic)
    o << " (" << sc.samples / 2 << " pairs; standard errors from the pair means)";
  if (sc.variance_reduction == VrMethod::Rqmc)
    o << " (" << sc.rqmc_replicates << " scrambled Sobol replicates of " << sc.samples / sc.rqmc_replicates
      << " points; intervals: Student t, " << sc.rqmc_replicates - 1 << " d.f.)";
  if (sc.variance_reduction == VrMethod::ControlVariate) {
    o << " (controls:";
    for (const VrControlSpec& c : vr_controls(sc)) o << " " << c.name << " [mean " << c.mean << "]";
    o << "; revenue and welfare adjusted)";
  }
  o << "\nvariance ratio vs plain Monte Carlo per profile (estimated on this run; >1: fewer profiles for the same "
       "half-width)\n";
  for (const MechanismResult& m : r.mechanisms) {
    std::string line = m.name;
    line.resize(std::max<size_t>(line.size() + 2, 22), ' ');
    for (const VrMetricResult& x : m.variance_reduction) {
      char buf[160];
      if (std::isfinite(x.ratio_low))
        std::snprintf(buf, sizeof buf, "%s %.4g [%.3g, %.3g]   ", x.metric.c_str(), x.ratio, x.ratio_low, x.ratio_high);
      else
        std::snprintf(buf, sizeof buf, "%s %.4g   ", x.metric.c_str(), x.ratio);
      line += buf;
    }
    o << line << "\n";
  }
  return o.str();
}

}  // namespace mcrev
