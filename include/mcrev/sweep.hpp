// mcrev: parameter sweeps and precision targets — the host-side API behind `mcrev sweep` and
// `mcrev run --target-halfwidth` (docs/sweeps.md).
//
//   std::vector<mcrev::SweepSet> sets = {mcrev::parse_set("mechanisms[1].reserve=0:1:41")};
//   mcrev::SweepOptions opt;  opt.run.backend = mcrev::Backend::Cpu;
//   mcrev::SweepResult r = mcrev::run_sweep(mcrev::SweepInput::from_file("auction.toml"), sets, opt);
//   for (const mcrev::SweepRow& row : r.rows) ...;   // one per (point, mechanism, metric)
//
// A sweep point is the scenario file with the swept keys replaced (in the parsed TOML tree) and then
// read by the ordinary scenario parser, so every check and message is the file's own. Every point
// runs with the same seed (common random numbers, docs/sweeps.md says exactly when points share
// profiles). Determinism: each point's result is bitwise the result of `mcrev run` on the modified
// scenario, for any thread count and chunk size (and, with a precision target, any backend).
// Errors: ScenarioError naming the --set (or the key path) and the problem; BackendError from runs.
#pragma once

#include "mcrev/core/target.hpp"
#include "mcrev/engine.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mcrev {

/// One value of a swept key, typed as the TOML value it becomes.
struct SweepValue {
  enum Kind { Integer, Float, Boolean, String } kind = Float;
  std::int64_t integer = 0;
  double number = 0.0;  ///< Float; also Integer's value as a double
  bool boolean = false;
  std::string string;
  std::string text() const;  ///< shortest round-trip text: "0.025", "3", "true", "first_price"
};

/// One `--set KEY=VALUES`. VALUES is `LOW:HIGH:COUNT` (COUNT >= 2 evenly spaced points with both ends
/// exact: x_i = (LOW (COUNT−1−i) + HIGH i)/(COUNT−1); COUNT = 1 only with LOW == HIGH; integers when
/// LOW and HIGH are written as integers and every point is whole) or a comma list taken as given
/// (integers, numbers, true/false, other text as strings; "..." quotes a string).
struct SweepSet {
  /// The text before '=': one key path (name(.name)* with [index] after a name, e.g.
  /// "bidders[0].count"), or several separated by commas, all set to the same value (one dimension:
  /// "mechanisms[0].reserve,mechanisms[1].reserve=0:1:21"). Names the output column.
  std::string key;
  std::vector<std::string> paths;  ///< the key paths of `key`
  std::vector<SweepValue> values;  ///< in sweep order, at least one
  std::string spec;                ///< the text as given, for messages
  std::string source = "--set";    ///< where it was given: "--set" or "sweep.set[i]" (messages)
};

/// Parses "KEY=VALUES". Throws ScenarioError(where + " " + spec, reason) for a malformed key path,
/// a bad range (COUNT < 1 or not whole, COUNT = 1 with LOW != HIGH, non-finite ends), an empty item.
SweepSet parse_set(const std::string& spec, const std::string& where = "--set");

/// A scenario to sweep: its TOML text, the directory its relative `file =` keys resolve against, and
/// the name used in messages.
struct SweepInput {
  std::string text, base_dir = ".", source_name = "scenario";
  static SweepInput from_file(const std::string& path);
};

/// The sets of the scenario's `[sweep]` table (`set = ["KEY=VALUES", ...]`), in file order; empty
/// when there is none. Throws ScenarioError("sweep.set[i]", ...) for a malformed entry.
std::vector<SweepSet> scenario_sweep_sets(const SweepInput& in);

/// The file's sets with the command line's: a command-line set of a key the file sweeps replaces it
/// in place; others are appended. Throws ScenarioError when the command line sets a key twice.
std::vector<SweepSet> combine_sets(const std::vector<SweepSet>& file_sets, const std::vector<SweepSet>& cli_sets);

/// The TOML text of one point: `in` with each sets[k].key replaced by values[k] and the [sweep] table
/// removed. Throws ScenarioError(set.spec, ...) for an unknown path or an index out of range.
std::string point_text(const SweepInput& in, const std::vector<SweepSet>& sets, const std::vector<std::size_t>& index);

/// Overrides applied to every point after the file is read, as `mcrev run`'s options.
struct SweepOverrides {
  std::optional<std::uint64_t> samples, seed;
  std::optional<Backend> backend;
  std::optional<double> confidence;
};

/// Progress over a whole sweep: points done of total, profiles done of the (known) total so far.
struct SweepProgress {
  std::size_t points_done = 0, points = 0;
  std::uint64_t profiles_done = 0, profiles_total = 0;
};

struct SweepOptions {
  RunOptions run;  ///< backend, threads, chunk size; run.progress is ignored (use `progress`)
  SweepOverrides overrides;
  PrecisionTarget target;  ///< each point runs to the target when enabled
  std::function<void(const SweepProgress&)> progress;  ///< from the calling thread; may be empty
};

/// One tidy row: a (point, mechanism, metric) estimate.
struct SweepRow {
  std::size_t point = 0;
  std::vector<std::string> values;  ///< the swept keys' values at this point (SweepValue::text), key order
  std::string mechanism, metric;
  double mean = 0, stderr_ = 0, ci_low = 0, ci_high = 0;
  std::uint64_t profiles = 0;  ///< profiles behind this point's estimates (its sample count)
  bool target_met = false;     ///< with a precision target: the point's target was met
};

struct SweepPoint {
  std::vector<std::size_t> index;  ///< into each set's values
  std::string text;                ///< the point's scenario (point_text)
  RunResult result;                ///< with result.target filled when a target is enabled
};

struct SweepResult {
  std::vector<std::string> keys;  ///< swept key paths, in --set order (first varies slowest)
  std::vector<SweepSet> sets;     ///< the sets swept (keys[k] == sets[k].key)
  std::vector<SweepPoint> points;
  std::vector<SweepRow> rows;     ///< points × mechanisms × metrics, in point, mechanism, metric order
  std::string backend, device, note;
  double confidence = 0.95;
  bool target = false;  ///< precision targets were enabled (SweepPoint::result.target)
  double seconds = 0;
};

/// Every point of the Cartesian product of sets (the first set varies slowest), parsed and
/// validated before anything runs. Throws ScenarioError("sweep point i (KEY = V, ...): <the file's
/// message>") for a point the scenario parser rejects.
SweepResult run_sweep(const SweepInput& in, const std::vector<SweepSet>& sets, const SweepOptions& options);

/// The tidy metrics of one mechanism result as (metric, estimate): revenue, welfare, seller_utility,
/// efficiency, no_sale, revenue_diff, budget_surplus/deficit_prob/<activity>/<market statistic>
/// where the market has them, then win[GROUP], payment[GROUP], utility[GROUP] (and ir_violation).
std::vector<std::pair<std::string, Estimate>> tidy_metrics(const Scenario& sc, const MechanismResult& m);

/// Runs sc to a precision target in deterministic batches: N_k = min(N0 · 2^k, max_samples), stopping
/// at the first N_k at which every targeted half-width is <= EPS, or at max_samples. CPU: each batch
/// extends the previous by the profiles [N_{k−1}, N_k) and joins the reduction states (no
/// recomputation); CUDA: a full run of N_k. Either way the result is bitwise `run` of sc with
/// samples = N_final; result.target says how it ended. Throws ScenarioError for an invalid target
/// (EPS <= 0 or not finite, unknown metric, cap < 1, N0 not a multiple of 256).
RunResult run_to_target(const Scenario& sc, const PrecisionTarget& target, const RunOptions& options);

/// Checks a target against a scenario (names, EPS, cap) without running; throws as run_to_target.
void check_target(const Scenario& sc, const PrecisionTarget& target);

/// Outputs: CSV (columns point, KEY..., mechanism, metric, mean, stderr, ci_low, ci_high, profiles
/// [, target_met]), JSON (a list of objects with the same keys; swept values typed as in the TOML;
/// non-finite numbers as null), a readable table (revenue, welfare and efficiency per point).
std::string format_sweep_csv(const SweepResult& r);
std::string format_sweep_json(const SweepResult& r);
std::string format_sweep_table(const SweepResult& r);

}  // namespace mcrev
