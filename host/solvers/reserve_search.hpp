// mcrev: simulation search for the best anonymous reserve of a second-price auction
// (docs/myerson.md "Reserve search").
//
// Every candidate reserve is evaluated on the same profiles (common random numbers: the engine draws
// profile p's values from (seed, p) alone): candidates run as second-price mechanisms of one scenario,
// in batches of at most kMaxMechanisms − 1 beside a fixed reference mechanism (reserve = the search's
// lower end), so every candidate also reports its revenue difference to that reference on the same
// profiles. Stage 1 evaluates an even grid over [low, high]; stage 2 an even grid over
// [best − step, best + step] around the best grid point; the best candidate maximizes the seller's
// expected utility (revenue + v0 · P(no sale), = revenue for v0 = 0).
#pragma once

#include "mcrev/engine.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mcrev {

struct ReserveSearchOptions {
  int grid = 41;                 ///< stage-1 points over [low, high] (>= 2)
  int refine = 21;               ///< stage-2 points around the best grid point (0: no refinement)
  std::optional<double> low;     ///< default: the lowest support end of the groups
  std::optional<double> high;    ///< default: the highest support end (Q(0.999) when unbounded)
  double seller_value = 0.0;     ///< v0 of the second-price mechanisms
};

struct ReservePoint {
  std::string stage;  ///< "grid", "refine" or "monopoly" (ψ̄^{-1}(v0) of iid bidders)
  double reserve = 0.0;
  Estimate revenue, seller_utility, no_sale;
  Estimate diff;      ///< revenue − revenue of the reference reserve, same profiles
};

struct ReserveSearchResult {
  std::uint64_t samples = 0, seed = 0;
  double reference_reserve = 0.0;
  std::vector<ReservePoint> curve;  ///< ascending reserve
  ReservePoint best;
  std::string backend;
  std::string note;  ///< e.g. why auto fell back to the CPU
  double seconds = 0.0;
};

/// Runs the search on sc's bidders (sc's mechanisms are ignored). Throws ScenarioError for bad options.
ReserveSearchResult reserve_search(const Scenario& sc, const ReserveSearchOptions& options, const RunOptions& run_options = {});

/// CSV: stage,reserve,revenue,revenue_stderr,seller_utility,seller_utility_stderr,no_sale,
/// diff_vs_reference,diff_stderr (one row per candidate, ascending reserve).
std::string format_reserve_csv(const ReserveSearchResult& r);

}  // namespace mcrev
