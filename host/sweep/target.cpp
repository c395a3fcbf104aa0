// Precision targets (include/mcrev/sweep.hpp run_to_target, docs/sweeps.md "Precision targets").
//
// The sample count is chosen among N_k = min(N0 · 2^k, cap) only, from estimates at those counts, so
// the choice and the result are functions of the seed and the scenario: any thread count, chunk size
// or backend gives the same N_final and the bits of a plain run of N_final. On the CPU, N_{k−1} is a
// multiple of 256 · 2^j (N0 = 256 · 2^j' and doubling), so the canonical reduction tree over
// [0, N_{k−1}) is a set of complete aligned subtrees of the tree over [0, N_k): the state of the
// profiles [N_{k−1}, N_k), joined to it (join_states), is bitwise the state of a run of N_k. The CUDA
// backend's ranges keep the same tree (run_cuda_range). Variance reduction (its estimators are not
// range states) reruns `run -n N_k` at each boundary instead.
#include "mcrev/sweep.hpp"

#include "mcrev/core/error.hpp"

#include <chrono>
#include <optional>
#include <cmath>
#include <string>

namespace mcrev {

namespace {

/// (label "MECHANISM.METRIC", mechanism index, metric name) of every targeted interval.
struct Targeted {
  std::string label;
  std::size_t mechanism;
  std::string metric;
};

/// The metric names tidy_metrics gives mechanism m of sc (without running).
std::vector<std::string> metric_names(const Scenario& sc) {
  MechanismResult m;
  m.has_budget = sc.market.kind != MarketKind::SingleItem;
  m.has_market_stat = m.has_budget && market_stat_name(sc.market.kind) != nullptr;
  for (const GroupSpec& g : sc.groups) {
    GroupResult gr;
    gr.name = g.name;
    m.bidders.push_back(gr);
  }
  std::vector<std::string> names;
  for (const auto& [name, e] : tidy_metrics(sc, m)) names.push_back(name);
  return names;
}

std::vector<Targeted> targeted(const Scenario& sc, const PrecisionTarget& t) {
  const std::vector<std::string> names = metric_names(sc);
  const std::vector<std::string> specs = t.metrics.empty() ? std::vector<std::string>{"revenue"} : t.metrics;
  std::vector<Targeted> out;
  for (const std::string& spec : specs) {
    bool found = false;
    for (std::size_t m = 0; m < sc.mechanisms.size(); ++m)
      for (const std::string& x : names)
        if (spec == x || spec == sc.mechanisms[m].name + "." + x) {
          found = true;
          const std::string label = sc.mechanisms[m].name + "." + x;
          bool dup = false;
          for (const Targeted& o : out) dup = dup || o.label == label;
          if (!dup) out.push_back({label, m, x});
        }
    if (!found) {
      std::string known;
      for (const std::string& x : names) known += (known.empty() ? "" : ", ") + x;
      throw ScenarioError("--target-metric", "unknown metric '" + spec + "' (expected METRIC or MECHANISM.METRIC; metrics: " +
                                                 known + ")");
    }
  }
  return out;
}

/// The widest targeted half-width of the estimates (nan counts as unmet: +inf).
std::pair<std::string, double> widest(const Scenario& sc, const std::vector<MechanismResult>& ms,
                                      const std::vector<Targeted>& ts) {
  std::pair<std::string, double> w{"", -1.0};
  for (const Targeted& t : ts)
    for (const auto& [name, e] : tidy_metrics(sc, ms[t.mechanism]))
      if (name == t.metric) {
        double h = 0.5 * (e.ci_high - e.ci_low);
        if (!std::isfinite(h)) h = HUGE_VAL;
        if (h > w.second) w = {t.label, h};
      }
  return w;
}

}  // namespace

void check_target(const Scenario& sc, const PrecisionTarget& t) {
  MCREV_EXPECTS(std::isfinite(t.halfwidth) && t.halfwidth > 0, "--target-halfwidth",
                "must be a finite number > 0, got " + std::to_string(t.halfwidth));
  MCREV_EXPECTS(t.max_samples >= 1 && t.max_samples <= kMaxSamples, "--max-samples",
                "must lie in [1, " + std::to_string(kMaxSamples) + "]");
  MCREV_EXPECTS(t.first_batch >= kLeafProfiles && t.first_batch % kLeafProfiles == 0, "--target-first-batch",
                "must be a positive multiple of " + std::to_string(kLeafProfiles));
  targeted(sc, t);
}

RunResult run_to_target(const Scenario& sc_in, const PrecisionTarget& t, const RunOptions& options) {
  check_target(sc_in, t);
  const std::vector<Targeted> ts = targeted(sc_in, t);
  Scenario sc = sc_in;
  const ModelData md = build_model(sc);
  std::string note, gpu;
  const Backend b = resolve_backend(sc, options, &note, &gpu);
  TargetReport rep;
  rep.enabled = true;
  rep.halfwidth = t.halfwidth;
  rep.max_samples = t.max_samples;
  for (const Targeted& x : ts) rep.metrics.push_back(x.label);
  const auto t0 = std::chrono::steady_clock::now();
  RangeState state;  // the state of [0, N) (either backend: run_cuda_range keeps the CPU's tree)
  std::vector<double> partial;
  std::optional<RunResult> vr_result;  // variance reduction: whole runs (its estimators are not states)
  const bool whole_runs = sc.variance_reduction != VrMethod::None;
  std::uint64_t n = 0;
  for (;;) {
    const std::uint64_t next = n == 0 ? std::min(t.first_batch, t.max_samples)
                                      : (n > t.max_samples / 2 ? t.max_samples : std::min(2 * n, t.max_samples));
    RunOptions ro = options;
    std::vector<MechanismResult> estimates;
    if (whole_runs) {
      // A rerun of `run -n next` (≤ 2× the final run's work).
      if (options.progress) ro.progress = [&](std::uint64_t done, std::uint64_t) { options.progress(done, next); };
      Scenario at = sc;
      at.samples = next;
      vr_result = run(at, ro);
      estimates = vr_result->mechanisms;
    } else {
      // Only the new profiles [n, next): joined to [0, n) they are bitwise a run of next.
      if (ro.progress) ro.progress = [&, base = n](std::uint64_t done, std::uint64_t) { options.progress(base + done, next); };
      RangeState ext = b == Backend::Cuda ? run_cuda_range(md, next, n, next, ro) : run_cpu_range(md, next, n, next, ro);
      if (n == 0) state = std::move(ext);
      else state = join_states(md, {std::move(state), std::move(ext)});
      partial = finish_state(md, state);
    }
    n = next;
    rep.boundaries.push_back(n);
    sc.samples = n;
    if (!whole_runs) estimates = summarize(sc, partial, sc.confidence);
    const auto w = widest(sc, estimates, ts);
    rep.widest = w.first;
    rep.widest_halfwidth = w.second;
    rep.met = w.second <= t.halfwidth;
    if (rep.met || n >= t.max_samples) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RunResult res = whole_runs ? std::move(*vr_result) : finish_run(sc, md, std::move(partial), b, options);
  res.note = note;
  res.device = b == Backend::Cuda ? cuda_device_label(options.devices) : cpu_device_name(options.threads);
  res.seconds = seconds;
  res.profiles_per_second = seconds > 0 ? n / seconds : 0.0;
  res.target = rep;
  return res;
}

}  // namespace mcrev
