// Shared helpers for the mcrev tests.
#pragma once

#include "mcrev/engine.hpp"
#include "mcrev/pipeline/kernel_body.hpp"
#include "scenario/scenario.hpp"
#include "mcrev/core/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mcrev::test {

inline DistributionSpec uniform(double lo, double hi) {
  DistributionSpec d;
  d.dist.kind = DistKind::Uniform;
  d.dist.low = lo;
  d.dist.high = hi;
  d.describe = "uniform";
  return d;
}

inline DistributionSpec exponential(double rate, double shift = 0.0) {
  DistributionSpec d;
  d.dist.kind = DistKind::Exponential;
  d.dist.p[0] = rate;
  d.dist.low = shift;
  d.dist.high = HUGE_VAL;
  d.describe = "exponential";
  return d;
}

inline MechanismSpec mech(MechKind k, const std::string& name = "", double reserve = 0.0,
                          StrategySpec::Kind st = StrategySpec::Truthful, double price = 0.0) {
  MechanismSpec m;
  m.kind = k;
  m.name = name.empty() ? kind_name(k) : name;
  m.reserve = reserve;
  m.strategy.kind = st;
  m.price = price;
  return m;
}

inline Scenario iid(int n, DistributionSpec d, std::uint64_t samples, std::uint64_t seed = 7) {
  Scenario sc;
  sc.samples = samples;
  sc.seed = seed;
  sc.backend = Backend::Cpu;
  GroupSpec g;
  g.name = "bidders";
  g.count = n;
  g.value = d;
  sc.groups.push_back(g);
  return sc;
}

inline RunResult run_cpu_scenario(const Scenario& sc, int threads = 0) {
  RunOptions o;
  o.backend = Backend::Cpu;
  o.threads = threads;
  return run(sc, o);
}

/// |estimate − truth| within k standard errors (the SE reported by the estimator itself).
inline ::testing::AssertionResult WithinSE(const Estimate& e, double truth, double k = 5.0) {
  const double dev = std::fabs(e.mean - truth);
  if (e.stderr_ > 0 && dev <= k * e.stderr_) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "estimate " << e.mean << " ± " << e.stderr_ << " vs truth " << truth
                                       << " (" << (e.stderr_ > 0 ? dev / e.stderr_ : INFINITY) << " SE)";
}


/// A scenario parsed from TOML, its model, and one mechanism's outcome on given reports (value-slot
/// order); dense outcome arrays live in `b`, valid until the next call.
struct ScenarioFixture {
  Scenario sc;
  ModelData md;
  Model m;
  std::vector<double> b;
  explicit ScenarioFixture(const std::string& toml) : sc(parse_scenario(toml)), md(build_model(sc)), m(md.view()) {}
  Outcome outcome(int k, const std::vector<double>& reports, std::uint64_t profile = 0) {
    b.assign(m.scratch_doubles(), 0.0);
    std::copy(reports.begin(), reports.end(), b.begin());
    return allocate(m, k, profile, b.data());
  }
};

/// Mechanism m's metric block on one profile whose values (signals with [values]) are v.
inline std::vector<double> metrics_on(ScenarioFixture& f, int m, const std::vector<double>& v) {
  const int B = f.m.metrics_per_mechanism();
  std::vector<double> out(B * f.m.n_mechanisms), b(f.m.scratch_doubles());
  evaluate_values(f.m, 0, 0, f.m.n_mechanisms, v.data(), b.data(), out.data());
  return std::vector<double>(out.begin() + m * B, out.begin() + (m + 1) * B);
}

/// "key.path: message" of the ScenarioError that building the TOML's model throws, or "no error".
inline std::string scenario_error(const std::string& toml) {
  try {
    build_model(parse_scenario(toml));
  } catch (const ScenarioError& e) {
    return e.path() + ": " + e.what();
  }
  return "no error";
}

/// The CPU backend's merged partial (1 and 2 threads, 1,024-profile chunks) is bitwise the canonical
/// tree over the per-profile model (thread_partial on each 256-profile leaf): the batched draws and
/// evaluation change nothing. Needs mcrev/pipeline/kernel_body.hpp.
inline void expect_cpu_backend_is_per_profile_model(const Scenario& sc) {
  const ModelData md = build_model(sc);
  const Model m = md.view();
  const PartialShape sh = md.shape();
  const MechanismPairs pairs{m.metrics_per_mechanism()};
  TreeReducer ref(sh, pairs);
  std::vector<double> v(m.n_values), b(m.scratch_doubles()), x(sh.metrics), sums(3 * sh.metrics + sh.pairs),
      part(sh.size());
  for (std::uint64_t first = 0; first < sc.samples; first += kLeafProfiles) {
    thread_partial(m, ThreadRange{first, std::min<std::uint64_t>(sc.samples, first + kLeafProfiles)}, 0,
                   m.n_mechanisms, v.data(), b.data(), x.data(), sums.data(), part.data());
    ref.push(0, part);
  }
  const std::vector<double> want = ref.finish();
  for (int threads : {1, 2}) {
    RunOptions o;
    o.backend = Backend::Cpu;
    o.threads = threads;
    o.chunk_profiles = 1024;
    const RunResult r = run(sc, o);
    ASSERT_GE(r.partial.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) ASSERT_EQ(r.partial[k], want[k]) << k << " threads " << threads;
  }
}

/// Multi-unit test markets' mechanisms (tests/fast_units_test.cpp, fast_units_kernel_test.cpp,
/// gpu_test.cpp): every rule, with reserves that bind and seller values (one group's reserves) ...
inline const char* const kUnitsAllRules = R"(
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
kind = "uniform_price"
[[mechanisms]]
kind = "uniform_price"
name = "last_accepted"
price_rule = "last_accepted"
[[mechanisms]]
kind = "pay_as_bid"
[[mechanisms]]
kind = "vcg"
name = "vcg_r"
reserve = 0.4
seller_value = 0.2
[[mechanisms]]
kind = "uniform_price"
name = "up_r"
reserve = 0.4
[[mechanisms]]
kind = "pay_as_bid"
name = "pab_r"
reserve = 0.55
seller_value = 0.3
[[mechanisms]]
kind = "uniform_price"
name = "la_r"
price_rule = "last_accepted"
reserve = 0.55
)";
/// ... and for two groups, personal reserves per group.
inline const char* const kUnitsTwoGroupRules = R"(
[[mechanisms]]
kind = "vcg"
reserve = [0.2, 0.35]
[[mechanisms]]
kind = "uniform_price"
reserve = [0.2, 0.35]
[[mechanisms]]
kind = "uniform_price"
name = "last_accepted"
price_rule = "last_accepted"
reserve = [0.3, 0.1]
[[mechanisms]]
kind = "pay_as_bid"
seller_value = 0.25
)";

}  // namespace mcrev::test
